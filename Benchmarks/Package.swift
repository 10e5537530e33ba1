// swift-tools-version:6.0
// Benchmarks live in their own package so that nothing they need (Hummingbird, for the
// reference server) ever enters the product's build. Run them with `make bench`.
import PackageDescription

let package = Package(
    name: "GoldenSignalsBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "GoldenSignals", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
    ],
    targets: [
        // The /json payload both HTTP servers serve.
        .target(name: "BenchSignals"),
        // Our server serving the benchmark routes.
        .executableTarget(name: "HTTPBenchServer",
                          dependencies: ["BenchSignals", .product(name: "HTTPServer", package: "GoldenSignals")]),
        // The reference: Hummingbird 2 serving identical routes.
        .executableTarget(name: "HTTPBenchHummingbird",
                          dependencies: ["BenchSignals", .product(name: "Hummingbird", package: "hummingbird")]),
        // Quality checks over every daily file, against reading the same bars.
        .executableTarget(name: "QualityBench",
                          dependencies: [.product(name: "Market", package: "GoldenSignals"),
                                         .product(name: "Quality", package: "GoldenSignals")]),
        // Signal generation over every daily file against PostgreSQL reading the same bars.
        // What the database-backed benchmarks share (files, timing, a service on a fresh database).
        .target(name: "BenchSupport",
                dependencies: [.product(name: "GoldenSignals", package: "GoldenSignals"),
                               .product(name: "Market", package: "GoldenSignals"),
                               .product(name: "Postgres", package: "GoldenSignals")]),
        // API keys in process: the service's router with keys off against keys required, no sockets.
        .executableTarget(name: "AccessBench",
                          dependencies: ["BenchSupport", .product(name: "GoldenSignals", package: "GoldenSignals"),
                                         .product(name: "HTTPServer", package: "GoldenSignals"),
                                         .product(name: "Market", package: "GoldenSignals")]),
        .executableTarget(name: "GenerationBench",
                          dependencies: ["BenchSupport", .product(name: "GoldenSignals", package: "GoldenSignals"),
                                         .product(name: "Market", package: "GoldenSignals"),
                                         .product(name: "Signals", package: "GoldenSignals"),
                                         .product(name: "Postgres", package: "GoldenSignals")]),
        // Evaluation (outcome scoring, walk-forward calibration, rescoring) of every daily file against generating it.
        .executableTarget(name: "EvaluationBench",
                          dependencies: ["BenchSupport", .product(name: "GoldenSignals", package: "GoldenSignals"),
                                         .product(name: "Market", package: "GoldenSignals"),
                                         .product(name: "Postgres", package: "GoldenSignals")]),
        // Import of every daily file against psql \copy of the same rows.
        .executableTarget(name: "ImportBench",
                          dependencies: ["BenchSupport", .product(name: "GoldenSignals", package: "GoldenSignals"),
                                         .product(name: "Market", package: "GoldenSignals"),
                                         .product(name: "Postgres", package: "GoldenSignals"),
                                         .product(name: "HTTPClient", package: "GoldenSignals")]),
        // Generated 1-minute bars for 200 symbols at 1 M and 10 M bars: import rate, page latencies, generation, size.
        .executableTarget(name: "ScaleBench",
                          dependencies: ["BenchSupport", .product(name: "GoldenSignals", package: "GoldenSignals"),
                                         .product(name: "Market", package: "GoldenSignals"),
                                         .product(name: "Postgres", package: "GoldenSignals"),
                                         .product(name: "HTTPClient", package: "GoldenSignals")]),
        // Dataset export (features, labels, splits as CSV) over every daily file against writing the raw bars.
        .executableTarget(name: "DatasetBench",
                          dependencies: ["BenchSupport", .product(name: "Market", package: "GoldenSignals"),
                                         .product(name: "Signals", package: "GoldenSignals")]),
        // The dashboard JSON with every daily file's signals and outcomes, and GET /metrics under load, against GET /health/live.
        .executableTarget(name: "DashboardBench",
                          dependencies: ["BenchSupport", .product(name: "GoldenSignals", package: "GoldenSignals"),
                                         .product(name: "HTTPClient", package: "GoldenSignals")]),
        // Backtests: SMA crossover against backtesting.py in the same run; all strategies over every daily file with scenarios.
        .executableTarget(name: "BacktestBench",
                          dependencies: [.product(name: "Backtest", package: "GoldenSignals"),
                                         .product(name: "Market", package: "GoldenSignals"),
                                         .product(name: "Signals", package: "GoldenSignals")]),
        // Every indicator over 10,000 real bars against TA-Lib's C library (via Python) in the same run.
        .executableTarget(name: "IndicatorBench",
                          dependencies: [.product(name: "Indicators", package: "GoldenSignals")]),
    ]
)
