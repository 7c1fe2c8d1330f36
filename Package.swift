// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SparkPlug",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TerminalUI", targets: ["TerminalUI"]),
    ],
    dependencies: [],
    targets: [
        // Pure rendering, widgets, the ANSI backend and the input decoder. Imports nothing of ours.
        .target(name: "TerminalUI"),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        // The terminal app: state, screens, command palette, key map, themes.
        .target(name: "SparkUI", dependencies: ["TerminalUI"]),
        .testTarget(name: "SparkUITests", dependencies: ["SparkUI", "TerminalUI"]),
    ],
    swiftLanguageModes: [.v6]
)
