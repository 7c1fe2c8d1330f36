import Foundation
import SparkBus
import SparkCore

extension Configuration {
    /// The TLS options of `bus.tls.*`, or nil when none is set.
    var busTLS: BusTLS? {
        guard busCAFile != nil || busCertFile != nil || busKeyFile != nil || busInsecureSkipVerify else { return nil }
        return BusTLS(caFile: busCAFile, certificateFile: busCertFile, keyFile: busKeyFile,
                      insecureSkipVerify: busInsecureSkipVerify)
    }

    /// `bus.url` (or `override`, from `--bus`) with the `bus.tls.*` options.
    func busEndpoint(override: String? = nil) throws -> BusEndpoint {
        try BusEndpoint.parse(override ?? busURL, tls: busTLS)
    }
}
