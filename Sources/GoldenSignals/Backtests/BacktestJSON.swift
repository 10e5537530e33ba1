import Backtest
import HTTPServer
import Signals

/// Backtest results as the API returns them (`RESULT` in API.md).
public enum BacktestJSON {
    /// `{"label","baseline":RESULT,"scenarios":{"flash_crash":RESULT}}`. `signalID` gives a trade's signal id.
    public static func report(_ r: BacktestReport, signalID: (BacktestTrade) -> String?) -> [UInt8] {
        var w = JSONWriter(capacity: 256 * (r.baseline.equity.count + r.baseline.trades.count) * (1 + r.scenarios.count) + 1024)
        w.beginObject()
        w.key("baseline"); result(r.baseline, to: &w, signalID: signalID)
        w.key("scenarios"); w.beginObject()
        for s in r.scenarios { w.key(s.scenario!.rawValue); result(s, to: &w, signalID: signalID) }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    static func optional(_ x: Double?, _ w: inout JSONWriter) {
        if let x, x.isFinite { w.number(x) } else { w.null() }
    }

    static func result(_ r: BacktestResult, to w: inout JSONWriter, signalID: (BacktestTrade) -> String?) {
        let m = r.metrics
        w.beginObject()
        w.key("scenario"); if let s = r.scenario { w.string(s.rawValue) } else { w.null() }
        w.key("label"); w.string(r.label)
        w.key("fill"); w.string(r.fill.rawValue)
        w.key("bars_per_year"); w.number(r.barsPerYear)
        w.key("signals"); w.number(r.signals)
        w.key("rejected_orders"); w.beginObject()
        for (k, v) in r.rejectedOrders.sorted(by: { $0.key < $1.key }) { w.key(k); w.number(v) }
        w.endObject()
        w.key("metrics"); w.beginObject()
        w.key("total_return"); w.number(m.totalReturn)
        w.key("cagr"); optional(m.cagr, &w)
        w.key("volatility"); optional(m.volatility, &w)
        w.key("sharpe"); optional(m.sharpe, &w)
        w.key("sortino"); optional(m.sortino, &w)
        w.key("max_drawdown"); w.number(m.maxDrawdown)
        w.key("max_drawdown_bars"); w.number(m.maxDrawdownBars)
        w.key("calmar"); optional(m.calmar, &w)
        w.key("win_rate"); optional(m.winRate, &w)
        w.key("profit_factor"); optional(m.profitFactor, &w)
        w.key("expectancy"); optional(m.expectancy, &w)
        w.key("exposure"); w.number(m.exposure)
        w.key("turnover"); w.number(m.turnover)
        w.key("costs_paid"); w.number(m.costsPaid)
        w.key("trades"); w.number(m.trades)
        w.endObject()
        w.key("benchmark"); w.beginObject()
        w.key("total_return"); w.number(r.benchmark.totalReturn)
        w.key("sharpe"); optional(r.benchmark.sharpe, &w)
        w.key("max_drawdown"); w.number(r.benchmark.maxDrawdown)
        w.endObject()
        w.key("equity"); w.beginArray()
        for p in r.equity {
            w.beginObject()
            w.key("timestamp"); w.string(RFC3339.format(p.time))
            w.key("equity"); w.number(p.equity)
            w.key("drawdown"); w.number(p.drawdown)
            w.endObject()
        }
        w.endArray()
        w.key("trades"); w.beginArray()
        for t in r.trades {
            w.beginObject()
            w.key("symbol"); w.string(t.symbol)
            w.key("strategy"); w.string(t.strategy)
            w.key("direction"); w.string(t.direction.rawValue)
            w.key("signal_id"); if let id = signalID(t) { w.string(id) } else { w.null() }
            w.key("signal_time"); w.string(RFC3339.format(t.signalTime))
            w.key("entry_time"); w.string(RFC3339.format(t.entryTime))
            w.key("entry_price"); w.number(t.entryPrice)
            w.key("exit_time"); w.string(RFC3339.format(t.exitTime))
            w.key("exit_price"); w.number(t.exitPrice)
            w.key("quantity"); w.number(t.quantity)
            w.key("exit_reason"); w.string(t.exitReason)
            w.key("commission"); w.number(t.commission)
            w.key("slippage"); w.number(t.slippage)
            w.key("pnl"); w.number(t.pnl)
            w.key("r_multiple"); optional(t.rMultiple, &w)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
