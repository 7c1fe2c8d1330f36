import Foundation
import SparkCore
@testable import SparkMonitor
import Testing

@Suite struct GPUTests {
    @Test func parsesH100() throws {
        let gpus = NvidiaSMIParser.report(gpuCSV: try Fixtures.text("nvidia-smi-h100.csv"), appsCSV: try Fixtures.text("nvidia-smi-h100-apps.csv"))
        #expect(gpus.count == 1)
        let gpu = try #require(gpus.first)
        #expect(gpu.index == 0)
        #expect(gpu.name == "NVIDIA H100 80GB HBM3")
        #expect(gpu.uuid == "GPU-5f2a9c1e-7b3d-4e8f-9a0b-1c2d3e4f5a6b")
        #expect(gpu.utilizationPercent == 87)
        #expect(gpu.memoryUsedBytes == 71234 * 1024 * 1024)
        #expect(gpu.memoryTotalBytes == 81559 * 1024 * 1024)
        #expect(gpu.temperatureCelsius == 64)
        #expect(gpu.powerDrawWatts == 612.45)
        #expect(gpu.powerLimitWatts == 700)
        #expect(gpu.smClockMhz == 1980)
        #expect(gpu.memoryClockMhz == 2619)
        #expect(gpu.fanPercent == nil, "[N/A] is nil")
        #expect(gpu.processes == [GPUProcess(pid: 48213, name: "/usr/bin/python3", usedMemoryBytes: 70912 * 1024 * 1024)])
    }

    @Test func parsesMultiGPUBoxWithUnsupportedFields() throws {
        let gpus = NvidiaSMIParser.report(gpuCSV: try Fixtures.text("nvidia-smi-multi.csv"), appsCSV: try Fixtures.text("nvidia-smi-multi-apps.csv"))
        #expect(gpus.map(\.index) == [0, 1, 2, 3])
        #expect(gpus[0].processes.isEmpty)
        #expect(gpus[1].processes.map(\.pid) == [1201, 1202])
        #expect(gpus[1].processes[1].name == "/opt/my app, v2/server")
        #expect(gpus[2].fanPercent == 38)
        #expect(gpus[2].processes == [GPUProcess(pid: 3300, name: "llama-server", usedMemoryBytes: nil)])
        let t4 = gpus[3]
        #expect(t4.name == "Tesla T4")
        #expect(t4.utilizationPercent == nil)
        #expect(t4.memoryUsedBytes == nil)
        #expect(t4.memoryTotalBytes == 15360 * 1024 * 1024)
        #expect(t4.temperatureCelsius == nil)
        #expect(t4.powerDrawWatts == nil)
        #expect(t4.powerLimitWatts == 70)
        #expect(t4.memoryUsedPercent == nil)
        #expect(NvidiaSMIParser.gpus("").isEmpty)
        #expect(NvidiaSMIParser.gpus("No devices were found\n").isEmpty)
    }

    @Test func noGPUOnThisMachine() async throws {
        // These machines have no NVIDIA driver; where one exists this test is not meaningful.
        try #require(NVMLLibrary() == nil && CommandRunner.find("nvidia-smi") == nil)
        let sampler = GPUSampler()
        let report = await sampler.sample()
        #expect(report.source == .none)
        #expect(report.devices.isEmpty)
        #expect(report.message == "no NVIDIA GPU found")
        #expect(await sampler.source() == .none)
        #expect(await GPUSampler(preference: .disabled).sample() == .noGPU)
    }

    @Test func nvidiaSMIFallbackRunsTheCommand() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-smi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("nvidia-smi").path
        let body = """
            #!/bin/sh
            case "$1" in
              --query-gpu=*) cat '\(Fixtures.path("nvidia-smi-multi.csv"))' ;;
              --query-compute-apps=*) cat '\(Fixtures.path("nvidia-smi-multi-apps.csv"))' ;;
              *) echo "unexpected $1" >&2; exit 2 ;;
            esac
            """
        try writeExecutable(body, to: script)
        let report = await GPUSampler(preference: .nvidiaSMI(path: script)).sample()
        #expect(report.source == .nvidiaSMI)
        #expect(report.devices.count == 4)
        #expect(report.devices[1].processes.count == 2)
        #expect(report.message == nil)

        let failing = directory.appendingPathComponent("broken-smi").path
        try writeExecutable("#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.' >&2\nexit 9\n",
                            to: failing)
        let broken = await GPUSampler(preference: .nvidiaSMI(path: failing)).sample()
        #expect(broken.devices.isEmpty)
        #expect(broken.message?.contains("status 9") == true, "\(broken.message ?? "no message")")
        #expect(broken.message?.contains("NVIDIA driver") == true)
    }

    @Test func nvmlStructLayoutsMatchC() {
        #expect(MemoryLayout<NVMLUtilization>.size == 8)
        #expect(MemoryLayout<NVMLMemory>.size == 24)
        #expect(MemoryLayout<NVMLProcessInfoV2>.stride == 24)
        #expect(MemoryLayout<NVMLProcessInfoV1>.stride == 16)
        #expect(MemoryLayout<NVMLProcessInfoV2>.offset(of: \.usedGpuMemory) == 8)
        #expect(MemoryLayout<NVMLProcessInfoV2>.offset(of: \.computeInstanceId) == 20)
    }
}

/// Writes an executable script with a close-on-exec descriptor, so a process spawned by a
/// parallel test at the same moment cannot hold it open for writing (which makes running
/// the script fail with "text file busy").
func writeExecutable(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { throw POSIXError(.EIO) }
}
