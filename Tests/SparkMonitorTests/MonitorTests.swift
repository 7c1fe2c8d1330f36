import Foundation
import SparkCore
@testable import SparkMonitor
import Testing

@Suite struct MonitorTests {
    @Test func samplesThisMachineOnce() async throws {
        let monitor = Monitor(endpoints: [])
        let sample = await monitor.sampleOnce()
        let host = sample.host
        #expect(host.coreCount > 0)
        #expect(host.memory.totalBytes > 0)
        #expect(host.memory.usedBytes <= host.memory.totalBytes)
        #expect(host.uptimeSeconds > 0)
        #expect(!host.hostname.isEmpty)
        let cpu = try #require(host.cpu, "two snapshots 250 ms apart give a CPU figure")
        #expect((0...100).contains(cpu.totalPercent))
        #expect(cpu.perCorePercent.count == host.coreCount)
        #expect(!host.processes.isEmpty)
        #expect(host.processes.count <= 10)
        #expect(host.processes.allSatisfy { $0.cpuPercent != nil && $0.pid > 0 })
        #expect(host.filesystems.contains { $0.totalBytes > 0 })
        #expect(!host.network.isEmpty)
        if NVMLLibrary() == nil && CommandRunner.find("nvidia-smi") == nil {
            #expect(sample.gpu.source == .none)
            #expect(sample.gpu.message == "no NVIDIA GPU found")
        }
        #expect(await monitor.history.cpuTotal.count == 1)
    }

    @Test func runHonoursCancellation() async throws {
        let monitor = Monitor(
            host: HostSampler(root: Fixtures.path("host1")), gpu: GPUSampler(preference: .disabled),
            inference: InferenceScraper(endpoints: []), interval: .milliseconds(20))
        var count = 0
        for await sample in monitor.samples() {
            #expect(sample.host.hostname == "sparkbox")
            count += 1
            if count == 3 { break }
        }
        #expect(count == 3)
        let history = await monitor.history
        #expect(history.memoryUsedPercent.count >= 3)

        let task = Task { await monitor.run { _, _ in } }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await task.value  // returns promptly once cancelled
    }

    @Test func jsonRoundTripWithSortedSnakeCaseKeys() throws {
        let sample = MetricSample(
            time: Date(timeIntervalSince1970: 1_764_000_000.25),
            host: HostSample(
                hostname: "box", uptimeSeconds: 12.5, coreCount: 2,
                cpu: CPUUsage(totalPercent: 37.5, perCorePercent: [50, 25]),
                load: LoadAverage(one: 0.5, five: 0.25, fifteen: 0.125, runnable: 1, total: 80),
                pressure: PressureReport(
                    cpu: Pressure(some: PressureWindow(avg10: 1, avg60: 2, avg300: 3, totalMicroseconds: 4), full: nil), memory: nil, io: nil),
                memory: MemoryUsage(totalBytes: 100, usedBytes: 40, availableBytes: 60),
                network: [NetworkInterfaceSample(name: "eth0", rxBytesPerSecond: 10, txBytesPerSecond: nil, rxBytesTotal: 1, txBytesTotal: 2)],
                disks: [DiskIOSample(name: "vda", readBytesPerSecond: 1, writeBytesPerSecond: 2, readBytesTotal: 3, writeBytesTotal: 4)],
                filesystems: [FilesystemSample(mountPoint: "/", device: "/dev/vda", fsType: "ext4", totalBytes: 10, freeBytes: 5, availableBytes: 4)],
                processes: [ProcessSample(pid: 1, user: "root", command: "init", cpuPercent: 0.5, rssBytes: 4096, state: "S")]),
            gpu: GPUReport(source: .nvidiaSMI, devices: [
                GPUSample(index: 0, name: "NVIDIA H100 80GB HBM3", uuid: "GPU-1", utilizationPercent: 87, memoryUsedBytes: 1, memoryTotalBytes: 2,
                          smClockMhz: 1980, memoryClockMhz: 2619, processes: [GPUProcess(pid: 9, name: "python3", usedMemoryBytes: 1)]),
            ]),
            inference: [
                InferenceSample(name: "vllm", url: "http://127.0.0.1:8000/metrics", kind: .vllm, status: .up, promptTokensPerSecond: 200,
                                gauges: [NamedValue(name: "vllm:num_requests_running", value: 3)]),
                InferenceSample(name: "llama", url: "http://127.0.0.1:8080/metrics", status: .down, error: "refused",
                                nextRetryAt: Date(timeIntervalSince1970: 1_764_000_001)),
            ])
        let data = try MetricSample.jsonEncoder().encode(sample)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains(#""time":"2025-11-24T16:00:00.250Z""#))
        #expect(json.contains(#""source":"nvidia-smi""#))
        #expect(json.contains(#""sm_clock_mhz":1980"#))
        #expect(json.contains(#""per_core_percent":[50,25]"#))
        #expect(json.contains(#""name":"vllm:num_requests_running""#))
        #expect(json.contains(#""next_retry_at":"2025-11-24T16:00:01.000Z""#))
        #expect(json.hasPrefix(#"{"gpu":"#), "keys are sorted")
        let decoded = try MetricSample.jsonDecoder().decode(MetricSample.self, from: data)
        #expect(decoded == sample)
        let noFraction = json.replacingOccurrences(of: "16:00:00.250Z", with: "16:00:00Z")
        let whole = try MetricSample.jsonDecoder().decode(MetricSample.self, from: Data(noFraction.utf8))
        #expect(whole.time == Date(timeIntervalSince1970: 1_764_000_000))
    }
}

@Suite struct HistoryTests {
    @Test func ringBufferKeepsNewestInOrder() {
        var ring = RingBuffer<Int>(capacity: 3)
        #expect(ring.isEmpty && ring.last == nil)
        for value in 1...2 { ring.append(value) }
        #expect(ring.elements == [1, 2])
        for value in 3...7 { ring.append(value) }
        #expect(ring.elements == [5, 6, 7])
        #expect(ring.count == 3)
        #expect(ring.last == 7)
        ring.removeAll()
        #expect(ring.elements.isEmpty)
        #expect(RingBuffer<Int>(capacity: 0).capacity == 1)
    }

    @Test func historyAppendsEverySeries() {
        var history = MetricHistory(capacity: 2)
        func sample(cpu: Double?, rx: Double?, gpuUtil: Double, endpoint: EndpointState) -> MetricSample {
            var host = HostSample.empty
            host.cpu = cpu.map { CPUUsage(totalPercent: $0, perCorePercent: [$0, $0 / 2]) }
            host.memory = MemoryUsage(totalBytes: 100, usedBytes: 25)
            host.network = [
                NetworkInterfaceSample(name: "lo", rxBytesPerSecond: rx.map { $0 * 100 }, txBytesPerSecond: 0, rxBytesTotal: 0, txBytesTotal: 0),
                NetworkInterfaceSample(name: "eth0", rxBytesPerSecond: rx, txBytesPerSecond: rx, rxBytesTotal: 0, txBytesTotal: 0),
                NetworkInterfaceSample(name: "eth1", rxBytesPerSecond: rx, txBytesPerSecond: 1, rxBytesTotal: 0, txBytesTotal: 0),
            ]
            let gpu = GPUReport(source: .nvml, devices: [GPUSample(index: 0, name: "g", uuid: "u", utilizationPercent: gpuUtil, memoryUsedBytes: 1, memoryTotalBytes: 4, temperatureCelsius: 50, powerDrawWatts: 300)])
            let inference = [InferenceSample(name: "e", url: "u", status: endpoint, promptTokensPerSecond: 10, generationTokensPerSecond: 5)]
            return MetricSample(time: Date(), host: host, gpu: gpu, inference: inference)
        }
        history.append(sample(cpu: nil, rx: nil, gpuUtil: 10, endpoint: .up))
        #expect(history.cpuTotal.isEmpty)
        #expect(history.netRxBytesPerSecond.isEmpty)
        history.append(sample(cpu: 40, rx: 10, gpuUtil: 20, endpoint: .up))
        history.append(sample(cpu: 60, rx: 30, gpuUtil: 30, endpoint: .down))
        #expect(history.cpuTotal.elements == [40, 60])
        #expect(history.perCore.map(\.elements) == [[40, 60], [20, 30]])
        #expect(history.memoryUsedPercent.elements == [25, 25])
        #expect(history.netRxBytesPerSecond.elements == [20, 60], "loopback excluded, interfaces summed")
        #expect(history.gpus[0]?.utilizationPercent.elements == [20, 30])
        #expect(history.gpus[0]?.memoryUsedPercent.elements == [25, 25])
        #expect(history.gpus[0]?.powerWatts.last == 300)
        #expect(history.endpoints["e"]?.generationTokensPerSecond.elements == [5, 0], "down appends zero")
    }
}
