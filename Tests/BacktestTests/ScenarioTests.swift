import Foundation
import Market
import Signals
import Testing
@testable import Backtest

/// Stress scenarios: deterministic transformations of real bars, labelled, beside the baseline.
@Suite struct ScenarioTests {
    static func spy() throws -> PriceSeries { PriceSeries(try ReferenceData.bars("mplf_yahoofinance-SPY-20080101-20180101.csv")) }

    static func consistent(_ s: PriceSeries, _ i: Int, tolerance: Double = 0) -> Bool {
        s.low[i] <= min(s.open[i], s.close[i]) + tolerance && s.high[i] >= max(s.open[i], s.close[i]) - tolerance
    }

    @Test func flashCrashDropsAndRecoversOverTenBars() throws {
        let s = try Self.spy()
        let t = s.time[1_000]
        let x = ScenarioTransform.apply(.flashCrash, to: s, crashTime: t)
        #expect(abs(x.close[1_000] - s.close[1_000] * 0.8) < 1e-9)
        #expect(x.open[1_000] == s.open[1_000] && x.low[1_000] <= s.low[1_000] * 0.8 + 1e-9)
        #expect(abs(x.close[1_005] - s.close[1_005] * 0.9) < 1e-9)       // halfway back
        #expect(x.close[1_010] == s.close[1_010] && x.close[999] == s.close[999])
        // Bars that were consistent stay consistent (the file has two with Open < Low, SOURCES.md).
        for i in 0..<x.count where Self.consistent(s, i) { #expect(Self.consistent(x, i)) }
        // Deterministic: the same bars give the same scenario.
        #expect(ScenarioTransform.apply(.flashCrash, to: s, crashTime: t).close == x.close)
    }

    @Test func gapDownOpensBelowThePreviousClose() throws {
        let s = try Self.spy()
        let x = ScenarioTransform.apply(.gapDown, to: s, crashTime: 0)
        #expect(abs(x.open[21] - min(s.open[21], s.close[20] * 0.92)) < 1e-9)
        #expect(x.low[21] <= x.open[21] && x.close[21] == s.close[21])
        #expect(x.open[22] == s.open[22])
    }

    @Test func liquidityDroughtCutsVolume() throws {
        let s = try Self.spy()
        let x = ScenarioTransform.apply(.liquidityDrought, to: s, crashTime: 0)
        #expect(zip(x.volume, s.volume).allSatisfy { abs($0 - $1 * 0.1) < 1e-6 })
        #expect(x.close == s.close)
    }

    @Test func volatilityX2DoublesReturnDeviationsAroundTheTrend() throws {
        let s = try Self.spy()
        let x = ScenarioTransform.apply(.volatilityX2, to: s, crashTime: 0)
        func logs(_ c: [Double]) -> [Double] { (1..<c.count).map { log(c[$0] / c[$0 - 1]) } }
        let a = logs(s.close), b = logs(x.close)
        let mu = a.reduce(0, +) / Double(a.count)
        for k in a.indices { #expect(abs(b[k] - (mu + 2 * (a[k] - mu))) < 1e-9) }
        // Same trend: the first and last closes keep their ratio.
        #expect(abs(log(x.close.last! / x.close[0]) - log(s.close.last! / s.close[0])) < 1e-6)
        for i in 0..<x.count where Self.consistent(s, i) { #expect(Self.consistent(x, i, tolerance: 1e-9)) }
    }

    @Test func scenariosAreReportedBesideTheBaselineAndLabelled() throws {
        var c = BacktestConfiguration()
        c.strategies = Strategies.names
        c.signals = .candidates
        c.scenarios = [.flashCrash, .slippageX3, .liquidityDrought]
        let info = SeriesInfo(symbol: "SPY", timeframe: .d1, assetClass: .etf, calendar: NYSECalendar())
        let report = try Backtester(configuration: c).run([BacktestSeries(info: info, series: try Self.spy())])
        #expect(report.baseline.scenario == nil && report.baseline.label.hasPrefix("baseline"))
        #expect(report.scenarios.map(\.scenario) == [.flashCrash, .slippageX3, .liquidityDrought])
        for r in report.scenarios { #expect(r.label.contains("not market data")) }
        // Three times the slippage costs more; the same trades are taken (same bars, same signals).
        let base = report.baseline, x3 = report.scenarios[1]
        #expect(x3.trades.map(\.entryTime) == base.trades.map(\.entryTime))
        #expect(x3.trades.reduce(0) { $0 + $1.slippage } > base.trades.reduce(0) { $0 + $1.slippage })
        #expect(x3.equity.last!.equity < base.equity.last!.equity)
        // A tenth of the volume makes the participation limit bind more often: fills spread over more bars.
        #expect(report.scenarios[2].rejectedOrders != base.rejectedOrders || report.scenarios[2].equity.last!.equity != base.equity.last!.equity)
        // The flash crash shows in the scenario's worst drawdown.
        #expect(report.scenarios[0].benchmark.maxDrawdown <= base.benchmark.maxDrawdown)
    }

    @Test func progressIsReportedAndCancellationStopsTheRun() throws {
        var c = BacktestConfiguration()
        c.scenarios = [.gapDown]
        let info = SeriesInfo(symbol: "SPY", timeframe: .d1, assetClass: .etf, calendar: NYSECalendar())
        let series = [BacktestSeries(info: info, series: try Self.spy())]
        var seen: [Double] = []
        _ = try Backtester(configuration: c).run(series) { seen.append($0); return true }
        #expect(seen.last == 1 && seen == seen.sorted())
        #expect(throws: BacktestCancelled.self) { try Backtester(configuration: c).run(series) { $0 < 0.5 } }
    }

    @Test func barsAfterTheWindowAreNeverRead() throws {
        // The result up to a date is the same whether or not later bars exist.
        let s = try Self.spy()
        var c = BacktestConfiguration()
        c.strategies = Strategies.names
        c.signals = .candidates
        let info = SeriesInfo(symbol: "SPY", timeframe: .d1, assetClass: .etf, calendar: NYSECalendar())
        let to = s.time[1_500]
        let full = try Backtester(configuration: c).run([BacktestSeries(info: info, series: s)], from: s.time[300], to: to).baseline
        let cut = try Backtester(configuration: c).run([BacktestSeries(info: info, series: s.prefix(1_501))], from: s.time[300]).baseline
        #expect(full.equity == cut.equity && full.trades == cut.trades)
        #expect(full.equity.first!.time == s.time[300] && full.equity.last!.time == to)
    }
}
