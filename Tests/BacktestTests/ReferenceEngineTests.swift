import Foundation
import Market
import Signals
import Testing
@testable import Backtest

/// Our engine against independent references: backtesting.py for the trades and final equity of an SMA
/// crossover over real daily files, empyrical for Sharpe, Sortino and max drawdown of our equity curve.
@Suite struct ReferenceEngineTests {
    static let files = ["bluefin_MSFT.csv", "bt_orcl-1995-2014.txt", "bluefin_QQQ.csv"]

    /// The rules backtesting.py runs with in `backtesting_reference.py`: SMA 20/50 crossover candidates,
    /// long only, no stops, targets or horizons, exit on the opposite cross, 10 bps commission, next-open
    /// fills, 99.99% of equity per position, no spread, slippage or volume limit, a position still open at
    /// the end marked at the last close.
    static func smaConfiguration() -> BacktestConfiguration {
        var c = BacktestConfiguration.plain("sma_crossover", commissionBps: 10)
        c.closeAtEnd = false  // like backtesting.py without finalize_trades: an open position is marked, not closed
        return c
    }

    struct Reference: Decodable {
        struct Run: Decodable {
            var file: String
            var final_equity: Double
            var trades: [Trade]
        }
        struct Trade: Decodable {
            var entry_time: Int64, exit_time: Int64
            var entry_price: Double, exit_price: Double
            var size: Int
            var pnl: Double
        }
        var runs: [Run]
    }

    @Test func smaCrossoverMatchesBacktestingPy() throws {
        let data = try ReferenceData.runPython("backtesting_reference.py", Self.files.map { ReferenceData.directory.appendingPathComponent($0).path })
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        #expect(reference.runs.count == Self.files.count)
        for run in reference.runs {
            let bars = try ReferenceData.bars(run.file)
            let series = BacktestSeries(info: Paths.info(run.file), series: PriceSeries(bars))
            let ours = try Backtester(configuration: Self.smaConfiguration()).run([series]).baseline
            #expect(ours.trades.count == run.trades.count, "\(run.file): \(ours.trades.count) trades, backtesting.py \(run.trades.count)")
            #expect(run.trades.count >= 10, "\(run.file): too few trades to compare")
            for (a, b) in zip(ours.trades, run.trades) {
                #expect(a.entryTime == b.entry_time && a.exitTime == b.exit_time, "\(run.file): \(a.entryTime)→\(a.exitTime) vs \(b.entry_time)→\(b.exit_time)")
                #expect(abs(a.entryPrice - b.entry_price) < 1e-9 && abs(a.exitPrice - b.exit_price) < 1e-9)
                #expect(Int(a.quantity) == b.size, "\(run.file) \(a.entryTime): \(a.quantity) vs \(b.size)")
                #expect(abs(a.pnl - b.pnl) <= 1e-6 * max(1, abs(b.pnl)), "\(run.file) \(a.entryTime): pnl \(a.pnl) vs \(b.pnl)")
            }
            let finalEquity = ours.equity.last!.equity
            #expect(abs(finalEquity / run.final_equity - 1) < 0.001, "\(run.file): final equity \(finalEquity) vs \(run.final_equity)")
        }
    }

    struct EmpyricalAnswer: Decodable {
        var sharpe: Double, sortino: Double, max_drawdown: Double, volatility: Double
    }

    @Test func sharpeSortinoAndDrawdownMatchEmpyrical() throws {
        // Every strategy, published signals, default costs, volume-share slippage: a curve with many trades.
        let bars = try ReferenceData.bars("mplf_yahoofinance-SPY-20080101-20180101.csv")
        var c = BacktestConfiguration()
        c.strategies = Strategies.names
        c.signals = .candidates
        let info = SeriesInfo(symbol: "SPY", timeframe: .d1, assetClass: .etf, calendar: NYSECalendar())
        let result = try Backtester(configuration: c).run([BacktestSeries(info: info, series: PriceSeries(bars))]).baseline
        #expect(result.trades.count > 20)
        let body = try JSONSerialization.data(withJSONObject: [
            "initial": c.initialCapital, "equity": result.equity.map(\.equity), "bars_per_year": result.barsPerYear,
        ])
        let answer = try JSONDecoder().decode(EmpyricalAnswer.self, from: try ReferenceData.runPython("empyrical_metrics.py", [], stdin: body))
        let m = result.metrics
        #expect(abs(m.sharpe! - answer.sharpe) < 1e-9, "sharpe \(m.sharpe!) vs \(answer.sharpe)")
        #expect(abs(m.sortino! - answer.sortino) < 1e-9, "sortino \(m.sortino!) vs \(answer.sortino)")
        #expect(abs(m.maxDrawdown - answer.max_drawdown) < 1e-9, "max drawdown \(m.maxDrawdown) vs \(answer.max_drawdown)")
        #expect(abs(m.volatility! - answer.volatility) < 1e-9)
        // The curve's own drawdown column agrees with the metric.
        #expect(abs(result.equity.map(\.drawdown).min()! - m.maxDrawdown) < 1e-12)
    }
}
