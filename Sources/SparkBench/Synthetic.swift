import Foundation
import SparkCore
import SparkTesting


/// Builds a realistic stream of samples for a busy GPU server: per-core CPU that drifts,
/// memory, four interfaces, three disks, five filesystems, 8 GPUs with processes,
/// two inference endpoints up and one down, and a process table of `processCount` rows.
struct SyntheticHost {
    let cores: Int
    let processCount: Int
    let start = Date(timeIntervalSince1970: 1_750_000_000)
    private var rng: SplitMix64
    private var coreLoad: [Double]
    private var processes: [ProcessSample]
    private var netTotals: [(rx: UInt64, tx: UInt64)]
    private var diskTotals: [(rd: UInt64, wr: UInt64)]
    private var usedMemory: Double
    private var index = 0

    static let interfaces = ["docker0", "eth0", "ib0", "lo"]
    static let disks = ["nvme0n1", "nvme1n1", "sda"]
    static let users = ["root", "alice", "bob", "vllm", "postgres", "www-data", "nobody"]
    static let commands = [
        "python -m vllm.entrypoints.openai.api_server --model meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 4",
        "llama-server -m /models/qwen2.5-7b-instruct-q4_k_m.gguf --port 8081 --metrics -ngl 99",
        "python train.py --config configs/finetune-lora.yaml --gpus 0,1,2,3",
        "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main",
        "nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats",
        "redis-server 127.0.0.1:6379",
        "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",
        "sshd: alice@pts/0",
        "-bash",
        "tmux new-session -s work",
        "node /opt/agent/dist/worker.js --queue default",
        "kworker/u256:3-events_unbound",
        "[ksoftirqd/12]",
        "/lib/systemd/systemd-journald",
        "nvidia-persistenced --user nvidia-persistenced",
        "python -m ray.util.client.server --host 0.0.0.0",
    ]

    init(cores: Int, processCount: Int = 200, seed: UInt64 = 42) {
        self.cores = cores
        self.processCount = processCount
        var rng = SplitMix64(seed: seed &+ UInt64(cores))
        coreLoad = (0..<cores).map { _ in rng.range(2, 90) }
        processes = (0..<processCount).map { i in
            let cmd = Self.commands[Int(rng.next() % UInt64(Self.commands.count))]
            let heavy = i < 12
            return ProcessSample(
                pid: Int32(1000 + i * 37), user: Self.users[Int(rng.next() % UInt64(Self.users.count))],
                command: cmd, cpuPercent: heavy ? rng.range(50, 800) : rng.range(0, 5),
                rssBytes: UInt64(rng.range(4e6, heavy ? 40e9 : 2e9)), state: heavy ? "R" : "S")
        }
        netTotals = Self.interfaces.map { _ in (UInt64(rng.range(1e11, 1e13)), UInt64(rng.range(1e11, 1e13))) }
        diskTotals = Self.disks.map { _ in (UInt64(rng.range(1e11, 1e13)), UInt64(rng.range(1e11, 1e13))) }
        usedMemory = 0.55
        self.rng = rng
    }

    /// The next sample, one second after the previous one.
    mutating func next() -> MetricSample {
        defer { index += 1 }
        let time = start.addingTimeInterval(Double(index))
        // CPU: each core drifts a few percent per second, some jump.
        for c in coreLoad.indices {
            var v = coreLoad[c] + rng.range(-6, 6)
            if rng.unit() < 0.03 { v = rng.range(0, 100) }
            coreLoad[c] = min(100, max(0, v))
        }
        let total = coreLoad.reduce(0, +) / Double(max(1, cores))
        let cpu = CPUUsage(totalPercent: total, perCorePercent: coreLoad, iowaitPercent: rng.range(0, 2), stealPercent: 0)

        usedMemory = min(0.95, max(0.3, usedMemory + rng.range(-0.004, 0.004)))
        let memTotal: UInt64 = 2_015_000_000_000
        let used = UInt64(Double(memTotal) * usedMemory)
        let memory = MemoryUsage(
            totalBytes: memTotal, usedBytes: used, availableBytes: memTotal - used, freeBytes: (memTotal - used) / 3,
            buffersBytes: 4_000_000_000, cachedBytes: (memTotal - used) / 2, swapTotalBytes: 8_589_934_592,
            swapUsedBytes: UInt64(rng.range(1e8, 2e8)))

        var network: [NetworkInterfaceSample] = []
        for (i, name) in Self.interfaces.enumerated() {
            let rx = name == "lo" ? rng.range(1e3, 1e5) : rng.range(1e5, name == "ib0" ? 8e9 : 2e8)
            let tx = name == "lo" ? rx : rng.range(1e5, name == "ib0" ? 6e9 : 1e8)
            netTotals[i].rx &+= UInt64(rx)
            netTotals[i].tx &+= UInt64(tx)
            network.append(NetworkInterfaceSample(name: name, rxBytesPerSecond: rx, txBytesPerSecond: tx,
                                                  rxBytesTotal: netTotals[i].rx, txBytesTotal: netTotals[i].tx))
        }
        var disks: [DiskIOSample] = []
        for (i, name) in Self.disks.enumerated() {
            let rd = rng.range(0, 3e9), wr = rng.range(0, 1e9)
            diskTotals[i].rd &+= UInt64(rd)
            diskTotals[i].wr &+= UInt64(wr)
            disks.append(DiskIOSample(name: name, readBytesPerSecond: rd, writeBytesPerSecond: wr,
                                      readBytesTotal: diskTotals[i].rd, writeBytesTotal: diskTotals[i].wr))
        }
        let tb: UInt64 = 1_000_000_000_000
        let filesystems = [
            FilesystemSample(mountPoint: "/", device: "/dev/nvme0n1p2", fsType: "ext4", totalBytes: 2 * tb, freeBytes: tb, availableBytes: tb - tb / 20),
            FilesystemSample(mountPoint: "/boot", device: "/dev/nvme0n1p1", fsType: "vfat", totalBytes: tb / 1000, freeBytes: tb / 2000, availableBytes: tb / 2000),
            FilesystemSample(mountPoint: "/data", device: "/dev/nvme1n1", fsType: "xfs", totalBytes: 15 * tb, freeBytes: 4 * tb, availableBytes: 4 * tb),
            FilesystemSample(mountPoint: "/home", device: "/dev/sda1", fsType: "ext4", totalBytes: 4 * tb, freeBytes: 3 * tb, availableBytes: 3 * tb),
            FilesystemSample(mountPoint: "/scratch", device: "/dev/md0", fsType: "xfs", totalBytes: 30 * tb, freeBytes: 25 * tb, availableBytes: 25 * tb),
        ]
        // Processes: the busy ones move around, a few idle ones wake up.
        for i in processes.indices {
            let old = processes[i].cpuPercent ?? 0
            var v = old > 20 ? old * rng.range(0.85, 1.15) : max(0, old + rng.range(-0.5, 0.5))
            if rng.unit() < 0.02 { v = rng.range(0, 30) }
            processes[i].cpuPercent = v
            processes[i].rssBytes = UInt64(Double(processes[i].rssBytes) * rng.range(0.999, 1.001))
        }
        let pressure = PressureReport(
            cpu: Pressure(some: PressureWindow(avg10: rng.range(0, 8), avg60: 3, avg300: 2, totalMicroseconds: UInt64(index) * 1000), full: nil),
            memory: Pressure(some: PressureWindow(avg10: rng.range(0, 1), avg60: 0.2, avg300: 0.1, totalMicroseconds: 100),
                             full: PressureWindow(avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 50)),
            io: Pressure(some: PressureWindow(avg10: rng.range(0, 3), avg60: 1, avg300: 0.5, totalMicroseconds: 900),
                         full: PressureWindow(avg10: 0.1, avg60: 0, avg300: 0, totalMicroseconds: 400)))
        let host = HostSample(
            hostname: "gpu-node-07", uptimeSeconds: 1_234_567 + Double(index), coreCount: cores, cpu: cpu,
            load: LoadAverage(one: total * Double(cores) / 100, five: total * Double(cores) / 110, fifteen: total * Double(cores) / 120,
                              runnable: 12, total: 3400),
            pressure: pressure, memory: memory, network: network, disks: disks, filesystems: filesystems, processes: processes)

        let gpus = (0..<8).map { g -> GPUSample in
            let util = g < 6 ? rng.range(70, 100) : rng.range(0, 10)
            let total: UInt64 = 85_899_345_920
            return GPUSample(
                index: g, name: "NVIDIA H100 80GB HBM3", uuid: "GPU-\(g)a1b2c3d-0000-1111-2222-33334444555\(g)",
                utilizationPercent: util, memoryUtilizationPercent: util * 0.6,
                memoryUsedBytes: UInt64(Double(total) * (g < 6 ? rng.range(0.7, 0.95) : 0.01)), memoryTotalBytes: total,
                temperatureCelsius: 35 + util * 0.4 + rng.range(-1, 1), powerDrawWatts: 80 + util * 6 + rng.range(-10, 10),
                powerLimitWatts: 700, smClockMhz: util > 50 ? 1980 : 345, memoryClockMhz: 2619, fanPercent: nil,
                processes: g < 4
                    ? [GPUProcess(pid: 1000, name: "python", usedMemoryBytes: 60_000_000_000),
                       GPUProcess(pid: 1037, name: "python", usedMemoryBytes: 2_000_000_000)]
                    : g < 6 ? [GPUProcess(pid: 1074, name: "llama-server", usedMemoryBytes: 9_000_000_000)] : [])
        }
        let inference = [
            InferenceSample(
                name: "vllm-70b", url: "http://127.0.0.1:8000/metrics", kind: .vllm, status: .up,
                requestsRunning: rng.range(10, 40).rounded(), requestsWaiting: rng.range(0, 8).rounded(),
                promptTokensPerSecond: rng.range(2000, 9000), generationTokensPerSecond: rng.range(800, 2400),
                kvCacheUsagePercent: rng.range(40, 90),
                gauges: [NamedValue(name: "vllm:num_requests_running", value: 20)]),
            InferenceSample(
                name: "llama-qwen7b", url: "http://127.0.0.1:8081/metrics", kind: .llamacpp, status: .up,
                requestsRunning: rng.range(0, 4).rounded(), requestsWaiting: 0,
                promptTokensPerSecond: rng.range(100, 900), generationTokensPerSecond: rng.range(40, 120),
                kvCacheUsagePercent: rng.range(5, 30)),
            InferenceSample(
                name: "tgi-embed", url: "http://10.0.0.12:8080/metrics", kind: .unknown, status: .down,
                error: "connection refused (10.0.0.12:8080)", nextRetryAt: time.addingTimeInterval(Double(30 - index % 30))),
        ]
        return MetricSample(time: time, host: host, gpu: GPUReport(source: .nvml, devices: gpus), inference: inference)
    }
}
