#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SparkCore

// C layouts from nvml.h, declared in Swift.

/// `nvmlUtilization_t`: two unsigned ints.
struct NVMLUtilization {
    var gpu: UInt32 = 0
    var memory: UInt32 = 0
}

/// `nvmlMemory_t`: three unsigned long longs, in bytes.
struct NVMLMemory {
    var total: UInt64 = 0
    var free: UInt64 = 0
    var used: UInt64 = 0
}

/// `nvmlProcessInfo_t` (v2 layout, used by `nvmlDeviceGetComputeRunningProcesses_v3` and `_v2`):
/// pid, 4 bytes padding, used memory, GPU instance id, compute instance id — 24 bytes.
struct NVMLProcessInfoV2 {
    var pid: UInt32 = 0
    var usedGpuMemory: UInt64 = 0
    var gpuInstanceId: UInt32 = 0
    var computeInstanceId: UInt32 = 0
}

/// `nvmlProcessInfo_v1_t` (used by the unversioned `nvmlDeviceGetComputeRunningProcesses`): 16 bytes.
struct NVMLProcessInfoV1 {
    var pid: UInt32 = 0
    var usedGpuMemory: UInt64 = 0
}

private let nvmlSuccess: Int32 = 0
private let nvmlErrorInsufficientSize: Int32 = 7
private let nvmlValueNotAvailable = UInt64.max
private let nvmlTemperatureGPU: UInt32 = 0
private let nvmlClockSM: UInt32 = 1
private let nvmlClockMemory: UInt32 = 2

/// NVML loaded at run time with `dlopen`, so the binary runs where there is no driver.
/// Every query returns nil when its function is missing or fails.
final class NVMLLibrary: @unchecked Sendable {
    // @unchecked: the function pointers are immutable after init, and NVML is thread-safe.
    private typealias InitFn = @convention(c) () -> Int32
    private typealias CountFn = @convention(c) (UnsafeMutablePointer<UInt32>?) -> Int32
    private typealias HandleFn = @convention(c) (UInt32, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    private typealias StringFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, UInt32) -> Int32
    private typealias UtilizationFn = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32
    private typealias MemoryFn = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32
    private typealias UIntFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt32>?) -> Int32
    private typealias UIntArgFn = @convention(c) (OpaquePointer?, UInt32, UnsafeMutablePointer<UInt32>?) -> Int32
    private typealias ProcessesFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt32>?, UnsafeMutableRawPointer?) -> Int32
    private typealias ProcessNameFn = @convention(c) (UInt32, UnsafeMutablePointer<CChar>?, UInt32) -> Int32

    private let handle: UnsafeMutableRawPointer
    private let shutdownFn: InitFn?
    private let countFn: CountFn
    private let handleFn: HandleFn
    private let nameFn: StringFn?
    private let uuidFn: StringFn?
    private let utilizationFn: UtilizationFn?
    private let memoryFn: MemoryFn?
    private let temperatureFn: UIntArgFn?
    private let powerFn: UIntFn?
    private let powerLimitFn: UIntFn?
    private let clockFn: UIntArgFn?
    private let fanFn: UIntFn?
    private let processesV3Fn: ProcessesFn?
    private let processesV2Fn: ProcessesFn?
    private let processesV1Fn: ProcessesFn?
    private let processNameFn: ProcessNameFn?

    /// Loads and initialises NVML; nil when the library or its init function is missing
    /// or `nvmlInit_v2` fails (no driver, no device).
    init?(libraryName: String = "libnvidia-ml.so.1") {
        guard let handle = dlopen(libraryName, RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            guard let pointer = dlsym(handle, name) else { return nil }
            return unsafeBitCast(pointer, to: type)
        }
        guard let initFn = symbol("nvmlInit_v2", as: InitFn.self),
              let countFn = symbol("nvmlDeviceGetCount_v2", as: CountFn.self),
              let handleFn = symbol("nvmlDeviceGetHandleByIndex_v2", as: HandleFn.self),
              initFn() == nvmlSuccess
        else {
            dlclose(handle)
            return nil
        }
        self.handle = handle
        self.countFn = countFn
        self.handleFn = handleFn
        shutdownFn = symbol("nvmlShutdown", as: InitFn.self)
        nameFn = symbol("nvmlDeviceGetName", as: StringFn.self)
        uuidFn = symbol("nvmlDeviceGetUUID", as: StringFn.self)
        utilizationFn = symbol("nvmlDeviceGetUtilizationRates", as: UtilizationFn.self)
        memoryFn = symbol("nvmlDeviceGetMemoryInfo", as: MemoryFn.self)
        temperatureFn = symbol("nvmlDeviceGetTemperature", as: UIntArgFn.self)
        powerFn = symbol("nvmlDeviceGetPowerUsage", as: UIntFn.self)
        powerLimitFn = symbol("nvmlDeviceGetEnforcedPowerLimit", as: UIntFn.self)
        clockFn = symbol("nvmlDeviceGetClockInfo", as: UIntArgFn.self)
        fanFn = symbol("nvmlDeviceGetFanSpeed", as: UIntFn.self)
        processesV3Fn = symbol("nvmlDeviceGetComputeRunningProcesses_v3", as: ProcessesFn.self)
        processesV2Fn = symbol("nvmlDeviceGetComputeRunningProcesses_v2", as: ProcessesFn.self)
        processesV1Fn = symbol("nvmlDeviceGetComputeRunningProcesses", as: ProcessesFn.self)
        processNameFn = symbol("nvmlSystemGetProcessName", as: ProcessNameFn.self)
    }

    deinit {
        _ = shutdownFn?()
        dlclose(handle)
    }

    /// Number of devices, nil on failure.
    func deviceCount() -> Int? {
        var count: UInt32 = 0
        return countFn(&count) == nvmlSuccess ? Int(count) : nil
    }

    /// Reads every field of device `index`; nil only when the device handle cannot be had.
    func sample(index: Int, processName: (Int32) -> String?) -> GPUSample? {
        var device: OpaquePointer?
        guard handleFn(UInt32(index), &device) == nvmlSuccess, let device else { return nil }
        var sample = GPUSample(
            index: index, name: string(nameFn, device) ?? "GPU \(index)", uuid: string(uuidFn, device) ?? "")
        if let utilizationFn {
            var value = NVMLUtilization()
            if withUnsafeMutableBytes(of: &value, { utilizationFn(device, $0.baseAddress) }) == nvmlSuccess {
                sample.utilizationPercent = Double(value.gpu)
                sample.memoryUtilizationPercent = Double(value.memory)
            }
        }
        if let memoryFn {
            var value = NVMLMemory()
            if withUnsafeMutableBytes(of: &value, { memoryFn(device, $0.baseAddress) }) == nvmlSuccess {
                sample.memoryUsedBytes = value.used
                sample.memoryTotalBytes = value.total
            }
        }
        sample.temperatureCelsius = uint(temperatureFn, device, nvmlTemperatureGPU).map(Double.init)
        sample.powerDrawWatts = uint(powerFn, device).map { Double($0) / 1000 }
        sample.powerLimitWatts = uint(powerLimitFn, device).map { Double($0) / 1000 }
        sample.smClockMhz = uint(clockFn, device, nvmlClockSM).map(Double.init)
        sample.memoryClockMhz = uint(clockFn, device, nvmlClockMemory).map(Double.init)
        sample.fanPercent = uint(fanFn, device).map(Double.init)
        sample.processes = processes(device).map { pid, memory in
            GPUProcess(pid: pid, name: nvmlProcessName(pid) ?? processName(pid) ?? "", usedMemoryBytes: memory)
        }
        return sample
    }

    private func string(_ function: StringFn?, _ device: OpaquePointer) -> String? {
        guard let function else { return nil }
        var buffer = [CChar](repeating: 0, count: 96)
        guard function(device, &buffer, UInt32(buffer.count)) == nvmlSuccess else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func uint(_ function: UIntFn?, _ device: OpaquePointer) -> UInt32? {
        guard let function else { return nil }
        var value: UInt32 = 0
        return function(device, &value) == nvmlSuccess ? value : nil
    }

    private func uint(_ function: UIntArgFn?, _ device: OpaquePointer, _ argument: UInt32) -> UInt32? {
        guard let function else { return nil }
        var value: UInt32 = 0
        return function(device, argument, &value) == nvmlSuccess ? value : nil
    }

    private func nvmlProcessName(_ pid: Int32) -> String? {
        guard let processNameFn else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        guard processNameFn(UInt32(bitPattern: pid), &buffer, UInt32(buffer.count)) == nvmlSuccess else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }

    /// Compute processes: `_v3`, then `_v2` (same 24-byte layout), then the v1 16-byte layout.
    private func processes(_ device: OpaquePointer) -> [(Int32, UInt64?)] {
        if let function = processesV3Fn ?? processesV2Fn,
           let list = query(function, device, as: NVMLProcessInfoV2.self) {
            return list.map { (Int32(bitPattern: $0.pid), $0.usedGpuMemory == nvmlValueNotAvailable ? nil : $0.usedGpuMemory) }
        }
        if let function = processesV1Fn, let list = query(function, device, as: NVMLProcessInfoV1.self) {
            return list.map { (Int32(bitPattern: $0.pid), $0.usedGpuMemory == nvmlValueNotAvailable ? nil : $0.usedGpuMemory) }
        }
        return []
    }

    private func query<Info>(_ function: ProcessesFn, _ device: OpaquePointer, as type: Info.Type) -> [Info]? {
        var capacity: UInt32 = 32
        for _ in 0..<4 {
            var count = capacity
            let buffer = UnsafeMutablePointer<Info>.allocate(capacity: Int(capacity))
            defer { buffer.deallocate() }
            let result = function(device, &count, UnsafeMutableRawPointer(buffer))
            if result == nvmlSuccess {
                return Array(UnsafeBufferPointer(start: buffer, count: Int(min(count, capacity))))
            }
            guard result == nvmlErrorInsufficientSize else { return nil }
            capacity = max(count + 8, capacity * 2)
        }
        return nil
    }
}
