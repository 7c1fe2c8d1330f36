// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SparkPlug",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sparkplug", targets: ["sparkplug"]),
        .library(name: "TerminalUI", targets: ["TerminalUI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Pure rendering, widgets, the ANSI backend and the input decoder. Imports nothing of ours.
        .target(name: "TerminalUI"),
        // The terminal app: state, actions, reducer, screens, command palette, themes.
        .target(name: "SparkUI", dependencies: ["TerminalUI"]),
        // Commands, configuration and wiring of concrete adapters; the executable is a thin main.
        .target(
            name: "SparkCLI",
            dependencies: [
                "TerminalUI",
                "SparkUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "sparkplug", dependencies: ["SparkCLI"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        .testTarget(name: "SparkUITests", dependencies: ["SparkUI", "TerminalUI"]),
        .testTarget(name: "SparkCLITests", dependencies: ["SparkCLI"]),
    ],
    swiftLanguageModes: [.v6]
)
