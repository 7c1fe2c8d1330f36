@testable import SparkMonitor
import Testing

@Suite struct ProcessIdentityCacheTests {
    /// Counts the look-ups a cache makes, answering with fixed values.
    final class Lookups {
        var uids = 0
        var commands = 0
        func uid(_ value: UInt32) -> UInt32? { uids += 1; return value }
        func command(_ value: String?) -> String? { commands += 1; return value }
    }

    @Test func ownerAndCommandAreLookedUpOncePerProcess() {
        var cache = ProcessIdentityCache()
        let calls = Lookups()
        for _ in 0..<3 {
            cache.beginSample()
            #expect(cache.uid(pid: 42, startTime: 1000, comm: "python3") { calls.uid(7) } == 7)
            #expect(cache.command(pid: 42) { calls.command("python3 -m vllm") } == "python3 -m vllm")
            cache.evictUnseen()
        }
        #expect(calls.uids == 1)
        #expect(calls.commands == 1)
    }

    @Test func aReusedPidWithANewStartTimeIsLookedUpAgain() {
        var cache = ProcessIdentityCache()
        let calls = Lookups()
        cache.beginSample()
        _ = cache.uid(pid: 42, startTime: 1000, comm: "python3") { calls.uid(7) }
        #expect(cache.command(pid: 42) { calls.command("python3 -m vllm") } == "python3 -m vllm")
        cache.evictUnseen()

        // Same pid number, different start time: another process.
        cache.beginSample()
        #expect(cache.uid(pid: 42, startTime: 2000, comm: "python3") { calls.uid(0) } == 0)
        #expect(cache.command(pid: 42) { calls.command("python3 train.py") } == "python3 train.py")
        cache.evictUnseen()
        #expect(calls.uids == 2)
        #expect(calls.commands == 2)
    }

    @Test func anExecChangingTheShortNameIsLookedUpAgain() {
        var cache = ProcessIdentityCache()
        let calls = Lookups()
        cache.beginSample()
        _ = cache.uid(pid: 9, startTime: 5, comm: "bash") { calls.uid(1) }
        #expect(cache.command(pid: 9) { calls.command("bash") } == "bash")
        cache.beginSample()
        _ = cache.uid(pid: 9, startTime: 5, comm: "llama-server") { calls.uid(1) }
        #expect(cache.command(pid: 9) { calls.command("llama-server -m model.gguf") } == "llama-server -m model.gguf")
        #expect(calls.commands == 2)
    }

    @Test func anAbsentCommandLineIsRememberedToo() {
        var cache = ProcessIdentityCache()
        let calls = Lookups()
        for _ in 0..<2 {
            cache.beginSample()
            _ = cache.uid(pid: 2, startTime: 0, comm: "kthreadd") { calls.uid(0) }
            #expect(cache.command(pid: 2) { calls.command(nil) } == nil)
            cache.evictUnseen()
        }
        #expect(calls.commands == 1)
    }

    @Test func deadProcessesAreEvicted() {
        var cache = ProcessIdentityCache()
        cache.beginSample()
        _ = cache.uid(pid: 1, startTime: 0, comm: "init") { 0 }
        _ = cache.uid(pid: 2, startTime: 0, comm: "gone") { 0 }
        cache.evictUnseen()
        #expect(Set(cache.entries.keys) == [1, 2])
        cache.beginSample()
        _ = cache.uid(pid: 1, startTime: 0, comm: "init") { 0 }
        cache.evictUnseen()
        #expect(Set(cache.entries.keys) == [1])
        // An unknown pid is read every time.
        let calls = Lookups()
        _ = cache.command(pid: 2) { calls.command("x") }
        _ = cache.command(pid: 2) { calls.command("x") }
        #expect(calls.commands == 2)
    }

    @Test func commandLineMapsSeparatorsAndTrims() {
        func run(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBufferPointer { HostSampler.commandLine($0) } }
        #expect(run(Array("python3\0-m\0vllm\0".utf8)) == "python3 -m vllm")
        #expect(run([]) == nil)
        #expect(run([0, 0]) == nil)
        #expect(run(Array("a b  \0".utf8)) == "a b")
    }
}
