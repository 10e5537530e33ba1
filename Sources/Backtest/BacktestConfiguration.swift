import Market
import Signals

/// When a signal known at bar t's close is acted on.
public enum FillTiming: String, Sendable, CaseIterable, Codable {
    /// At bar t+1's open: the default, and the only timing a trader could really have had.
    case nextOpen = "next_open"
    /// At bar t's own close: optimistic (the close was needed to know the signal); results are labelled so.
    case signalClose = "signal_close"
}

/// How the quantity of a new position is chosen (see `docs/BACKTESTS.md`).
public enum Sizing: Sendable, Hashable {
    /// This fraction of equity (at the last mark before the order) per position.
    case fixedFraction(Double)
    /// `multiplier` × the Kelly fraction `p − (1 − p) / b` (p the signal's confidence, b its reward/risk),
    /// capped at `cap` of equity; nothing when it is ≤ 0.
    case kelly(multiplier: Double, cap: Double)
    /// This amount of money per position.
    case fixedNotional(Double)

    public var mode: String {
        switch self {
        case .fixedFraction: "fixed_fraction"
        case .kelly: "kelly"
        case .fixedNotional: "fixed_notional"
        }
    }
}

/// Price impact of an order, on top of half the spread.
public enum SlippageModel: Sendable, Hashable {
    /// A fixed number of basis points of the price.
    case fixedBps(Double)
    /// LEAN's VolumeShareSlippageModel: `min(q / V, volumeLimit)² × priceImpact` of the price, q the
    /// filled quantity and V the bar's volume.
    case volumeShare(priceImpact: Double, volumeLimit: Double)

    public var name: String {
        switch self {
        case .fixedBps: "fixed_bps"
        case .volumeShare: "volume_share"
        }
    }

    /// The model with its impact multiplied by `k` (the `slippage_x3` scenario).
    func scaled(_ k: Double) -> SlippageModel {
        switch self {
        case .fixedBps(let b): .fixedBps(b * k)
        case .volumeShare(let p, let l): .volumeShare(priceImpact: p * k, volumeLimit: l)
        }
    }
}

/// Commission and spread.
public struct Costs: Sendable, Hashable {
    public var commissionBps = 0.0
    public var commissionPerShare = 0.0
    public var minCommission = 0.0
    /// The full bid-ask spread; half of it is paid on every fill (buying at the ask, selling at the bid).
    public var spreadBps = 0.0

    public init(commissionBps: Double = 0, commissionPerShare: Double = 0, minCommission: Double = 0, spreadBps: Double = 0) {
        self.commissionBps = commissionBps
        self.commissionPerShare = commissionPerShare
        self.minCommission = minCommission
        self.spreadBps = spreadBps
    }

    /// The commission of a fill of `quantity` at `price`: `max(min, bps × notional + per-share × quantity)`.
    public func commission(quantity: Double, price: Double) -> Double {
        guard quantity > 0 else { return 0 }
        return max(minCommission, commissionBps * 1e-4 * quantity * price + commissionPerShare * quantity)
    }
}

/// What happens to the part of an order above `maxParticipation` of a bar's volume.
public enum RemainderPolicy: String, Sendable, CaseIterable, Codable {
    /// The rest is offered again at the next bars' opens until filled (or the position is closed).
    case `continue`
    /// The rest is dropped (entries only: the rest of an exit is always carried).
    case cancel
}

/// Where the signals a backtest acts on come from.
public enum SignalSelection: String, Sendable, CaseIterable, Codable {
    /// Signals the engine would publish (every filter layer passed) with confidence ≥ `minConfidence`.
    case published
    /// Every strategy candidate, before any filter layer (for plain strategy backtests).
    case candidates
}

/// A stress scenario: a deterministic transformation of the real series (or of the costs). Scenario
/// bars exist only inside a backtest: they are never stored and every result names its scenario.
public enum Scenario: String, Sendable, CaseIterable, Codable {
    /// At the middle bar of the period every series drops `20%` within the bar, then recovers linearly over 10 bars.
    case flashCrash = "flash_crash"
    /// Log returns scaled ×2 around their mean (the trend), and each bar's range around its close ×2 in log terms.
    case volatilityX2 = "volatility_x2"
    /// Every 21st bar opens 8% below the previous close (through most stops) and recovers within the bar.
    case gapDown = "gap_down"
    /// Volume cut to a tenth, so participation limits bind.
    case liquidityDrought = "liquidity_drought"
    /// Slippage ×3.
    case slippageX3 = "slippage_x3"
}

/// Everything that decides a backtest's result (besides the bars), with the defaults the API uses.
public struct BacktestConfiguration: Sendable {
    public var strategies: [String] = ["sma_crossover"]
    public var minConfidence = 0.0
    public var signals: SignalSelection = .published
    public var initialCapital = 100_000.0
    public var sizing: Sizing = .fixedFraction(0.1)
    public var costs = Costs(commissionBps: 5, spreadBps: 2)
    public var slippage: SlippageModel = .volumeShare(priceImpact: 0.1, volumeLimit: 0.025)
    /// Largest share of a bar's volume one order may take (nil: no limit).
    public var maxParticipation: Double? = 0.1
    public var remainder: RemainderPolicy = .continue
    public var fill: FillTiming = .nextOpen
    /// Shorts are opened on short signals only when allowed; otherwise short signals only close longs.
    public var allowShort = false
    /// Gross exposure may reach `leverage` × equity (1: no borrowing, cash never below zero).
    public var leverage = 1.0
    /// Most positions open at once (nil: no limit), and one position per symbol and strategy unless pyramiding.
    public var maxPositions: Int? = nil
    public var allowPyramiding = false
    /// Exits besides the end of the data: the signal's stop and target, its horizon, an opposite signal.
    public var useStops = true
    public var useHorizon = true
    public var exitOnOpposite = true
    /// Positions still open at the last bar are closed at its close (`end`); false leaves them open, marked
    /// at the last close and absent from the trades (backtesting.py's default, for the reference test).
    public var closeAtEnd = true
    /// Whole shares unless fractional quantities are allowed (crypto).
    public var fractional = false
    public var scenarios: [Scenario] = []

    public init() {}

    /// A plain strategy backtest, as textbook engines run one: every candidate of `strategy`, long only,
    /// exits only on the opposite signal, commission in basis points and nothing else (no spread, slippage,
    /// volume limit, stops or horizon), `fraction` of equity per position, fills at the next open.
    public static func plain(_ strategy: String, commissionBps: Double, fraction: Double = 0.9999) -> BacktestConfiguration {
        var c = BacktestConfiguration()
        c.strategies = [strategy]
        c.signals = .candidates
        c.useStops = false
        c.useHorizon = false
        c.exitOnOpposite = true
        c.costs = Costs(commissionBps: commissionBps)
        c.slippage = .fixedBps(0)
        c.maxParticipation = nil
        c.sizing = .fixedFraction(fraction)
        c.fill = .nextOpen
        return c
    }
}

/// One invalid setting: the field (dotted path as in the request) and what is wrong.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(_ field: String, _ message: String) { self.field = field; self.message = message }
    public var description: String { "\(field) \(message)" }
}

extension BacktestConfiguration {
    /// Every problem with these settings (empty when valid). Strategy names are checked by `Strategies.make`.
    public func problems() -> [ConfigurationProblem] {
        var out: [ConfigurationProblem] = []
        func check(_ ok: Bool, _ field: String, _ message: String) { if !ok { out.append(ConfigurationProblem(field, message)) } }
        func finite(_ x: Double) -> Bool { x.isFinite }
        check(!strategies.isEmpty, "strategies", "must name at least one strategy")
        for name in strategies where !Strategies.names.contains(name) {
            out.append(ConfigurationProblem("strategies", "'\(name)' is not one of \(Strategies.names.joined(separator: ", "))"))
        }
        check(finite(minConfidence) && (0...1).contains(minConfidence), "min_confidence", "must be a number from 0 to 1")
        check(finite(initialCapital) && initialCapital > 0 && initialCapital <= 1e15, "initial_capital", "must be a positive amount")
        switch sizing {
        case .fixedFraction(let f): check(finite(f) && f > 0 && f <= 1, "sizing.fraction", "must be above 0 and at most 1")
        case .kelly(let m, let cap):
            check(finite(m) && m > 0 && m <= 1, "sizing.multiplier", "must be above 0 and at most 1")
            check(finite(cap) && cap > 0 && cap <= 1, "sizing.max_fraction", "must be above 0 and at most 1")
        case .fixedNotional(let n): check(finite(n) && n > 0, "sizing.notional", "must be a positive amount")
        }
        check(finite(costs.commissionBps) && (0...1_000).contains(costs.commissionBps), "costs.commission_bps", "must be from 0 to 1000")
        check(finite(costs.commissionPerShare) && (0...100).contains(costs.commissionPerShare), "costs.commission_per_share", "must be from 0 to 100")
        check(finite(costs.minCommission) && costs.minCommission >= 0 && costs.minCommission <= 1e6, "costs.min_commission", "must be a non-negative amount")
        check(finite(costs.spreadBps) && (0...1_000).contains(costs.spreadBps), "costs.spread_bps", "must be from 0 to 1000")
        switch slippage {
        case .fixedBps(let b): check(finite(b) && (0...1_000).contains(b), "slippage.bps", "must be from 0 to 1000")
        case .volumeShare(let p, let l):
            check(finite(p) && p >= 0 && p <= 10, "slippage.price_impact", "must be from 0 to 10")
            check(finite(l) && l > 0 && l <= 1, "slippage.volume_limit", "must be above 0 and at most 1")
        }
        if let m = maxParticipation { check(finite(m) && m > 0 && m <= 1, "max_participation", "must be above 0 and at most 1 (or null)") }
        check(finite(leverage) && leverage >= 1 && leverage <= 10, "leverage", "must be from 1 to 10")
        if let m = maxPositions { check(m >= 1 && m <= 10_000, "max_positions", "must be from 1 to 10000 (or null)") }
        return out
    }

    /// Costs and slippage as a scenario sees them.
    func adjusted(for scenario: Scenario?) -> BacktestConfiguration {
        var c = self
        if scenario == .slippageX3 { c.slippage = slippage.scaled(3) }
        return c
    }
}
