import Foundation
import SparkCore

/// Samples NVIDIA GPUs. On the first sample it detects a source once — NVML loaded with
/// `dlopen`, else the `nvidia-smi` command, else none — and keeps using it.
/// Where there is no GPU the report says "no NVIDIA GPU found".
public actor GPUSampler: MetricSource {
    /// Which source to use.
    public enum Preference: Sendable {
        /// NVML, then nvidia-smi, then none.
        case automatic
        /// Only nvidia-smi at the given path (for tests and odd installs).
        case nvidiaSMI(path: String)
        /// Never look for a GPU.
        case disabled
    }

    private enum Backend {
        case nvml(NVMLLibrary)
        case nvidiaSMI(String)
        case none
    }

    private let preference: Preference
    private var backend: Backend?
    private let procRoot: String

    /// Creates a sampler. `procRoot` is where `/proc/[pid]/comm` is read for process names.
    public init(preference: Preference = .automatic, procRoot: String = "") {
        self.preference = preference
        self.procRoot = procRoot
    }

    /// The source in use (detecting it on first call).
    public func source() -> GPUSource {
        switch detect() {
        case .nvml: .nvml
        case .nvidiaSMI: .nvidiaSMI
        case .none: .none
        }
    }

    private func detect() -> Backend {
        if let backend { return backend }
        let found: Backend
        switch preference {
        case .disabled:
            found = .none
        case .nvidiaSMI(let path):
            found = .nvidiaSMI(path)
        case .automatic:
            if let library = NVMLLibrary() {
                found = .nvml(library)
            } else if let path = CommandRunner.find("nvidia-smi") {
                found = .nvidiaSMI(path)
            } else {
                found = .none
            }
        }
        backend = found
        return found
    }

    /// Reads every GPU once.
    public func sample() -> GPUReport {
        switch detect() {
        case .none:
            return .noGPU
        case .nvml(let library):
            guard let count = library.deviceCount() else {
                return GPUReport(source: .nvml, devices: [], message: "NVML could not count devices")
            }
            let devices = (0..<count).compactMap { library.sample(index: $0, processName: processName) }
            return GPUReport(source: .nvml, devices: devices, message: devices.isEmpty ? "no NVIDIA GPU found" : nil)
        case .nvidiaSMI(let path):
            do {
                let gpus = try CommandRunner.run(path, ["--query-gpu=" + NvidiaSMIParser.gpuQuery, "--format=csv,noheader,nounits"])
                let apps = try? CommandRunner.run(path, ["--query-compute-apps=" + NvidiaSMIParser.appsQuery, "--format=csv,noheader,nounits"])
                let devices = NvidiaSMIParser.report(gpuCSV: gpus, appsCSV: apps)
                return GPUReport(source: .nvidiaSMI, devices: devices, message: devices.isEmpty ? "no NVIDIA GPU found" : nil)
            } catch {
                return GPUReport(source: .nvidiaSMI, devices: [], message: "\(error)")
            }
        }
    }

    private nonisolated func processName(_ pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: procRoot + "/proc/\(pid)/comm", encoding: .utf8) else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
