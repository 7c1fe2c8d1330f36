/// Turns the bytes a terminal sends into ``InputEvent``s.
///
/// A value-type state machine with no I/O: feed it bytes as they arrive, in any chunks,
/// and it returns the events that are complete. Bytes that may be the start of a longer
/// sequence (an escape, a split UTF-8 character, a CSI sequence) are kept until more
/// arrive. A lone `ESC` is ambiguous (the Esc key, or the start of a sequence), so the
/// reader calls ``flushPending()`` when no byte followed within the escape timeout
/// (about 30 ms): a lone `ESC` becomes `.esc`, `ESC` + a character becomes Alt+character.
///
/// Decoded: UTF-8 text; C0 controls (Enter as `\r` or `\n`, Tab, Backspace as 0x7F or
/// 0x08, Ctrl-letter as the letter + `.ctrl`); CSI and SS3 keys with xterm modifier
/// parameters (`ESC[1;5A` is Ctrl-Up); `ESC[Z`; Alt as an `ESC` prefix; SGR mouse
/// (`ESC[<b;x;yM` / `m`); bracketed paste (`ESC[200~` … `ESC[201~`, verbatim, across
/// feeds); focus (`ESC[I` / `ESC[O`); kitty's `CSI code;mods u` keys. Unknown or
/// malformed sequences are dropped without losing the bytes that follow them.
///
/// Internal buffers are bounded: a sequence longer than ``maxSequenceLength`` is dropped,
/// and a paste longer than `maxPasteBytes` is delivered in several `.paste` events.
public struct InputDecoder: Sendable {
    /// The longest escape sequence kept while waiting for its end.
    public static let maxSequenceLength = 64

    /// The most bytes of a bracketed paste held before a `.paste` event is emitted early.
    public let maxPasteBytes: Int

    var pending: [UInt8] = []
    var inPaste = false
    var paste: [UInt8] = []

    /// A decoder; a bracketed paste larger than `maxPasteBytes` arrives in pieces.
    public init(maxPasteBytes: Int = 1 << 20) {
        self.maxPasteBytes = max(16, maxPasteBytes)
    }

    /// True when the decoder holds an `ESC` that may start a sequence; the reader should
    /// call ``flushPending()`` if nothing more arrives within the escape timeout.
    public var hasPendingEscape: Bool { !inPaste && pending.first == 0x1B }

    /// True while inside a bracketed paste.
    public var isInPaste: Bool { inPaste }

    /// Bytes held internally (for tests of boundedness).
    var bufferedByteCount: Int { pending.count + paste.count }

    /// Decodes `bytes`, returning every event they complete.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [InputEvent] {
        pending.append(contentsOf: bytes)
        var events: [InputEvent] = []
        process(into: &events, atTimeout: false)
        return events
    }

    /// Resolves a pending escape after the escape timeout: a lone `ESC` becomes `.esc`,
    /// `ESC` + character becomes Alt+character, an unfinished sequence is dropped.
    /// A split UTF-8 character and an unfinished paste are kept.
    public mutating func flushPending() -> [InputEvent] {
        var events: [InputEvent] = []
        process(into: &events, atTimeout: true)
        return events
    }

    // MARK: - Driver

    enum Step {
        case event(InputEvent?, consumed: Int)
        case pasteStart(consumed: Int)
        case incomplete
    }

    private static let pasteEnd: [UInt8] = Array("\u{1B}[201~".utf8)

    private mutating func process(into events: inout [InputEvent], atTimeout: Bool) {
        var i = 0
        let count = pending.count
        while i < count {
            if inPaste {
                i = consumePaste(from: i, into: &events)
                if inPaste { break }
                continue
            }
            switch parse(at: i, atTimeout: atTimeout) {
            case .event(let ev, let n):
                if let ev { events.append(ev) }
                i += n
            case .pasteStart(let n):
                inPaste = true
                paste.removeAll(keepingCapacity: true)
                i += n
            case .incomplete:
                if count - i > Self.maxSequenceLength {
                    i += 1  // cannot happen for well-formed input; never hold more
                } else {
                    pending.removeFirst(i)
                    return
                }
            }
        }
        pending.removeFirst(i)
    }

    /// Moves paste bytes from `pending[start...]` into `paste`; on the terminator emits
    /// the paste and leaves paste mode. Returns the index after what was consumed.
    private mutating func consumePaste(from start: Int, into events: inout [InputEvent]) -> Int {
        let end = Self.pasteEnd
        let count = pending.count
        var j = start
        while j < count {
            if pending[j] == 0x1B {
                var k = 0
                while k < end.count, j + k < count, pending[j + k] == end[k] { k += 1 }
                if k == end.count {
                    paste.append(contentsOf: pending[start..<j])
                    events.append(.paste(String(decoding: paste, as: UTF8.self)))
                    paste.removeAll(keepingCapacity: false)
                    inPaste = false
                    return j + end.count
                }
                if j + k == count {
                    // A possible terminator cut by the end of the feed: keep it pending.
                    paste.append(contentsOf: pending[start..<j])
                    spillPasteIfLarge(into: &events)
                    return j
                }
            }
            j += 1
        }
        paste.append(contentsOf: pending[start..<count])
        spillPasteIfLarge(into: &events)
        return count
    }

    private mutating func spillPasteIfLarge(into events: inout [InputEvent]) {
        guard paste.count >= maxPasteBytes else { return }
        let cut = Self.utf8Boundary(paste)
        events.append(.paste(String(decoding: paste[..<cut], as: UTF8.self)))
        paste.removeFirst(cut)
    }

    /// The length of the longest prefix of `bytes` that does not end inside a UTF-8 character.
    static func utf8Boundary(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var p = n - 1
        while p >= 0, p >= n - 4 {
            let b = bytes[p]
            if b & 0xC0 != 0x80 {
                let need = utf8Length(lead: b)
                return (need > 0 && p + need > n) ? p : n
            }
            p -= 1
        }
        return n
    }

    static func utf8Length(lead b: UInt8) -> Int {
        switch b {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 0
        }
    }

    // MARK: - One event

    private func parse(at i: Int, atTimeout: Bool) -> Step {
        let b = pending[i]
        if b == 0x1B { return parseEscape(at: i, atTimeout: atTimeout) }
        return parsePlain(at: i)
    }

    /// A control byte, ASCII or one UTF-8 character (no escapes).
    private func parsePlain(at i: Int) -> Step {
        let b = pending[i]
        if b < 0x20 || b == 0x7F { return .event(Self.controlKey(b).map(InputEvent.key), consumed: 1) }
        if b < 0x80 { return .event(.key(KeyEvent(.char(Character(Unicode.Scalar(b))))), consumed: 1) }
        let len = Self.utf8Length(lead: b)
        guard len > 1 else { return .event(nil, consumed: 1) }
        let available = pending.count - i
        for k in 1..<min(len, available) {
            let c = pending[i + k]
            guard Self.validContinuation(lead: b, index: k, byte: c) else { return .event(nil, consumed: 1) }
        }
        if available < len { return .incomplete }
        var v = UInt32(b) & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07)
        for k in 1..<len { v = v << 6 | UInt32(pending[i + k] & 0x3F) }
        guard let scalar = Unicode.Scalar(v) else { return .event(nil, consumed: len) }
        return .event(.key(KeyEvent(.char(Character(scalar)))), consumed: len)
    }

    static func validContinuation(lead: UInt8, index: Int, byte: UInt8) -> Bool {
        if index == 1 {
            switch lead {
            case 0xE0: return (0xA0...0xBF).contains(byte)
            case 0xED: return (0x80...0x9F).contains(byte)
            case 0xF0: return (0x90...0xBF).contains(byte)
            case 0xF4: return (0x80...0x8F).contains(byte)
            default: break
            }
        }
        return byte & 0xC0 == 0x80
    }

    /// The key a C0 control byte (or DEL) stands for.
    static func controlKey(_ b: UInt8) -> KeyEvent? {
        switch b {
        case 0x0D, 0x0A: return KeyEvent(.enter)
        case 0x09: return KeyEvent(.tab)
        case 0x7F, 0x08: return KeyEvent(.backspace)
        case 0x1B: return KeyEvent(.esc)
        case 0x00: return KeyEvent(.char(" "), modifiers: .ctrl)
        case 0x01...0x1A: return KeyEvent(.char(Character(Unicode.Scalar(b + 0x60))), modifiers: .ctrl)
        case 0x1C...0x1F: return KeyEvent(.char(Character(Unicode.Scalar(b + 0x40))), modifiers: .ctrl)
        default: return nil
        }
    }

    private func parseEscape(at i: Int, atTimeout: Bool) -> Step {
        let count = pending.count
        guard i + 1 < count else {
            return atTimeout ? .event(.key(KeyEvent(.esc)), consumed: 1) : .incomplete
        }
        let n = pending[i + 1]
        switch n {
        case UInt8(ascii: "["):
            return parseCSI(at: i, atTimeout: atTimeout)
        case UInt8(ascii: "O"):
            guard i + 2 < count else {
                return atTimeout ? .event(.key(KeyEvent(.char("O"), modifiers: .alt)), consumed: 2) : .incomplete
            }
            if let code = Self.ss3Key(pending[i + 2]) {
                return .event(.key(KeyEvent(code)), consumed: 3)
            }
            return .event(.key(KeyEvent(.char("O"), modifiers: .alt)), consumed: 2)
        case 0x1B:
            return .event(.key(KeyEvent(.esc)), consumed: 1)
        default:
            switch parsePlain(at: i + 1) {
            case .event(let ev?, let consumed):
                if case .key(var key) = ev {
                    key.modifiers.insert(.alt)
                    return .event(.key(key), consumed: consumed + 1)
                }
                return .event(.key(KeyEvent(.esc)), consumed: 1)
            case .event(nil, _), .pasteStart:
                return .event(.key(KeyEvent(.esc)), consumed: 1)
            case .incomplete:
                return atTimeout ? .event(.key(KeyEvent(.esc)), consumed: 1) : .incomplete
            }
        }
    }

    static func ss3Key(_ b: UInt8) -> KeyCode? {
        switch b {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "P"): return .f(1)
        case UInt8(ascii: "Q"): return .f(2)
        case UInt8(ascii: "R"): return .f(3)
        case UInt8(ascii: "S"): return .f(4)
        case UInt8(ascii: "M"): return .enter
        default: return nil
        }
    }

    private func parseCSI(at i: Int, atTimeout: Bool) -> Step {
        let count = pending.count
        let j = i + 2
        guard j < count else {
            return atTimeout ? .event(.key(KeyEvent(.char("["), modifiers: .alt)), consumed: 2) : .incomplete
        }
        // Linux console: ESC [ [ A..E are F1..F5.
        if pending[j] == UInt8(ascii: "[") {
            guard j + 1 < count else { return atTimeout ? .event(nil, consumed: 3) : .incomplete }
            let c = pending[j + 1]
            if (UInt8(ascii: "A")...UInt8(ascii: "E")).contains(c) {
                return .event(.key(KeyEvent(.f(Int(c - UInt8(ascii: "A")) + 1))), consumed: 4)
            }
            return .event(nil, consumed: 3)
        }
        var k = j
        while k < count {
            let c = pending[k]
            if k - i >= Self.maxSequenceLength { return .event(nil, consumed: k - i) }
            switch c {
            case 0x20...0x3F:
                k += 1
            case 0x40...0x7E:
                let event = Self.decodeCSI(params: pending[j..<k], final: c)
                return event.map { step in
                    switch step {
                    case .pasteStart: return .pasteStart(consumed: k - i + 1)
                    case .event(let ev): return .event(ev, consumed: k - i + 1)
                    }
                } ?? .event(nil, consumed: k - i + 1)
            default:
                // Not part of a CSI sequence: drop what came before, keep this byte.
                return .event(nil, consumed: k - i)
            }
        }
        return atTimeout ? .event(nil, consumed: count - i) : .incomplete
    }

    enum CSIResult {
        case event(InputEvent)
        case pasteStart
    }

    /// Numeric parameters separated by `;` (sub-parameters after `:` ignored).
    static func numbers(_ params: ArraySlice<UInt8>) -> [Int]? {
        var result: [Int] = []
        var current: Int? = nil
        var inSub = false
        for b in params {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !inSub { current = min(1_000_000, (current ?? 0) * 10 + Int(b - 0x30)) }
            case UInt8(ascii: ";"):
                result.append(current ?? 0)
                current = nil
                inSub = false
            case UInt8(ascii: ":"):
                inSub = true
            default:
                return nil
            }
        }
        if current != nil || !result.isEmpty { result.append(current ?? 0) }
        return result
    }

    static func decodeCSI(params: ArraySlice<UInt8>, final: UInt8) -> CSIResult? {
        if params.first == UInt8(ascii: "<") {
            guard final == UInt8(ascii: "M") || final == UInt8(ascii: "m"),
                let p = numbers(params.dropFirst()), p.count == 3
            else { return nil }
            return decodeMouse(p[0], p[1], p[2], released: final == UInt8(ascii: "m")).map { .event(.mouse($0)) }
        }
        guard let p = numbers(params) else { return nil }  // private (`?`, `>`) replies and intermediates
        let mods = p.count >= 2 ? KeyModifiers(xtermParameter: p[1]) : []
        func key(_ code: KeyCode) -> CSIResult { .event(.key(KeyEvent(code, modifiers: mods))) }
        switch final {
        case UInt8(ascii: "A"): return key(.up)
        case UInt8(ascii: "B"): return key(.down)
        case UInt8(ascii: "C"): return key(.right)
        case UInt8(ascii: "D"): return key(.left)
        case UInt8(ascii: "H"): return key(.home)
        case UInt8(ascii: "F"): return key(.end)
        case UInt8(ascii: "P"): return key(.f(1))
        case UInt8(ascii: "Q"): return key(.f(2))
        case UInt8(ascii: "R"): return key(.f(3))
        case UInt8(ascii: "S"): return key(.f(4))
        case UInt8(ascii: "Z"): return .event(.key(KeyEvent(.backTab, modifiers: mods.subtracting(.shift))))
        case UInt8(ascii: "I") where p.isEmpty: return .event(.focusGained)
        case UInt8(ascii: "O") where p.isEmpty: return .event(.focusLost)
        case UInt8(ascii: "~"):
            guard let first = p.first else { return nil }
            switch first {
            case 1, 7: return key(.home)
            case 2: return key(.insert)
            case 3: return key(.delete)
            case 4, 8: return key(.end)
            case 5: return key(.pageUp)
            case 6: return key(.pageDown)
            case 11...15: return key(.f(first - 10))
            case 17...21: return key(.f(first - 11))
            case 23...26: return key(.f(first - 12))
            case 28, 29: return key(.f(first - 13))
            case 31...34: return key(.f(first - 14))
            case 200: return .pasteStart
            default: return nil
            }
        case UInt8(ascii: "u"):
            guard let first = p.first else { return nil }
            let code: KeyCode
            switch first {
            case 13: code = .enter
            case 9: code = .tab
            case 27: code = .esc
            case 127, 8: code = .backspace
            default:
                guard first >= 0x20, let s = Unicode.Scalar(UInt32(first)) else { return nil }
                code = .char(Character(s))
            }
            return key(code)
        default:
            return nil
        }
    }

    static func decodeMouse(_ b: Int, _ x: Int, _ y: Int, released: Bool) -> MouseEvent? {
        guard b & 128 == 0 else { return nil }  // buttons 8-11
        var mods: KeyModifiers = []
        if b & 4 != 0 { mods.insert(.shift) }
        if b & 8 != 0 { mods.insert(.alt) }
        if b & 16 != 0 { mods.insert(.ctrl) }
        let base = b & 3
        let button: MouseButton? = base == 0 ? .left : base == 1 ? .middle : base == 2 ? .right : nil
        let kind: MouseEvent.Kind
        if b & 64 != 0 {
            switch base {
            case 0: kind = .scrollUp
            case 1: kind = .scrollDown
            default: return nil  // horizontal wheel
            }
        } else if b & 32 != 0 {
            kind = button.map(MouseEvent.Kind.drag) ?? .moved
        } else if let button {
            kind = released ? .release(button) : .press(button)
        } else {
            return nil
        }
        return MouseEvent(kind: kind, x: max(0, x - 1), y: max(0, y - 1), modifiers: mods)
    }
}
