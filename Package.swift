// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SparkPlug",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sparkplug", targets: ["sparkplug"]),
        .library(name: "TerminalUI", targets: ["TerminalUI"]),
        .executable(name: "sparkplug-bench", targets: ["SparkBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Pure rendering, widgets, the ANSI backend and the input decoder. Imports nothing of ours.
        .target(name: "TerminalUI"),
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
        // OpenAI-compatible model client (chat, SSE streaming, tools, embeddings, retries) and the
        // managed local llama-server.
        .target(
            name: "SparkLLM",
            dependencies: [
                "SparkCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Resources")]
        ),
        // SQLite through GRDB: migrations, runs and their events, the agent registry.
        .target(name: "SparkStore", dependencies: ["SparkCore", .product(name: "GRDB", package: "GRDB.swift")]),
        // The control plane: agent loop with tool calling, tools, tasks, crews, CrewAI YAML, supervisor.
        .target(name: "SparkEngine", dependencies: ["SparkCore", .product(name: "Yams", package: "Yams")]),
        // Long-term memory with Mem0's semantics: vector indexes (exact, HNSW), the memory service.
        .target(name: "SparkMemory", dependencies: ["SparkCore", .product(name: "Crypto", package: "swift-crypto")]),
        // Message buses behind SparkCore's MessageBus: in-process, Redis (RESP over SwiftNIO), NATS
        // (over SwiftNIO, JetStream for durable streams).
        .target(
            name: "SparkBus",
            dependencies: [
                "SparkCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // Fakes for tests and benchmarks: a scripted chat model, an in-memory run store, a manual clock.
        .target(name: "SparkTesting", dependencies: ["SparkCore"]),
        // The terminal app: state, actions, reducer, screens, command palette, themes.
        .target(name: "SparkUI", dependencies: ["TerminalUI", "SparkCore"]),
        // Commands, configuration and wiring of concrete adapters; the executable is a thin main.
        .target(
            name: "SparkCLI",
            dependencies: [
                "TerminalUI",
                "SparkCore",
                "SparkMonitor",
                "SparkUI",
                "SparkLLM",
                "SparkStore",
                "SparkEngine",
                "SparkMemory",
                "SparkBus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "sparkplug", dependencies: ["SparkCLI"]),
        // Release-build benchmarks (render, diff, bytes per frame, sampling); prints figures, never fails.
        .executableTarget(
            name: "SparkBench",
            dependencies: [
                "TerminalUI", "SparkUI", "SparkCore", "SparkMonitor", "SparkEngine", "SparkTesting", "SparkStore", "SparkMemory",
                "SparkBus",
            ]
        ),

        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
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
        .testTarget(name: "SparkUITests", dependencies: ["SparkUI", "TerminalUI", "SparkCore"]),
        .testTarget(name: "SparkCLITests", dependencies: ["SparkCLI", "SparkCore"]),
        .testTarget(
            name: "SparkLLMTests",
            dependencies: [
                "SparkLLM", "SparkCore", "SparkTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "SparkStoreTests", dependencies: ["SparkStore", "SparkCore", "SparkTesting", "SparkMemory", "SparkEngine"]),
        .testTarget(name: "SparkEngineTests", dependencies: ["SparkEngine", "SparkCore", "SparkTesting", "SparkBus"]),
        .testTarget(
            name: "SparkBusTests",
            dependencies: [
                "SparkBus", "SparkCore", "SparkTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "SparkMemoryTests", dependencies: ["SparkMemory", "SparkCore", "SparkTesting"]),
        // Drives the real binary in tmux; needs no module, only the built executable.
        .testTarget(name: "EndToEndTests"),
    ],
    swiftLanguageModes: [.v6]
)
