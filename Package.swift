// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "LogAtlas",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "logatlas", targets: ["logatlas"]),
    ],
    dependencies: [
        // HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // PostgreSQL wire protocol client (no libpq, no ORM).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // OpenAPI: generator plugin, runtime types, Hummingbird transport.
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        // YAML for inventory-as-code files (its libyaml, CYaml, is read event by event for large files).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // CLI parsing.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SHA-256 for token hashes and the audit chain.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // Structured logging.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Streamed, transactional file writes for the artifact store (already a dependency of Hummingbird and PostgresNIO).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // HTTP client for webhook delivery and the S3-compatible artifact store.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Graceful start-up and shutdown of the server, pool and embedded database.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "LogAtlasCore", dependencies: ["CSystemRandom"]),
        // Bulk random bytes from the system's generator for new identifiers (getrandom is not in Swift's Glibc module).
        .target(name: "CSystemRandom"),
        .target(
            name: "LogAtlasFormats",
            dependencies: ["LogAtlasCore", .product(name: "Yams", package: "Yams")],
            resources: [.copy("policies")]
        ),
        .target(
            name: "LogAtlasStore",
            dependencies: [
                "LogAtlasCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("schema")]
        ),
        .target(
            name: "LogAtlasServer",
            dependencies: [
                "LogAtlasCore", "LogAtlasFormats", "LogAtlasStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("openapi.yaml"), .copy("Demo/demo-inventory.yaml")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // glibc's allocator settings for the server process (mallopt is not in Swift's Glibc module).
        .target(name: "CMallocTuning"),
        .executableTarget(
            name: "logatlas",
            dependencies: [
                "LogAtlasServer", "LogAtlasStore", "LogAtlasFormats", "LogAtlasCore", "CMallocTuning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "LogAtlasServer", "LogAtlasStore", "LogAtlasCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "LogAtlasCoreTests", dependencies: ["LogAtlasCore", "LogAtlasFormats"]),
        .testTarget(
            name: "LogAtlasIntegrationTests",
            dependencies: [
                "TestSupport", "LogAtlasServer", "LogAtlasStore", "LogAtlasCore", "LogAtlasFormats",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
