import Foundation
import SparkCore
@testable import SparkMonitor
import Testing

@Suite struct HostSamplerTests {
    static let sizes: @Sendable (String) -> FilesystemSize? = { mountPoint in
        switch mountPoint {
        case "/": FilesystemSize(totalBytes: 100 << 30, freeBytes: 40 << 30, availableBytes: 35 << 30)
        case "/mnt/my models": FilesystemSize(totalBytes: 2 << 40, freeBytes: 1 << 40, availableBytes: 1 << 40)
        default: nil
        }
    }

    @Test func ratesBetweenTwoFixtureSnapshots() async throws {
        let clock = ManualClock()
        let first = await HostSampler(root: Fixtures.path("host1"), clock: clock, filesystemSize: Self.sizes).snapshot()
        clock.advance(by: 2)
        let second = await HostSampler(root: Fixtures.path("host2"), clock: clock, filesystemSize: Self.sizes).snapshot()
        #expect(second.time.timeIntervalSince(first.time) == 2)

        var state = HostRateState(topProcessCount: 10, ticksPerSecond: 100)
        let users = [UInt32(0): "root"]
        let initial = state.advance(to: first, users: users)
        #expect(initial.cpu == nil)
        #expect(initial.network.allSatisfy { $0.rxBytesPerSecond == nil })
        #expect(initial.processes.allSatisfy { $0.cpuPercent == nil })
        #expect(initial.processes.first?.pid == 101, "without CPU figures, the largest RSS comes first")

        let sample = state.advance(to: second, users: users) { pid in pid == 101 ? "python3 -m vllm" : nil }
        let cpu = try #require(sample.cpu)
        #expect(cpu.totalPercent == 37.5)
        #expect(cpu.perCorePercent == [50, 25])

        #expect(sample.hostname == "sparkbox")
        #expect(sample.coreCount == 2)
        #expect(sample.load == LoadAverage(one: 1.5, five: 0.4, fifteen: 0.1, runnable: 3, total: 90))
        #expect(sample.pressure?.cpu?.full == nil)
        #expect(sample.pressure?.cpu?.some.avg10 == 1.5)
        #expect(sample.pressure?.memory != nil)

        let eth0 = try #require(sample.network.first { $0.name == "eth0" })
        #expect(eth0.rxBytesPerSecond == 1_000_000)
        #expect(eth0.txBytesPerSecond == 250_000)
        #expect(eth0.rxBytesTotal == 3_000_000)
        #expect(sample.network.first { $0.name == "lo" }?.rxBytesPerSecond == 0)

        #expect(sample.disks.map(\.name) == ["nvme0n1", "vda"])
        #expect(sample.disks[1].readBytesPerSecond == 1_048_576)
        #expect(sample.disks[1].writeBytesPerSecond == 524_288)
        #expect(sample.disks[0].readBytesPerSecond == 0)

        #expect(sample.filesystems.map(\.mountPoint) == ["/", "/mnt/my models"])
        #expect(sample.filesystems[0].availableBytes == 35 << 30)
        #expect(sample.filesystems[0].fsType == "ext4")

        #expect(sample.processes.map(\.pid) == [101, 202, 303])
        #expect(sample.processes[0].cpuPercent == 75)
        #expect(sample.processes[0].command == "python3 -m vllm")
        #expect(sample.processes[0].rssBytes == 25600 * first.pageSize)
        #expect(sample.processes[0].state == "S")
        #expect(sample.processes[1].cpuPercent == 10)
        #expect(sample.processes[1].command == "my (weird) prog")
        #expect(sample.processes[2].cpuPercent == 0, "a reused pid (new start time) starts from zero")
    }

    @Test func topNLimitsProcesses() async {
        let clock = ManualClock()
        let sampler = HostSampler(root: Fixtures.path("host1"), topProcessCount: 2, clock: clock, filesystemSize: Self.sizes)
        let sample = await sampler.sample()
        #expect(sample.processes.count == 2)
        #expect(sample.processes[0].command == "python3 -m vllm.entrypoints.openai.api_server --port 8000")
        #expect(sample.processes[0].user == ProcParsers.passwd((try? Fixtures.text("host1/etc/passwd")) ?? "")[getuid()] ?? String(getuid()))
    }

    @Test func missingRootGivesAnEmptyButValidSample() async {
        let sampler = HostSampler(root: "/nonexistent-root-for-test")
        let sample = await sampler.sample()
        #expect(sample.cpu == nil)
        #expect(sample.memory.totalBytes == 0)
        #expect(sample.processes.isEmpty)
        #expect(sample.coreCount > 0)
    }
}

extension HostSamplerTests {
    @Test func repeatedSamplesKeepCommandsUsersAndFilesystems() async {
        let clock = ManualClock()
        let sampler = HostSampler(root: Fixtures.path("host1"), topProcessCount: 3, clock: clock, filesystemSize: Self.sizes)
        let first = await sampler.sample()
        clock.advance(by: 1)
        let second = await sampler.sample()
        clock.advance(by: 10)
        let third = await sampler.sample()
        for sample in [second, third] {
            #expect(sample.processes.map(\.pid) == first.processes.map(\.pid))
            #expect(sample.processes.map(\.command) == first.processes.map(\.command))
            #expect(sample.processes.map(\.user) == first.processes.map(\.user))
            #expect(sample.filesystems == first.filesystems)
            #expect(sample.hostname == first.hostname)
        }
        #expect(first.filesystems.map(\.mountPoint) == ["/", "/mnt/my models"])
    }
}
