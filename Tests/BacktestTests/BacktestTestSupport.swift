import Foundation
import Market
@testable import Backtest
import Signals

/// Hand-made bar paths and a way to run the simulation on signals placed by hand.
enum Paths {
    static let day: Int64 = 86_400
    static let t0: Int64 = 1_577_836_800  // 2020-01-01

    /// A series from (open, high, low, close, volume) rows, one a day.
    static func series(_ rows: [(Double, Double, Double, Double, Double)]) -> PriceSeries {
        PriceSeries(rows.enumerated().map { i, r in
            Bar(timestamp: t0 + Int64(i) * day, open: r.0, high: r.1, low: r.2, close: r.3, volume: r.4)
        })
    }

    /// A flat bar at `p` with a ±1 range.
    static func flat(_ p: Double, volume: Double = 1_000_000) -> (Double, Double, Double, Double, Double) { (p, p + 1, p - 1, p, volume) }

    static func info(_ symbol: String = "TEST") -> SeriesInfo {
        SeriesInfo(symbol: symbol, timeframe: .d1, assetClass: .equity, calendar: AlwaysOpenCalendar())
    }

    /// A signal on bar `index`.
    static func signal(_ index: Int, _ direction: Direction = .long, stop: Double? = nil, target: Double? = nil, horizon: Int = 1_000,
                       confidence: Double = 0.6, rewardRisk: Double? = 2) -> EntrySignal {
        EntrySignal(index: index, strategy: 0, direction: direction, stop: stop, target: target, horizon: horizon,
                    confidence: confidence, rewardRisk: rewardRisk)
    }

    /// A configuration without costs, limits or slippage, investing fixed notional.
    static func frictionless(notional: Double = 10_000) -> BacktestConfiguration {
        var c = BacktestConfiguration()
        c.costs = Costs()
        c.slippage = .fixedBps(0)
        c.maxParticipation = nil
        c.sizing = .fixedNotional(notional)
        return c
    }

    static func run(_ series: PriceSeries, _ signals: [EntrySignal], _ config: BacktestConfiguration) -> BacktestResult {
        Backtester(configuration: config).simulate([BacktestSeries(info: info(), series: series)], signals: [signals],
                                                   strategies: [SMACrossover()], from: .min, scenario: nil)
    }
}

/// The shared reference files in `<repo>/../shared/data/`.
enum ReferenceData {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = repo.deletingLastPathComponent().appendingPathComponent("shared/data")
    static let python = repo.appendingPathComponent(".build/pyenv/bin/python3").path

    static func bars(_ name: String) throws -> [Bar] {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        return try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1)).bars
    }

    /// Runs a Python script of `Python/` with arguments; its standard output.
    static func runPython(_ script: String, _ arguments: [String], stdin: Data? = nil) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [repo.appendingPathComponent("Tests/BacktestTests/Python/\(script)").path] + arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "python", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: String(decoding: errData, as: UTF8.self)])
        }
        return data
    }
}
