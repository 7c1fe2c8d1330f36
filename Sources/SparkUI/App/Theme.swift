import TerminalUI

/// The colours of the app. Every screen takes its colours from here, never from literals.
public struct Theme: Hashable, Sendable {
    public var name: String
    public var text: Style
    public var dim: Style
    public var accent: Color
    public var border: Style
    public var borderFocused: Style
    public var title: Style
    public var header: Style
    public var footer: Style
    public var key: Style
    public var selection: Style
    public var ok: Color
    public var warn: Color
    public var critical: Color
    public var series1: Color
    public var series2: Color

    /// The theme named `name` (`dark`, `light` or `mono`); `dark` for anything else.
    public static func named(_ name: String) -> Theme {
        switch name {
        case "light": return .light
        case "mono": return .mono
        default: return .dark
        }
    }

    /// The names of the themes, in the order `t` cycles them.
    public static let names = ["dark", "light", "mono"]

    public static let dark = Theme(
        name: "dark",
        text: Style(fg: .rgb(0xD8, 0xDE, 0xE9)),
        dim: Style(fg: .rgb(0x6B, 0x73, 0x85)),
        accent: .rgb(0xF5, 0xA9, 0x3B),
        border: Style(fg: .rgb(0x4C, 0x56, 0x6A)),
        borderFocused: Style(fg: .rgb(0xF5, 0xA9, 0x3B)),
        title: Style(fg: .rgb(0x88, 0xC0, 0xD0), add: .bold),
        header: Style(fg: .rgb(0xEC, 0xEF, 0xF4), bg: .rgb(0x2E, 0x34, 0x40)),
        footer: Style(fg: .rgb(0x8F, 0x99, 0xAB), bg: .rgb(0x2E, 0x34, 0x40)),
        key: Style(fg: .rgb(0xF5, 0xA9, 0x3B), add: .bold),
        selection: Style(fg: .rgb(0xEC, 0xEF, 0xF4), bg: .rgb(0x43, 0x4C, 0x5E), add: .bold),
        ok: .rgb(0xA3, 0xBE, 0x8C), warn: .rgb(0xEB, 0xCB, 0x8B), critical: .rgb(0xBF, 0x61, 0x6A),
        series1: .rgb(0x88, 0xC0, 0xD0), series2: .rgb(0xB4, 0x8E, 0xAD))

    public static let light = Theme(
        name: "light",
        text: Style(fg: .rgb(0x2E, 0x34, 0x40)),
        dim: Style(fg: .rgb(0x7B, 0x83, 0x94)),
        accent: .rgb(0xC2, 0x5E, 0x00),
        border: Style(fg: .rgb(0xA0, 0xA8, 0xB8)),
        borderFocused: Style(fg: .rgb(0xC2, 0x5E, 0x00)),
        title: Style(fg: .rgb(0x1D, 0x5D, 0x8C), add: .bold),
        header: Style(fg: .rgb(0x2E, 0x34, 0x40), bg: .rgb(0xD8, 0xDE, 0xE9)),
        footer: Style(fg: .rgb(0x4C, 0x56, 0x6A), bg: .rgb(0xD8, 0xDE, 0xE9)),
        key: Style(fg: .rgb(0xC2, 0x5E, 0x00), add: .bold),
        selection: Style(fg: .rgb(0x00, 0x00, 0x00), bg: .rgb(0xC8, 0xD6, 0xE8), add: .bold),
        ok: .rgb(0x2E, 0x7D, 0x32), warn: .rgb(0xB2, 0x6A, 0x00), critical: .rgb(0xC6, 0x28, 0x28),
        series1: .rgb(0x1D, 0x5D, 0x8C), series2: .rgb(0x8E, 0x24, 0xAA))

    /// No colours at all: attributes only, for `NO_COLOR` terminals and people who prefer it.
    public static let mono = Theme(
        name: "mono",
        text: .plain, dim: Style(add: .dim), accent: .default,
        border: Style(add: .dim), borderFocused: Style(add: .bold), title: Style(add: .bold),
        header: Style(add: .reverse), footer: Style(add: .reverse), key: Style(add: .bold),
        selection: Style(add: .reverse), ok: .default, warn: .default, critical: .default,
        series1: .default, series2: .default)

    /// Green, yellow or red for a percentage (at 70 and 90).
    public func level(_ percent: Double) -> Color {
        percent >= 90 ? critical : percent >= 70 ? warn : ok
    }

    /// Style for a percentage; mono uses bold for the high band.
    public func levelStyle(_ percent: Double) -> Style {
        if name == "mono" { return percent >= 90 ? Style(add: .bold) : .plain }
        return Style(fg: level(percent))
    }
}
