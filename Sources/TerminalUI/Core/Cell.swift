import Foundation

/// One terminal cell: a grapheme and its style.
///
/// A wide grapheme (two columns) sits in its first cell; the cell to its right is a
/// continuation with an empty `symbol`, which the diff never writes on its own.
///
/// Storage is four `UInt32`s with no padding, so copying, filling and comparing cells are
/// plain integer operations (and rows of cells can be compared as memory):
/// - `code`: the symbol. A single Unicode scalar is stored as its value; the empty symbol
///   (a continuation) is ``Cell/emptyCode``; any other string (a multi-scalar cluster,
///   rare) is interned in a process-wide table and stored as `internBase + index`. Equal
///   strings intern to the same index, so equal symbols have equal codes.
/// - `fgBits`, `bgBits`: the colours, packed by ``Cell/pack(_:)``.
/// - `modBits`: the modifiers' raw value.
public struct Cell: Hashable, Sendable {
    @usableFromInline var code: UInt32
    @usableFromInline var fgBits: UInt32
    @usableFromInline var bgBits: UInt32
    @usableFromInline var modBits: UInt32

    /// `code` of the empty symbol (a continuation cell).
    @usableFromInline static let emptyCode: UInt32 = 0x11_0000
    /// `code` of the first interned string.
    @usableFromInline static let internBase: UInt32 = 0x11_0001

    public init(_ symbol: String = " ", fg: Color = .default, bg: Color = .default, modifiers: Modifier = []) {
        self.code = Cell.code(of: symbol)
        self.fgBits = Cell.pack(fg)
        self.bgBits = Cell.pack(bg)
        self.modBits = UInt32(modifiers.rawValue)
    }

    /// A cell showing one scalar (the caller knows it is a whole grapheme).
    @inline(__always)
    init(scalarValue: UInt32, fgBits: UInt32, bgBits: UInt32, modBits: UInt32) {
        self.code = scalarValue
        self.fgBits = fgBits
        self.bgBits = bgBits
        self.modBits = modBits
    }

    public static let blank = Cell()

    /// The grapheme shown in the cell; empty for a continuation.
    public var symbol: String {
        get {
            if code < Cell.emptyCode { return String(Character(Unicode.Scalar(code)!)) }
            if code == Cell.emptyCode { return "" }
            return SymbolTable.shared.string(at: Int(code - Cell.internBase))
        }
        set { code = Cell.code(of: newValue) }
    }

    public var fg: Color {
        get { Cell.unpack(fgBits) }
        set { fgBits = Cell.pack(newValue) }
    }

    public var bg: Color {
        get { Cell.unpack(bgBits) }
        set { bgBits = Cell.pack(newValue) }
    }

    public var modifiers: Modifier {
        get { Modifier(rawValue: UInt8(truncatingIfNeeded: modBits)) }
        set { modBits = UInt32(newValue.rawValue) }
    }

    /// True for the right half of a wide grapheme.
    @inlinable
    public var isContinuation: Bool { code == Cell.emptyCode }

    /// The symbol's single scalar, or nil for the empty symbol and multi-scalar clusters.
    @inline(__always)
    var scalar: Unicode.Scalar? { code < Cell.emptyCode ? Unicode.Scalar(code) : nil }

    /// Layers a style patch onto the cell.
    public mutating func apply(_ style: Style) {
        if let fg = style.fg { self.fgBits = Cell.pack(fg) }
        if let bg = style.bg { self.bgBits = Cell.pack(bg) }
        modBits = (modBits & ~UInt32(style.removeModifiers.rawValue)) | UInt32(style.addModifiers.rawValue)
    }

    /// The cell's look as a full style (for comparing and for tests).
    public var style: Style { Style(fg: fg, bg: bg, add: modifiers) }

    public mutating func reset() { self = .blank }

    @inlinable
    public static func == (a: Cell, b: Cell) -> Bool {
        a.code == b.code && a.fgBits == b.fgBits && a.bgBits == b.bgBits && a.modBits == b.modBits
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(fgBits)
        hasher.combine(bgBits)
        hasher.combine(modBits)
    }

    /// The storage code of `symbol`.
    @inline(__always)
    static func code(of symbol: String) -> UInt32 {
        var it = symbol.unicodeScalars.makeIterator()
        guard let first = it.next() else { return emptyCode }
        if it.next() == nil { return first.value }
        return internBase + UInt32(SymbolTable.shared.index(of: symbol))
    }

    /// Colour packing: tag in the top byte (0 default, 1 ansi, 2 indexed, 3 rgb), payload below.
    @inline(__always)
    static func pack(_ c: Color) -> UInt32 {
        switch c {
        case .default: return 0
        case .ansi(let n): return 1 << 24 | UInt32(n)
        case .indexed(let n): return 2 << 24 | UInt32(n)
        case .rgb(let r, let g, let b): return 3 << 24 | UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
        }
    }

    @inline(__always)
    static func unpack(_ bits: UInt32) -> Color {
        switch bits >> 24 {
        case 0: return .default
        case 1: return .ansi(UInt8(truncatingIfNeeded: bits))
        case 2: return .indexed(UInt8(truncatingIfNeeded: bits))
        default: return .rgb(UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits))
        }
    }
}

/// Process-wide table of the multi-scalar symbols cells hold (flags, ZWJ emoji, letters
/// with combining marks). Entries are never removed: a dashboard shows few distinct ones.
final class SymbolTable: @unchecked Sendable {
    // @unchecked Sendable: `strings` and `indices` are only touched with `lock` held.
    static let shared = SymbolTable()
    private let lock = NSLock()
    private var strings: [String] = []
    private var indices: [[UInt8]: Int] = [:]  // keyed by bytes: String == is canonical equivalence

    func index(of s: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let key = Array(s.utf8)
        if let i = indices[key] { return i }
        let i = strings.count
        strings.append(s)
        indices[key] = i
        return i
    }

    func string(at i: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        return strings[i]
    }
}

/// A ``Style`` with its colours packed as ``Cell`` stores them, to layer one style onto
/// many cells without re-packing it for each.
struct PackedStyle {
    let setFg: Bool
    let setBg: Bool
    let fg: UInt32
    let bg: UInt32
    let keep: UInt32
    let add: UInt32

    init(_ style: Style) {
        setFg = style.fg != nil
        setBg = style.bg != nil
        fg = style.fg.map(Cell.pack) ?? 0
        bg = style.bg.map(Cell.pack) ?? 0
        keep = ~UInt32(style.removeModifiers.rawValue)
        add = UInt32(style.addModifiers.rawValue)
    }

    /// Same as `cell.apply(style)`.
    @inline(__always)
    func apply(to cell: inout Cell) {
        if setFg { cell.fgBits = fg }
        if setBg { cell.bgBits = bg }
        cell.modBits = (cell.modBits & keep) | add
    }
}
