// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SparkPlug",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TerminalUI", targets: ["TerminalUI"]),
        .library(name: "SparkCore", targets: ["SparkCore"]),
        .library(name: "SparkMonitor", targets: ["SparkMonitor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    ],
    targets: [
        // Pure rendering, widgets, the ANSI backend and the input decoder. Imports nothing of ours.
        .target(name: "TerminalUI"),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),

        // Value types and ports shared by every module. Imports nothing of ours.
        .target(name: "SparkCore"),

        // Samplers: host (/proc), GPU (NVML at run time, nvidia-smi fallback), inference /metrics.
        .target(
            name: "SparkMonitor",
            dependencies: [
                "SparkCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "SparkMonitorTests",
            dependencies: [
                "SparkCore",
                "SparkMonitor",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
