/// The Lua scripts the Redis bus runs on the server, and the key names they share.
///
/// Why a script for every publish: a message must reach the plain subscribers (PUBLISH), one
/// member of every queue group whose pattern matches, and every stream that captures the
/// subject, and publishers in other processes must see a group or stream the moment it is
/// registered. Running the registry lookup and the writes in one script makes that one round
/// trip, atomic, and never stale (no client-side cache to refresh).
enum RedisKeys {
    static let prefix = "sparkbus:"
    /// Set of "PATTERN STREAM" entries: which subjects each stream captures.
    static let captures = "sparkbus:captures"
    /// Set of stream names.
    static let streams = "sparkbus:streams"
    /// Set of "PATTERN GROUP" entries: the queue groups that have members.
    static let queues = "sparkbus:queues"
    /// Hash of a stream's config.
    static func config(_ stream: String) -> String { "sparkbus:stream:\(stream)" }
    /// The Redis stream holding a durable stream's messages.
    static func stream(_ stream: String) -> String { "sparkbus:s:\(stream)" }
    /// The Redis stream holding a durable stream's dead letters.
    static func dead(_ stream: String) -> String { "sparkbus:dead:\(stream)" }
    /// Hash consumer group -> redeliveries so far.
    static func redeliveries(_ stream: String) -> String { "sparkbus:redeliveries:\(stream)" }
    /// Sorted set of a queue group's members, scored by when their registration expires (ms).
    static func queueMembers(_ group: String) -> String { "sparkbus:qm:\(group)" }
    /// The list a queue group's members pop from.
    static func queueList(_ group: String) -> String { "sparkbus:q:\(group)" }
}

enum RedisScripts {
    /// ARGV: subject, bare envelope (for PUBLISH), envelope with subject (lists, streams),
    /// "1" for a durable publish. Returns {receivers, stream, id, stream, id, ...}, or {-1} for a
    /// durable publish no stream captures (then nothing is published).
    static let publish = """
        local subject = ARGV[1]
        local function matches(s, p)
          local st = {}
          for t in string.gmatch(s, '[^.]+') do st[#st + 1] = t end
          local i = 0
          for t in string.gmatch(p, '[^.]+') do
            i = i + 1
            if t == '>' then return #st >= i end
            if i > #st then return false end
            if t ~= '*' and t ~= st[i] then return false end
          end
          return #st == i
        end
        local out = {0}
        local seen = {}
        for _, c in ipairs(redis.call('SMEMBERS', 'sparkbus:captures')) do
          local sp = string.find(c, ' ', 1, true)
          local stream = string.sub(c, sp + 1)
          if not seen[stream] and matches(subject, string.sub(c, 1, sp - 1)) then
            seen[stream] = true
            local maxlen = tonumber(redis.call('HGET', 'sparkbus:stream:' .. stream, 'maxMessages') or '0') or 0
            local id
            if maxlen > 0 then
              id = redis.call('XADD', 'sparkbus:s:' .. stream, 'MAXLEN', maxlen, '*', 'm', ARGV[3])
            else
              id = redis.call('XADD', 'sparkbus:s:' .. stream, '*', 'm', ARGV[3])
            end
            out[#out + 1] = stream
            out[#out + 1] = id
          end
        end
        if ARGV[4] == '1' and #out == 1 then return {-1} end
        local n = redis.call('PUBLISH', subject, ARGV[2])
        local groups = redis.call('SMEMBERS', 'sparkbus:queues')
        if #groups > 0 then
          local now = redis.call('TIME')
          local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
          for _, g in ipairs(groups) do
            local sp = string.find(g, ' ', 1, true)
            if matches(subject, string.sub(g, 1, sp - 1)) then
              local members = 'sparkbus:qm:' .. g
              redis.call('ZREMRANGEBYSCORE', members, '-inf', ms)
              if redis.call('ZCARD', members) == 0 then
                redis.call('SREM', 'sparkbus:queues', g)
                redis.call('DEL', 'sparkbus:q:' .. g)
              else
                redis.call('RPUSH', 'sparkbus:q:' .. g, ARGV[3])
                redis.call('LTRIM', 'sparkbus:q:' .. g, -65536, -1)
                n = n + 1
              end
            end
          end
        end
        out[1] = n
        return out
        """

    /// Registers (or renews) a queue group member. KEYS[1]: the group's member set.
    /// ARGV: member id, lifetime in ms, "PATTERN GROUP".
    static let registerMember = """
        local now = redis.call('TIME')
        local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
        redis.call('SADD', 'sparkbus:queues', ARGV[3])
        return 1
        """

    /// Removes a member; the last one out removes the group and its list.
    /// KEYS[1]: member set, KEYS[2]: list. ARGV: member id, "PATTERN GROUP".
    static let unregisterMember = """
        redis.call('ZREM', KEYS[1], ARGV[1])
        if redis.call('ZCARD', KEYS[1]) == 0 then
          redis.call('SREM', 'sparkbus:queues', ARGV[2])
          redis.call('DEL', KEYS[2])
        end
        return 1
        """
}
