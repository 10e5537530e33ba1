import Foundation
import Signals
import Testing
@testable import Backtest

/// The metrics of docs/BACKTESTS.md on a hand-made equity curve and trade list, worked out by hand.
@Suite struct MetricsTests {
    static func trade(_ pnl: Double, commission: Double = 1, slippage: Double = 2) -> BacktestTrade {
        BacktestTrade(symbol: "T", strategy: "s", parameters: "", direction: .long, signalTime: 0, entryTime: 0, entryPrice: 1,
                      exitTime: 0, exitPrice: 1, quantity: 1, exitReason: "end", commission: commission, slippage: slippage,
                      pnl: pnl, rMultiple: nil)
    }

    @Test func drawdownDurationRunsFromThePeakToItsRecovery() {
        // Initial 100; peak 110 at bar 0, trough 90 at bar 2 (−18.18%), back above 110 at bar 4: 4 bars.
        let (dd, bars) = Metrics.maxDrawdown([110, 100, 90, 105, 111, 95], initial: 100)
        #expect(abs(dd - (90.0 / 110 - 1)) < 1e-15 && bars == 4)
        // Never recovered: to the last bar. A drawdown from the initial capital counts from before bar 0.
        let never = Metrics.maxDrawdown([100, 80, 90], initial: 100)
        #expect(abs(never.0 + 0.2) < 1e-15 && never.1 == 2)
        let fromStart = Metrics.maxDrawdown([90, 95], initial: 100)
        #expect(abs(fromStart.0 + 0.1) < 1e-15 && fromStart.1 == 2)
        #expect(Metrics.maxDrawdown([100, 101, 102], initial: 100) == (0, 0))
    }

    @Test func everyMetricByItsFormula() throws {
        let equity: [Double] = [101, 99, 102, 104]
        let trades = [Self.trade(10), Self.trade(-4), Self.trade(6), Self.trade(-2)]
        let m = Metrics.compute(equity: equity, initial: 100, barsPerYear: 252, trades: trades, exposedBars: 3, traded: 505)
        let r = [0.01, 99.0 / 101 - 1, 102.0 / 99 - 1, 104.0 / 102 - 1]
        let mean = r.reduce(0, +) / 4
        let sd = (r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(abs(m.totalReturn - 0.04) < 1e-15)
        #expect(abs(m.cagr! - (pow(1.04, 252.0 / 4) - 1)) < 1e-12)
        #expect(abs(m.volatility! - sd * 252.0.squareRoot()) < 1e-12)
        #expect(abs(m.sharpe! - mean / sd * 252.0.squareRoot()) < 1e-12)
        let downside = (r[1] * r[1] / 4).squareRoot() * 252.0.squareRoot()
        #expect(abs(m.sortino! - mean * 252 / downside) < 1e-9)
        #expect(abs(m.maxDrawdown - (99.0 / 101 - 1)) < 1e-15 && m.maxDrawdownBars == 2)
        #expect(abs(m.calmar! - m.cagr! / (1 - 99.0 / 101)) < 1e-9)
        #expect(m.winRate == 0.5 && m.profitFactor == 16.0 / 6 && m.expectancy == 2.5)
        #expect(m.exposure == 0.75)
        #expect(abs(m.turnover - 505 / 101.5) < 1e-12)
        #expect(m.costsPaid == 12 && m.trades == 4)
    }

    @Test func ratiosWithoutADenominatorAreNull() {
        let m = Metrics.compute(equity: [100, 100, 100], initial: 100, barsPerYear: 252, trades: [Self.trade(5)], exposedBars: 0, traded: 0)
        #expect(m.sharpe == nil && m.sortino == nil && m.calmar == nil && m.profitFactor == nil)
        #expect(m.maxDrawdown == 0 && m.winRate == 1)
    }

    @Test func barsPerYearFollowTheTimeframeAndTheCalendar() {
        #expect(Backtester.barsPerYear(.d1, alwaysOpen: false) == 252 && Backtester.barsPerYear(.d1, alwaysOpen: true) == 365)
        #expect(Backtester.barsPerYear(.m1, alwaysOpen: false) == 390 * 252 && Backtester.barsPerYear(.h1, alwaysOpen: false) == 7 * 252)
        #expect(Backtester.barsPerYear(.m5, alwaysOpen: true) == 288 * 365 && Backtester.barsPerYear(.w1, alwaysOpen: false) == 52)
    }
}
