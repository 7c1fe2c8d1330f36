import Foundation

/// One reading of everything the monitor watches: the host, its GPUs and the
/// inference servers it scrapes, taken at one moment.
///
/// Encode it with ``MetricSample/jsonEncoder()`` to get the stable JSON shape used by
/// `sparkplug monitor --once --json` (sorted snake_case keys, ISO-8601 dates).
public struct MetricSample: Codable, Sendable, Equatable {
    /// When the sample was taken.
    public var time: Date
    /// Host metrics from `/proc`.
    public var host: HostSample
    /// GPU metrics, or the reason there are none.
    public var gpu: GPUReport
    /// One entry per configured inference endpoint, in configuration order.
    public var inference: [InferenceSample]

    /// Creates a sample.
    public init(time: Date, host: HostSample, gpu: GPUReport, inference: [InferenceSample]) {
        self.time = time
        self.host = host
        self.gpu = gpu
        self.inference = inference
    }
}

extension MetricSample {
    /// A JSON encoder for samples: sorted keys, snake_case keys, ISO-8601 dates with
    /// fractional seconds.
    public static func jsonEncoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }

    /// A JSON decoder matching ``jsonEncoder(pretty:)``; it accepts ISO-8601 dates with
    /// or without fractional seconds.
    public static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) {
                return date
            }
            if let date = try? Date.ISO8601FormatStyle().parse(text) {
                return date
            }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO-8601 date: \(text)")
        }
        return decoder
    }
}
