// swift-tools-version:6.0
import PackageDescription

/// One set of Swift settings for every target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "GoldenSignals",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "goldensignals", targets: ["goldensignals"]),
        .library(name: "Primitives", targets: ["Primitives"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "HTTPClient", targets: ["HTTPClient"]),
        .library(name: "Market", targets: ["Market"]),
        .library(name: "MarketProviders", targets: ["MarketProviders"]),
        .library(name: "Quality", targets: ["Quality"]),
        .library(name: "GoldenSignals", targets: ["GoldenSignals"]),
        .library(name: "Indicators", targets: ["Indicators"]),
        .library(name: "Signals", targets: ["Signals"]),
        .library(name: "Backtest", targets: ["Backtest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries (pkg-config).
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Dependency-free helpers the modules below share: civil-date arithmetic, decimal text.
        .target(name: "Primitives", swiftSettings: swiftSettings),

        // Transport and clients.
        .target(name: "HTTPServer", dependencies: ["Primitives", "CZlib", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings + [.enableExperimentalFeature("Extern")]),  // @_extern(c): epoll, eventfd, accept4
        .target(name: "Postgres", dependencies: ["CPostgres", "COpenSSL", "Primitives", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .target(name: "HTTPClient", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        // Provider adapters, the provider chain and backfill: market data fetched through HTTPClient.
        .target(name: "MarketProviders", dependencies: ["Market", "HTTPClient", "Primitives"], swiftSettings: swiftSettings),

        // Domain (pure: no sockets, no database).
        .target(name: "Market", dependencies: ["Primitives"], swiftSettings: swiftSettings),
        .target(name: "Quality", dependencies: ["Market", "Primitives"], swiftSettings: swiftSettings),
        .target(name: "Indicators", swiftSettings: swiftSettings),
        .target(name: "Signals", dependencies: ["Market", "Indicators", "Primitives"], swiftSettings: swiftSettings),
        // Backtests: signals replayed over bars with costs, slippage, participation limits and stress scenarios.
        .target(name: "Backtest", dependencies: ["Market", "Indicators", "Signals"], swiftSettings: swiftSettings),

        // Application and executable.
        .target(name: "GoldenSignals",
                dependencies: ["HTTPServer", "Postgres", "HTTPClient", "Market", "MarketProviders", "Quality", "Primitives",
                               "Indicators", "Signals", "Backtest", "COpenSSL",
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "Metrics", package: "swift-metrics"),
                               .product(name: "Prometheus", package: "swift-prometheus")],
                swiftSettings: swiftSettings),
        .executableTarget(name: "goldensignals",
                          dependencies: ["GoldenSignals",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: swiftSettings),

        // Tests.
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Primitives"], swiftSettings: swiftSettings),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .testTarget(name: "MarketTests", dependencies: ["Market"], swiftSettings: swiftSettings),
        .testTarget(name: "MarketProvidersTests", dependencies: ["MarketProviders", "Market", "HTTPClient", "HTTPServer"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "QualityTests", dependencies: ["Quality", "Market"], swiftSettings: swiftSettings),
        .testTarget(name: "IndicatorsTests", dependencies: ["Indicators"], exclude: ["talib_reference.py"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "SignalsTests", dependencies: ["Signals", "Market", "Indicators", "Primitives"], swiftSettings: swiftSettings),
        .testTarget(name: "BacktestTests", dependencies: ["Backtest", "Signals", "Market"], exclude: ["Python"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "GoldenSignalsTests",
                    dependencies: ["GoldenSignals", "HTTPServer", "HTTPClient", "Postgres", "Market", "MarketProviders", "Quality",
                                   "Indicators", "Signals", "Backtest"],
                    exclude: ["Python"],
                    swiftSettings: swiftSettings),
    ]
)
