/// Terminal column widths of text, grapheme by grapheme.
///
/// No package on our mirror computes `wcwidth`, so this is written by hand (see
/// docs/DECISIONS.md). The rules follow what xterm-compatible terminals do: East Asian
/// Wide and Fullwidth characters and emoji shown in emoji presentation take two columns;
/// combining marks, format characters and controls take none; everything else one.
public enum DisplayWidth {
    /// Width of one grapheme cluster (0, 1 or 2).
    public static func of(_ ch: Character) -> Int {
        if ch.isASCII {
            guard let v = ch.asciiValue else { return 1 }  // "\r\n" is not ASCII-valued
            return (v < 0x20 || v == 0x7F) ? 0 : 1
        }
        // One pass over the scalars (no count, no re-walk): box drawing and braille, which
        // fill most of a dashboard, are single scalars and leave after one step.
        var scalars = ch.unicodeScalars.makeIterator()
        guard let first = scalars.next() else { return 0 }
        // An emoji variation selector or a ZWJ/skin-tone sequence makes the cluster an emoji.
        while let s = scalars.next() {
            if s.value == 0xFE0F || s.value == 0x200D || (0x1F3FB...0x1F3FF).contains(s.value) {
                return 2
            }
        }
        return of(scalar: first)
    }

    /// Width of one scalar on its own.
    public static func of(scalar s: Unicode.Scalar) -> Int {
        let v = s.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if v < 0x300 { return 1 }
        // Box drawing, block elements, geometric shapes up to U+25FC, and braille: narrow
        // symbols (no marks, none East Asian Wide or emoji-presentation), answered without
        // the Unicode property look-ups below.
        if (0x2500...0x25FC).contains(v) || (0x2800...0x28FF).contains(v) { return 1 }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B || (0x1160...0x11FF).contains(v) { return 0 }
        if isWide(v) { return 2 }
        if s.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// True when every byte of `s` is printable ASCII (U+0020...U+007E): one grapheme and
    /// one column per byte.
    @inlinable
    public static func isPrintableASCII(_ s: String) -> Bool {
        for byte in s.utf8 where byte &- 0x20 >= 0x5F { return false }
        return true
    }

    /// True for scalars that always form a grapheme cluster of their own (none of them
    /// extends or joins a cluster, and none of them is extended here because every scalar
    /// of the string is checked): Latin below the combining marks, general punctuation
    /// U+2010...U+2027, arrows, box drawing, block elements, geometric shapes up to U+25FC,
    /// supplemental arrows-A and braille. CR LF is one cluster but both are zero-width.
    @inline(__always)
    static func isStandalone(_ v: UInt32) -> Bool {
        v < 0x300 || (0x2010...0x2027).contains(v) || (0x2190...0x21FF).contains(v) || (0x2500...0x25FC).contains(v)
            || (0x27F0...0x27FF).contains(v) || (0x2800...0x28FF).contains(v)
    }

    /// True when every scalar of `s` is ``isStandalone(_:)``: its Characters are its scalars,
    /// each as wide as ``of(scalar:)`` says.
    public static func isStandaloneScalars(_ s: String) -> Bool {
        for scalar in s.unicodeScalars where !isStandalone(scalar.value) { return false }
        return true
    }

    /// Width of a whole string.
    public static func of(_ s: String) -> Int {
        if isPrintableASCII(s) { return s.utf8.count }
        if isStandaloneScalars(s) {
            var w = 0
            for scalar in s.unicodeScalars { w += of(scalar: scalar) }
            return w
        }
        var w = 0
        for ch in s { w += of(ch) }
        return w
    }

    /// `of(s)` when that is at most `limit`, otherwise some value above `limit`: reads `s`
    /// only as far as it takes to tell whether it fits in `limit` columns (a process's
    /// command line can be many kilobytes).
    public static func width(of s: String, cappedAt limit: Int) -> Int {
        var w = 0
        var ascii = true
        for byte in s.utf8 {
            if byte &- 0x20 >= 0x5F {
                ascii = false
                break
            }
            w += 1
            if w > limit { return w }
        }
        if ascii { return w }
        w = 0
        for ch in s {
            w += of(ch)
            if w > limit { return w }
        }
        return w
    }

    /// The longest prefix of `s` that fits in `columns`, and its width.
    public static func prefix(_ s: String, fitting columns: Int) -> (String, Int) {
        // Printable ASCII up to `columns` bytes, followed by nothing or by another printable
        // ASCII byte (which cannot extend the last grapheme and starts one that does not
        // fit; a zero-width control there would belong to the prefix): that many bytes.
        let n = max(0, columns)
        var count = 0
        var asciiPrefix = true
        for byte in s.utf8 {
            if count == n {
                asciiPrefix = byte &- 0x20 < 0x5F
                break
            }
            if byte &- 0x20 >= 0x5F {
                asciiPrefix = false
                break
            }
            count += 1
        }
        if asciiPrefix {
            if count == s.utf8.count { return (s, count) }
            return (String(s.utf8.prefix(count))!, count)
        }
        var w = 0
        var end = s.startIndex
        for idx in s.indices {
            let cw = of(s[idx])
            if w + cw > columns { break }
            w += cw
            end = s.index(after: idx)
        }
        return (String(s[..<end]), w)
    }

    /// `s` cut to `columns`, with an ellipsis when it had to be cut.
    public static func truncate(_ s: String, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        if width(of: s, cappedAt: columns) <= columns { return s }
        let (head, _) = prefix(s, fitting: columns - 1)
        return head + "…"
    }

    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
            0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1,
            0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA,
            0x26F2...0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C,
            0x274E, 0x2753...0x2755, 0x2757, 0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C,
            0x2B50, 0x2B55, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
            0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18AFF,
            0x1B000...0x1B2FF, 0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251,
            0x1F300...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393,
            0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4, 0x1F3F8...0x1F43E,
            0x1F440, 0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567,
            0x1F57A, 0x1F595...0x1F596, 0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC,
            0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7, 0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC,
            0x1F7E0...0x1F7EB, 0x1F90C...0x1F93A, 0x1F93C...0x1F945, 0x1F947...0x1F9FF,
            0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
