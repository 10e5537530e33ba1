import Foundation

/// The metric formulas of `docs/BACKTESTS.md`, over the equity at every bar close of the period.
/// Per-bar returns are `rₖ = Eₖ / Eₖ₋₁ − 1` with `E₋₁` the initial capital; `A` is the bars per year; the
/// risk-free rate is zero. Sharpe, Sortino, volatility and max drawdown follow empyrical's definitions.
public enum Metrics {
    public static func compute(equity: [Double], initial: Double, barsPerYear a: Double, trades: [BacktestTrade],
                               exposedBars: Int, traded: Double) -> BacktestMetrics {
        var m = BacktestMetrics()
        let n = equity.count
        m.trades = trades.count
        guard n > 0, initial > 0 else { return m }
        let returns = Self.returns(equity, initial: initial)
        let last = equity[n - 1]
        m.totalReturn = last / initial - 1
        let years = Double(n) / a
        if last > 0 { m.cagr = pow(last / initial, 1 / years) - 1 } else { m.cagr = -1 }
        let mean = returns.reduce(0, +) / Double(n)
        if n > 1 {
            var ss = 0.0
            for r in returns { ss += (r - mean) * (r - mean) }
            let sd = (ss / Double(n - 1)).squareRoot()
            m.volatility = sd * a.squareRoot()
            if sd > 0 { m.sharpe = mean / sd * a.squareRoot() }
        }
        var down = 0.0
        for r in returns where r < 0 { down += r * r }
        let downside = (down / Double(n)).squareRoot() * a.squareRoot()
        if downside > 0 { m.sortino = mean * a / downside }
        let (mdd, bars) = maxDrawdown(equity, initial: initial)
        m.maxDrawdown = mdd
        m.maxDrawdownBars = bars
        if mdd < 0, let cagr = m.cagr { m.calmar = cagr / -mdd }
        if !trades.isEmpty {
            let wins = trades.filter { $0.pnl > 0 }
            m.winRate = Double(wins.count) / Double(trades.count)
            let gains = wins.reduce(0) { $0 + $1.pnl }
            let losses = trades.filter { $0.pnl < 0 }.reduce(0) { $0 - $1.pnl }
            if losses > 0 { m.profitFactor = gains / losses }
            m.expectancy = trades.reduce(0) { $0 + $1.pnl } / Double(trades.count)
        }
        m.exposure = Double(exposedBars) / Double(n)
        let meanEquity = equity.reduce(0, +) / Double(n)
        m.turnover = meanEquity > 0 ? traded / meanEquity : 0
        m.costsPaid = trades.reduce(0) { $0 + $1.commission + $1.slippage }
        return m
    }

    /// `rₖ = Eₖ / Eₖ₋₁ − 1`, `E₋₁` = the initial capital.
    public static func returns(_ equity: [Double], initial: Double) -> [Double] {
        var out = [Double](repeating: 0, count: equity.count)
        var prev = initial
        for (k, e) in equity.enumerated() {
            out[k] = prev != 0 ? e / prev - 1 : 0
            prev = e
        }
        return out
    }

    /// The deepest `Eₖ / peakₖ − 1` (peak starting at the initial capital), and the length in bars of that
    /// drawdown: from the bar after its peak to the bar it regained the peak, or to the last bar.
    public static func maxDrawdown(_ equity: [Double], initial: Double) -> (Double, Int) {
        var peak = initial, peakAt = -1
        var worst = 0.0, worstPeakAt = -1
        for (k, e) in equity.enumerated() {
            if e >= peak { peak = e; peakAt = k; continue }
            let dd = e / peak - 1
            if dd < worst { worst = dd; worstPeakAt = peakAt }
        }
        guard worst < 0 else { return (0, 0) }
        let level = worstPeakAt >= 0 ? equity[worstPeakAt] : initial
        // Every bar between the peak and the trough is below the peak, so the first bar back at it is after the trough.
        var end = equity.count - 1
        for k in (worstPeakAt + 1)..<equity.count where equity[k] >= level { end = k; break }
        return (worst, end - worstPeakAt)
    }
}
