import Foundation
import SparkCore
@testable import SparkUI

/// A fixed machine for app tests: 4 cores, one GPU, one endpoint up and one down, 6 processes.
enum AppFixtures {
    static let time = Date(timeIntervalSince1970: 1_800_000_000)

    static func sample(cpu: Double = 37.5, gpu: Bool = true, at offset: Double = 0) -> MetricSample {
        let processes = [
            ProcessSample(pid: 4242, user: "ana", command: "python train.py --epochs 3", cpuPercent: 97.0, rssBytes: 6_442_450_944, state: "R"),
            ProcessSample(pid: 1, user: "root", command: "/sbin/init", cpuPercent: 0.0, rssBytes: 12_582_912, state: "S"),
            ProcessSample(pid: 977, user: "root", command: "llama-server -m smollm2.gguf", cpuPercent: 12.5, rssBytes: 402_653_184, state: "S"),
            ProcessSample(pid: 1500, user: "bob", command: "vllm serve", cpuPercent: 3.0, rssBytes: 9_663_676_416, state: "S"),
            ProcessSample(pid: 88, user: "root", command: "kworker/0:1", cpuPercent: nil, rssBytes: 0, state: "I"),
            ProcessSample(pid: 2001, user: "ana", command: "zsh", cpuPercent: 0.5, rssBytes: 8_388_608, state: "S"),
        ]
        let host = HostSample(
            hostname: "dgx-01", uptimeSeconds: 3 * 86_400 + 4 * 3600, coreCount: 4,
            cpu: CPUUsage(totalPercent: cpu, perCorePercent: [cpu, 10, 95, 5]),
            load: LoadAverage(one: 1.5, five: 1.25, fifteen: 0.75),
            pressure: nil,
            memory: MemoryUsage(totalBytes: 64 << 30, usedBytes: 16 << 30, availableBytes: 48 << 30, cachedBytes: 8 << 30),
            network: [NetworkInterfaceSample(name: "eth0", rxBytesPerSecond: 1_048_576, txBytesPerSecond: 2048, rxBytesTotal: 1, txBytesTotal: 1)],
            disks: [DiskIOSample(name: "nvme0n1", readBytesPerSecond: 0, writeBytesPerSecond: 524_288, readBytesTotal: 1, writeBytesTotal: 1)],
            filesystems: [FilesystemSample(mountPoint: "/", device: "/dev/nvme0n1p1", fsType: "ext4", totalBytes: 1 << 40, freeBytes: 1 << 39, availableBytes: 1 << 39)],
            processes: processes)
        let gpuReport = gpu
            ? GPUReport(source: .nvml, devices: [GPUSample(
                index: 0, name: "NVIDIA H100 80GB HBM3", uuid: "GPU-1", utilizationPercent: 83, memoryUsedBytes: 60 << 30,
                memoryTotalBytes: 80 << 30, temperatureCelsius: 64, powerDrawWatts: 512, powerLimitWatts: 700, smClockMhz: 1980,
                processes: [GPUProcess(pid: 4242, name: "python", usedMemoryBytes: 59 << 30)])])
            : .noGPU
        let inference = [
            InferenceSample(name: "vllm", url: "http://127.0.0.1:8000/metrics", kind: .vllm, status: .up,
                            requestsRunning: 3, requestsWaiting: 1, promptTokensPerSecond: 950, generationTokensPerSecond: 412.5,
                            kvCacheUsagePercent: 41, gauges: []),
            InferenceSample(name: "edge", url: "http://10.0.0.9:8080/metrics", kind: .unknown, status: .down,
                            error: "connection refused", nextRetryAt: time.addingTimeInterval(offset + 4), gauges: []),
        ]
        return MetricSample(time: time.addingTimeInterval(offset), host: host, gpu: gpuReport, inference: inference)
    }

    /// A state at `width`x`height` that has seen `samples` samples.
    static func state(width: Int = 80, height: Int = 24, theme: Theme = .mono, samples: Int = 30, gpu: Bool = true) -> AppState {
        var s = AppState(width: width, height: height, theme: theme, interval: 1)
        for i in 0..<samples {
            _ = s.reduce(.sampled(sample(cpu: Double((i * 7) % 100), gpu: gpu, at: Double(i))))
        }
        return s
    }
}
