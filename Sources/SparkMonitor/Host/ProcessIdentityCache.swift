/// What the sampler keeps about each live process between samples, so a process's owner
/// and command line are looked up once rather than every second.
///
/// A process is identified by its pid, its start time (a reused pid starts later) and its
/// kernel short name (`comm` changes on `exec`, which may also change the command line and
/// the effective user). When any of them differs, the entry is replaced and both are looked
/// up again. Entries of pids not seen in a sample are evicted by ``evictUnseen()``.
struct ProcessIdentityCache {
    struct Entry {
        var startTime: UInt64
        var comm: String
        var uid: UInt32?
        /// nil: not read yet; `.some(nil)`: read, no command line (kernel thread, zombie).
        var command: String??
        var seen: UInt64
    }

    private(set) var entries: [Int32: Entry] = [:]
    private var generation: UInt64 = 0

    /// Starts a sample: entries not touched from now until ``evictUnseen()`` go.
    mutating func beginSample() { generation &+= 1 }

    /// The owner of the process, from the cache or from `lookup` for a new process.
    mutating func uid(pid: Int32, startTime: UInt64, comm: String, lookup: () -> UInt32?) -> UInt32? {
        if let index = entries.index(forKey: pid) {
            let same = entries.values[index].startTime == startTime && entries.values[index].comm == comm
            if same {
                entries.values[index].seen = generation
                return entries.values[index].uid
            }
        }
        let uid = lookup()
        entries[pid] = Entry(startTime: startTime, comm: comm, uid: uid, command: nil, seen: generation)
        return uid
    }

    /// The command line of a process registered by ``uid(pid:startTime:comm:lookup:)`` in this
    /// sample, read with `read` the first time it is asked for; `read` is called every time
    /// for an unknown pid.
    mutating func command(pid: Int32, read: () -> String?) -> String? {
        guard let index = entries.index(forKey: pid) else { return read() }
        if let cached = entries.values[index].command { return cached }
        let command = read()
        entries.values[index].command = .some(command)
        return command
    }

    /// Drops the entries of processes not seen since ``beginSample()``.
    mutating func evictUnseen() {
        let generation = self.generation
        if entries.values.contains(where: { $0.seen != generation }) {
            entries = entries.filter { $0.value.seen == generation }
        }
    }
}
