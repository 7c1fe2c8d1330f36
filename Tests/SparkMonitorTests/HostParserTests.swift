import Foundation
import SparkCore
@testable import SparkMonitor
import Testing

@Suite struct HostParserTests {
    @Test func parsesRealProcStat() throws {
        let stat = try #require(ProcStat.parse(try Fixtures.text("proc-stat-real.txt")))
        #expect(stat.cores.count == 2)
        #expect(stat.total.user == 53200)
        #expect(stat.total.idle == 247125)
        #expect(stat.cores[1]?.user == 28207)
        #expect(stat.cores[1]?.steal == 21)
    }

    @Test func cpuPercentBetweenSnapshots() {
        let before = CPUTimes(user: 100, system: 50, idle: 800, iowait: 50)
        let after = CPUTimes(user: 150, system: 100, idle: 850, iowait: 50)
        let usage = after.usage(since: before)
        #expect(approximately(usage.busy, 100.0 * 100 / 150))
        #expect(usage.iowait == 0)
    }

    @Test func countersGoingBackwardsNeverGiveNonsense() {
        let before = CPUTimes(user: 1000, system: 500, idle: 9000)
        let after = CPUTimes(user: 900, system: 520, idle: 9080)  // user went backwards
        let usage = after.usage(since: before)
        #expect(usage.busy == 20.0)
        #expect(CPUTimes().usage(since: CPUTimes()).busy == 0)
        let reset = CPUTimes(user: 1, idle: 1).usage(since: CPUTimes(user: 1000, idle: 9000))
        #expect(reset.busy == 0)
    }

    @Test func loadAverage() {
        let load = ProcParsers.loadAverage("0.62 0.18 0.06 2/89 6480\n")
        #expect(load == LoadAverage(one: 0.62, five: 0.18, fifteen: 0.06, runnable: 2, total: 89))
        #expect(ProcParsers.loadAverage("") == nil)
        #expect(ProcParsers.loadAverage("garbage") == nil)
    }

    @Test func pressureWithAndWithoutFullLine() throws {
        let both = try #require(ProcParsers.pressure("some avg10=18.92 avg60=5.56 avg300=1.33 total=7426868\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"))
        #expect(both.some == PressureWindow(avg10: 18.92, avg60: 5.56, avg300: 1.33, totalMicroseconds: 7_426_868))
        #expect(both.full == PressureWindow(avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 0))
        let someOnly = try #require(ProcParsers.pressure("some avg10=1.50 avg60=0.75 avg300=0.10 total=123456\n"))
        #expect(someOnly.full == nil)
        #expect(ProcParsers.pressure("") == nil)
    }

    @Test func meminfo() throws {
        let memory = ProcParsers.memory(try Fixtures.text("host1/proc/meminfo"))
        #expect(memory.totalBytes == 24_684_084 * 1024)
        #expect(memory.availableBytes == 24_234_680 * 1024)
        #expect(memory.usedBytes == (24_684_084 - 24_234_680) * 1024)
        #expect(memory.buffersBytes == 12508 * 1024)
        #expect(memory.swapTotalBytes == 0)
        let old = ProcParsers.memory("MemTotal: 1000 kB\nMemFree: 200 kB\nBuffers: 100 kB\nCached: 300 kB\nSwapTotal: 50 kB\nSwapFree: 20 kB\n")
        #expect(old.availableBytes == 600 * 1024)
        #expect(old.usedBytes == 400 * 1024)
        #expect(old.swapUsedBytes == 30 * 1024)
        #expect(old.usedPercent == 40)
    }

    @Test func netDevHandlesGluedNamesAndSkipsHeaders() throws {
        let interfaces = ProcParsers.networkDevices(try Fixtures.text("host2/proc/net/dev"))
        #expect(interfaces.map(\.name) == ["eth0", "lo"])
        #expect(interfaces[0].rxBytes == 3_000_000)
        #expect(interfaces[0].txBytes == 2_500_000)
        #expect(interfaces[1].rxBytes == 3193)
    }

    @Test func diskstatsKeepsWholeDisksOnly() throws {
        let disks = ProcParsers.diskStats(try Fixtures.text("host1/proc/diskstats"))
        #expect(disks.map(\.name) == ["nvme0n1", "vda"])
        #expect(disks[1].readBytes == 1000 * 512)
        #expect(disks[1].writtenBytes == 2000 * 512)
        for name in ["sda", "vdb", "nvme0n1", "nvme1n2", "mmcblk0", "xvda"] { #expect(ProcParsers.isWholeDisk(name), "\(name)") }
        for name in ["sda1", "vda15", "nvme0n1p1", "mmcblk0p2", "loop3", "dm-0", "ram0", "zram0", "sr0"] { #expect(!ProcParsers.isWholeDisk(name), "\(name)") }
    }

    @Test func mountsSkipPseudoAndDuplicates() throws {
        let mounts = ProcParsers.mounts(try Fixtures.text("host1/proc/mounts"))
        #expect(mounts.map(\.mountPoint) == ["/", "/mnt/my models", "/var/lib/docker/overlay2/abc/merged"])
        #expect(mounts[1].device == "/dev/nvme0n1p1")
        #expect(mounts[1].fsType == "xfs")
        #expect(ProcParsers.unescapeMount(#"a\040b\011c\134d"#) == "a b\tc\\d")
        #expect(ProcParsers.unescapeMount(#"trailing\04"#) == #"trailing\04"#)
    }

    @Test func processStatWithSpacesAndParenthesesInName() throws {
        let real = try #require(ProcessStat.parse(try Fixtures.text("pid-stat-real.txt")))
        #expect(real.comm == "cp")
        #expect(real.state == "R")
        #expect(real.rssPages == 528)
        #expect(real.startTime == 155_746)

        let weird = try #require(ProcessStat.parse(
            "4242 (my (weird)) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 77 33 0 0 20 0 4 0 9001 123456 2048 18446744073709551615 1 1 0\n"))
        #expect(weird.pid == 4242)
        #expect(weird.comm == "my (weird)) prog")
        #expect(weird.state == "S")
        #expect(weird.ppid == 1)
        #expect(weird.utime == 77)
        #expect(weird.stime == 33)
        #expect(weird.startTime == 9001)
        #expect(weird.rssPages == 2048)
        #expect(ProcessStat.parse("") == nil)
        #expect(ProcessStat.parse("12 (short) S 1 2") == nil)
        #expect(ProcessStat.parse(") 12 (") == nil)
    }

    @Test func processStatus() throws {
        let status = ProcessStatus.parse(try Fixtures.text("pid-status-real.txt"))
        #expect(status.name == "cp")
        #expect(status.state == "R")
        #expect(status.uid == 0)
        #expect((status.rssBytes ?? 0) > 0)
        let odd = ProcessStatus.parse("Name:\tweb (worker) 1\nState:\tS (sleeping)\nUid:\t1000\t1000\t1000\t1000\nThreads:\t7\n")
        #expect(odd.name == "web (worker) 1")
        #expect(odd.uid == 1000)
        #expect(odd.rssBytes == nil)
        #expect(odd.threads == 7)
    }

    @Test func passwdAndUptime() throws {
        let users = ProcParsers.passwd(try Fixtures.text("host1/etc/passwd"))
        #expect(users[0] == "root")
        #expect(users[1000] == "alice")
        #expect(users.count == 3)
        #expect(ProcParsers.uptime("1156.71 2064.60\n") == 1156.71)
        #expect(ProcParsers.uptime("") == nil)
    }

    @Test func numberScanningMatchesSwiftParser() {
        for text in ["0.62", "18.92", "1156.71", "0.00", "12", "-3.5", "1e3", "123456789.123"] {
            var copy = text
            let parsed = copy.withUTF8 { parseDouble($0, 0..<$0.count) }
            #expect(parsed == Double(text), "\(text)")
        }
    }
}
