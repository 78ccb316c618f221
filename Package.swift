// swift-tools-version:6.0
import PackageDescription

/// Imports are internal unless a module says otherwise, and a file sees only the members of the
/// modules it imports itself: every dependency is declared where it is used.
let strictImports: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault"), .enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "IntentService",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "intent-service", targets: ["IntentService"]),
        .executable(name: "intent-bench", targets: ["IntentBench"]),
        .executable(name: "intent-fuzz", targets: ["IntentFuzz"]),
        // The matching core on its own: corpus, text, embedders, matcher, evaluation.
        // Another Swift service can match in-process with it, without HTTP.
        .library(name: "IntentCore", targets: ["IntentCore"]),
        // The sentence models run in process (NeuralEmbedder), for IntentCore's matcher.
        .library(name: "IntentNeural", targets: ["IntentNeural"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // NIOCore's Channel: a server-sent event stream closes a connection whose client stopped reading.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // HMAC-SHA256 of webhook signatures (already built for postgres-nio).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // libcurl, with typed wrappers for its variadic setopt/getinfo (Swift cannot call C varargs).
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // OpenBLAS's CBLAS: the matrix products of the neural embedder.
        .systemLibrary(
            name: "COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The encoder's linear layers in token lanes: AVX-512 kernels chosen at run time (else OpenBLAS).
        .target(
            name: "CEncoderKernels",
            // Intrinsics compiled without optimisation are ~20x slower; debug builds run the
            // encoder in tests and scripts/run.
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),
        // The vector index's first pass over Int8 codes: AVX-512 VNNI, AVX-512BW, AVX2 or plain C,
        // chosen at run time.
        .target(
            name: "CIndexKernels",
            // Unoptimised intrinsics would make debug builds' large-index tests crawl.
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),
        // Plain Swift (and the index's C kernels): no server, database or network types.
        .target(
            name: "IntentCore",
            dependencies: ["CIndexKernels", .product(name: "Yams", package: "Yams")]
        ),
        // HTTP through libcurl, on worker threads of its own: the transport, retries, circuit breakers.
        .target(name: "IntentHTTP", dependencies: ["IntentCore", "CCurl"]),
        // Remote embedding and chat providers (OpenAI-style, DeepSeek, Coze) over IntentHTTP, cached.
        .target(
            name: "IntentProviders",
            dependencies: ["IntentCore", "IntentHTTP", .product(name: "Logging", package: "swift-log")]
        ),
        // Sentence-transformers (BERT) models run in process: tokenizer, safetensors weights, encoder.
        .target(
            name: "IntentNeural",
            dependencies: ["IntentCore", "COpenBLAS", "CEncoderKernels"],
            // The encoder's loops are 50x slower unoptimised; debug builds (tests, scripts/run)
            // would take seconds per corpus. Optimised code still carries debug info.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // Chat channels: the WhatsApp Cloud API webhook and sender, and the conversation automation
        // (greeting, away, hand-over) around the matcher, with state behind ConversationStore.
        .target(
            name: "IntentChannels",
            dependencies: [
                "IntentCore", "IntentHTTP", .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The stores on one machine: SQLite through GRDB, behind IntentCore's IndexStore and
        // IntentChannels' ConversationStore protocols.
        .target(
            name: "IntentSQLite",
            dependencies: ["IntentCore", "IntentChannels", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The same state on a PostgreSQL server that several replicas share (postgres-nio).
        .target(
            name: "IntentPostgres",
            dependencies: ["IntentCore", "IntentChannels", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        // The HTTP edge: routes, request limits, JSON errors, metrics, stats, hot reload.
        .target(
            name: "IntentServer",
            dependencies: [
                "IntentCore",
                "IntentChannels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The console page, compiled into the binary: the executable stays one file.
            resources: [.embedInCode("Console/console.html"), .embedInCode("WebChat/widget.js")]
        ),
        // The `intent-service` command: argument parsing and wiring only.
        .executableTarget(
            name: "IntentService",
            dependencies: [
                "IntentCore",
                "IntentServer",
                "IntentHTTP",
                "IntentProviders",
                "IntentNeural",
                "IntentSQLite",
                "IntentPostgres",
                "IntentChannels",
                "CCurl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Fuzz targets for every parser of outside input: libFuzzer entry points when built by
        // scripts/fuzz (-sanitize=fuzzer,address -DFUZZING), else a replayer of saved inputs.
        .executableTarget(
            name: "IntentFuzz",
            dependencies: ["IntentCore", "IntentNeural", "IntentHTTP", "IntentProviders", "IntentChannels", "IntentServer"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // Speed and memory figures for the core (`swift run -c release intent-bench`).
        .executableTarget(
            name: "IntentBench",
            dependencies: ["IntentCore", "IntentNeural", "COpenBLAS"]
        ),
        .testTarget(name: "IntentCoreTests", dependencies: ["IntentCore", "CIndexKernels", "IntentTestSupport"]),
        .testTarget(name: "CCurlTests", dependencies: ["CCurl"]),
        .testTarget(name: "IntentNeuralTests", dependencies: ["IntentNeural"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "IntentStoreTests",
            dependencies: ["IntentSQLite", "IntentPostgres", "IntentChannels", "IntentTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "IntentChannelsTests", dependencies: ["IntentChannels", "IntentHTTP", "IntentSQLite", "IntentTestSupport"]),
        // The fake APIs (providers, channels, a shop system), webhook bodies and helpers the tests share.
        .target(
            name: "IntentTestSupport", dependencies: ["IntentCore", "IntentHTTP", "IntentChannels", "IntentPostgres"],
            path: "Tests/IntentTestSupport",
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "IntentProvidersTests", dependencies: ["IntentHTTP", "IntentProviders", "IntentTestSupport"]),
        .testTarget(
            name: "IntentServerTests",
            dependencies: [
                "IntentServer", "IntentChannels", "IntentHTTP", "IntentSQLite", "IntentTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "IntentServiceTests",
            dependencies: [
                "IntentService", "IntentChannels", "IntentSQLite", "IntentPostgres", "IntentTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
    ]
)

for target in package.targets where target.type != .system && !["CEncoderKernels", "CIndexKernels"].contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + strictImports
}
