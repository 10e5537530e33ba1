import Signals

/// One series a backtest trades: its stored bars (history before the period included, for warm-up) and what it is.
public struct BacktestSeries: Sendable {
    public var info: SeriesInfo
    public var series: PriceSeries

    public init(info: SeriesInfo, series: PriceSeries) {
        self.info = info
        self.series = series
    }
}

/// A closed round trip. Prices are average fills after spread and slippage; money in the account's currency.
public struct BacktestTrade: Sendable, Hashable {
    public var symbol: String
    public var strategy: String
    /// Canonical parameters of the strategy (with symbol, timeframe, direction and signal time, the signal's identity).
    public var parameters: String
    public var direction: Direction
    /// The bar time of the signal the trade acted on.
    public var signalTime: Int64
    public var entryTime: Int64
    public var entryPrice: Double
    public var exitTime: Int64
    public var exitPrice: Double
    public var quantity: Double
    /// `stop`, `target`, `horizon`, `signal` (an opposite signal), `end` (the period ended).
    public var exitReason: String
    public var commission: Double
    /// Money lost to half-spreads and slippage on both legs.
    public var slippage: Double
    /// Net of every cost.
    public var pnl: Double
    /// `pnl` over the initial risk `quantity × |entry − stop|`; nil without a stop.
    public var rMultiple: Double?
}

/// The account at one bar close.
public struct EquityPoint: Sendable, Hashable {
    public var time: Int64
    public var equity: Double
    /// `equity / running peak − 1` (≤ 0; the peak starts at the initial capital).
    public var drawdown: Double
}

/// The metrics of `docs/BACKTESTS.md`. Returns are fractions; nil where a ratio has no denominator.
public struct BacktestMetrics: Sendable, Hashable {
    public var totalReturn = 0.0
    public var cagr: Double?
    public var volatility: Double?
    public var sharpe: Double?
    public var sortino: Double?
    public var maxDrawdown = 0.0
    public var maxDrawdownBars = 0
    public var calmar: Double?
    public var winRate: Double?
    public var profitFactor: Double?
    public var expectancy: Double?
    public var exposure = 0.0
    public var turnover = 0.0
    public var costsPaid = 0.0
    public var trades = 0
}

/// Buy-and-hold of the same symbols over the same period (equal weights, bought at each symbol's first close, no costs).
public struct BenchmarkMetrics: Sendable, Hashable {
    public var totalReturn = 0.0
    public var sharpe: Double?
    public var maxDrawdown = 0.0
}

/// The result of one run: the baseline or one scenario.
public struct BacktestResult: Sendable {
    /// nil for the baseline (the real bars).
    public var scenario: Scenario?
    public var fill: FillTiming
    public var barsPerYear: Double
    public var metrics: BacktestMetrics
    public var benchmark: BenchmarkMetrics
    public var equity: [EquityPoint]
    public var trades: [BacktestTrade]
    /// Orders not placed or not filled, by reason (`cash`, `max_positions`, `position_open`, `unfillable`, `cancelled_remainder`).
    public var rejectedOrders: [String: Int]
    /// Signals in the period the run acted on or rejected.
    public var signals: Int

    /// The label every response carries: which bars and which fill timing.
    public var label: String {
        var parts: [String] = [scenario.map { "scenario \($0.rawValue): transformed real bars, not market data" } ?? "baseline: stored bars"]
        if fill == .signalClose { parts.append("fills at the signal bar's own close (optimistic)") }
        return parts.joined(separator: "; ")
    }
}

/// A baseline and its scenarios.
public struct BacktestReport: Sendable {
    public var baseline: BacktestResult
    public var scenarios: [BacktestResult]
}

/// The run was cancelled through its progress callback.
public struct BacktestCancelled: Error, Sendable {}
