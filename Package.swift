// swift-tools-version: 6.1
// LogAtlas runs on Linux only: the embedded PostgreSQL is started through util-linux's setpriv, and the
// service and CLI call Glibc directly. The macOS minimum below only lets the package resolve there.
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
        // YAML for inventory-as-code and policy files (libyaml, with line and column marks).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        // Templates of the web console.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Browser uploads without the console's script (multipart/form-data), read as they stream in.
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        // TLS for SMTP (STARTTLS and implicit TLS); already a dependency of async-http-client.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // OpenID Connect sign-in: ID tokens verified against the provider's JWKS.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        // gzip (zlib) for Sigma rule packs uploaded as .tar.gz.
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        .target(name: "LogAtlasCore"),
        // The shipped requirement catalogues, `policies/shipped/*.yaml`.
        .target(name: "LogAtlasPolicies", path: "policies", exclude: ["README.md"], sources: ["ShippedPolicies.swift"],
                resources: [.copy("shipped")]),
        // The SQL migrations, `schema/*.sql`.
        // The top-level data folders are small targets whose one Swift file says where their files are; the files
        // (`schema/migrations/`, `policies/shipped/`) are copied as whole folders, so adding or removing one needs
        // no change here and no clean build.
        .target(name: "LogAtlasSchema", path: "schema", sources: ["SchemaFiles.swift"], resources: [.copy("migrations")]),
        .target(
            name: "LogAtlasFormats",
            dependencies: ["LogAtlasCore", "LogAtlasPolicies", .product(name: "Yams", package: "Yams"),
                           .product(name: "CompressNIO", package: "compress-nio")]
        ),
        .target(
            name: "LogAtlasStore",
            dependencies: [
                "LogAtlasCore", "LogAtlasSchema",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt for console passwords.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
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
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // The console's templates, stylesheet and script are copied as one folder.
            resources: [.copy("openapi.yaml"), .copy("Demo/demo-inventory.yaml"), .copy("Console/templates")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .executableTarget(
            name: "logatlas",
            dependencies: [
                "LogAtlasServer", "LogAtlasStore", "LogAtlasFormats", "LogAtlasCore",
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
        // Synthetic inventories of any size, for benchmarks and tests; not part of the product.
        .target(name: "SyntheticInventory", dependencies: ["LogAtlasCore"], path: "Benchmarks/SyntheticInventory"),
        // `logatlas-bench`: the helpers `Benchmarks/run.sh` times (generate, parse, gaps, reads, hash).
        .executableTarget(
            name: "logatlas-bench",
            dependencies: [
                "LogAtlasCore", "LogAtlasFormats", "LogAtlasStore", "SyntheticInventory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/logatlas-bench"
        ),
        .testTarget(name: "LogAtlasCoreTests", dependencies: ["LogAtlasCore", "LogAtlasFormats", "SyntheticInventory",
                                                             .product(name: "CompressNIO", package: "compress-nio")]),
        .testTarget(
            name: "LogAtlasIntegrationTests",
            dependencies: [
                "TestSupport", "LogAtlasServer", "LogAtlasStore", "LogAtlasCore", "LogAtlasFormats",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The pre-release migrations the schema baseline replaced, read by SchemaBaselineTests.
            exclude: ["Fixtures"]
        ),
    ]
)
