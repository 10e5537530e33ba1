import Market
import Signals

/// An open (or opening, or closing) position.
private struct Position {
    var series: Int
    var signal: EntrySignal
    var quantity = 0.0          // held now
    var pendingEntry = 0.0      // still to buy (sell short) at the next opens
    var pendingExit = 0.0       // still to close at the next opens
    var exitReason = ""
    var entryQty = 0.0, entryValue = 0.0, entryTime: Int64 = 0
    var exitQty = 0.0, exitValue = 0.0, exitTime: Int64 = 0
    var commission = 0.0, slippage = 0.0
    var sign: Double { signal.direction.sign }
    var closing: Bool { pendingExit > 0 }
}

extension Backtester {
    /// One pass over the merged timeline of `input` from `from` on (see `Execution` for the rules).
    func simulate(_ input: [BacktestSeries], signals: [[EntrySignal]], strategies: [any Strategy], from: Int64,
                  scenario: Scenario?) -> BacktestResult {
        let cfg = configuration
        let alwaysOpen = input.allSatisfy { $0.info.assetClass == .crypto }
        let bpy = Backtester.barsPerYear(input.first?.info.timeframe ?? .d1, alwaysOpen: alwaysOpen)
        let nS = input.count
        // Each series' first bar in the period, and the merged timeline.
        let first = input.map { s in s.series.time.firstIndex { $0 >= from } ?? s.series.count }
        var timeline: [Int64] = []
        for (k, s) in input.enumerated() { timeline += s.series.time[first[k]...] }
        timeline.sort()
        var unique: [Int64] = []
        unique.reserveCapacity(timeline.count)
        for t in timeline where unique.last != t { unique.append(t) }
        let last = input.map { $0.series.count - 1 }

        var cash = cfg.initialCapital
        var equity = cash
        var peak = cash
        var positions: [Position] = []
        var closed: [BacktestTrade] = []
        var pendingSignals = [[EntrySignal]](repeating: [], count: nS)
        var cursor = first
        var signalCursor = [Int](repeating: 0, count: nS)
        var lastClose = [Double](repeating: .nan, count: nS)
        var rejected: [String: Int] = [:]
        var points: [EquityPoint] = []
        points.reserveCapacity(unique.count)
        var exposedBars = 0
        var traded = 0.0
        var signalCount = 0
        // Benchmark: equal shares of the capital, bought at each series' first close.
        let slice = cfg.initialCapital / Double(max(1, nS))
        var units = [Double](repeating: 0, count: nS)
        var benchmark: [Double] = []
        benchmark.reserveCapacity(unique.count)

        func reject(_ reason: String) { rejected[reason, default: 0] += 1 }

        /// The value of open positions (shorts only: what short entries already hold as collateral).
        func exposure(shortOnly: Bool) -> Double {
            var total = 0.0
            for p in positions where p.quantity > 0 && (!shortOnly || p.sign < 0) { total += p.quantity * lastClose[p.series] }
            return total
        }

        /// Fills up to `want` of a position's entry at `base` on bar `i` of its series.
        func fillEntry(_ p: inout Position, want: Double, base: Double, i: Int, time: Int64, shortValue: Double) {
            let s = input[p.series].series
            guard base > 0, base.isFinite else { reject("unfillable"); return }
            var q = want
            if let cap = Execution.participationCap(volume: s.volume[i], maxParticipation: cfg.maxParticipation, fractional: cfg.fractional) {
                q = min(q, cap)
            }
            var (half, slip) = Execution.impact(quantity: q, volume: s.volume[i], costs: cfg.costs, slippage: cfg.slippage)
            var price = base * (1 + p.sign * (half + slip))
            // Cash: never below −(leverage − 1) × equity after the fill.
            let power = cash + (cfg.leverage - 1) * equity - (p.sign < 0 ? shortValue : 0)
            let perUnit = price * (1 + cfg.costs.commissionBps * 1e-4) + cfg.costs.commissionPerShare
            if q * perUnit + (cfg.costs.minCommission > 0 ? cfg.costs.minCommission : 0) > power {
                q = Execution.tradable(max(0, power - cfg.costs.minCommission) / perUnit, fractional: cfg.fractional)
                (half, slip) = Execution.impact(quantity: q, volume: s.volume[i], costs: cfg.costs, slippage: cfg.slippage)
                price = base * (1 + p.sign * (half + slip))
            }
            let remaining = want - q
            if q <= 0 {
                reject("cash")
                p.pendingEntry = 0
                return
            }
            let commission = cfg.costs.commission(quantity: q, price: price)
            cash -= p.sign * q * price + commission
            traded += q * price
            if p.entryQty == 0 { p.entryTime = time }
            p.quantity += q
            p.entryQty += q
            p.entryValue += q * price
            p.commission += commission
            p.slippage += q * abs(price - base)
            if remaining > 0 && cfg.remainder == .continue && Execution.tradable(remaining, fractional: cfg.fractional) > 0 {
                p.pendingEntry = remaining
            } else {
                if remaining > 0 { reject("cancelled_remainder") }
                p.pendingEntry = 0
            }
        }

        /// Closes up to the whole of a position at `base` on bar `i`; `force` ignores the participation limit.
        func fillExit(_ p: inout Position, base: Double, i: Int, time: Int64, reason: String, force: Bool = false) {
            let s = input[p.series].series
            p.pendingEntry = 0
            guard base > 0, base.isFinite else { p.pendingExit = p.quantity; p.exitReason = reason; return }
            var q = p.quantity
            if !force, let cap = Execution.participationCap(volume: s.volume[i], maxParticipation: cfg.maxParticipation, fractional: cfg.fractional) {
                q = min(q, max(cap, 0))
            }
            p.exitReason = reason
            guard q > 0 else { p.pendingExit = p.quantity; return }
            let (half, slip) = Execution.impact(quantity: q, volume: s.volume[i], costs: cfg.costs, slippage: cfg.slippage)
            let price = base * (1 - p.sign * (half + slip))
            let commission = cfg.costs.commission(quantity: q, price: price)
            cash += p.sign * q * price - commission
            traded += q * price
            p.quantity -= q
            p.exitQty += q
            p.exitValue += q * price
            p.exitTime = time
            p.commission += commission
            p.slippage += q * abs(price - base)
            p.pendingExit = p.quantity
        }

        func record(_ p: Position) {
            let s = input[p.series]
            let entry = p.entryValue / p.entryQty
            let exit = p.exitValue / max(p.exitQty, 1e-300)
            let pnl = p.sign * (p.exitValue - p.entryValue) - p.commission
            let risk = p.signal.stop.map { abs(entry - $0) * p.entryQty }
            let strategy = strategies[p.signal.strategy]
            closed.append(BacktestTrade(
                symbol: s.info.symbol, strategy: strategy.name, parameters: strategy.parameterKey, direction: p.signal.direction,
                signalTime: s.series.time[p.signal.index], entryTime: p.entryTime, entryPrice: entry, exitTime: p.exitTime,
                exitPrice: exit, quantity: p.entryQty, exitReason: p.exitReason, commission: p.commission, slippage: p.slippage,
                pnl: pnl, rMultiple: risk.flatMap { $0 > 0 ? pnl / $0 : nil }))
        }

        /// Moves finished positions to the trade list.
        func sweep() {
            var k = 0
            while k < positions.count {
                let p = positions[k]
                if p.quantity <= 0 && p.pendingEntry <= 0 && p.pendingExit <= 0 {
                    if p.entryQty > 0 { record(p) }
                    positions.remove(at: k)
                } else { k += 1 }
            }
        }

        /// Places (next open) or fills (signal close) the entry of a signal on bar `i`.
        func enter(_ sig: EntrySignal, series k: Int, base: Double, i: Int, time: Int64) {
            if sig.direction == .short && !cfg.allowShort { return }
            if !cfg.allowPyramiding && positions.contains(where: { $0.series == k && $0.signal.strategy == sig.strategy }) {
                reject("position_open"); return
            }
            if let m = cfg.maxPositions, positions.count >= m { reject("max_positions"); return }
            guard base > 0, base.isFinite else { reject("unfillable"); return }
            let budget: Double
            switch cfg.sizing {
            case .fixedFraction(let f): budget = f * equity
            case .fixedNotional(let n): budget = n
            case .kelly(let m, let cap):
                let b = sig.rewardRisk ?? 0
                let kelly = b > 0 ? sig.confidence - (1 - sig.confidence) / b : 0
                budget = min(cap, max(0, m * kelly)) * equity
            }
            let (half, slip) = Execution.impact(quantity: 0, volume: 0, costs: cfg.costs, slippage: cfg.slippage)
            let price = base * (1 + half + slip)
            let want = Execution.tradable(budget / (price * (1 + cfg.costs.commissionBps * 1e-4) + cfg.costs.commissionPerShare),
                                          fractional: cfg.fractional)
            guard want > 0 else { reject("cash"); return }
            var p = Position(series: k, signal: sig)
            fillEntry(&p, want: want, base: base, i: i, time: time, shortValue: exposure(shortOnly: true))
            if p.quantity > 0 || p.pendingEntry > 0 { positions.append(p) }
        }

        for t in unique {
            // Which series have a bar now.
            var active: [Int] = []
            for k in 0..<nS where cursor[k] <= last[k] && input[k].series.time[cursor[k]] == t { active.append(k) }
            // Open: exits first (they free cash), then continued entries, then new entries of last bar's signals.
            for k in active {
                let i = cursor[k], o = input[k].series.open[i]
                for j in positions.indices where positions[j].series == k && positions[j].closing {
                    let reason = positions[j].exitReason
                    fillExit(&positions[j], base: o, i: i, time: t, reason: reason)
                }
            }
            sweep()
            for k in active {
                let i = cursor[k], o = input[k].series.open[i]
                for j in positions.indices where positions[j].series == k && positions[j].pendingEntry > 0 && !positions[j].closing {
                    let want = positions[j].pendingEntry, shorts = exposure(shortOnly: true)
                    fillEntry(&positions[j], want: want, base: o, i: i, time: t, shortValue: shorts)
                }
                for sig in pendingSignals[k] { enter(sig, series: k, base: o, i: i, time: t) }
                pendingSignals[k].removeAll(keepingCapacity: true)
            }
            sweep()
            // Within the bar: stops and targets by the outcome rules.
            if cfg.useStops {
                for k in active {
                    let i = cursor[k]
                    let bar = input[k].series.bar(i)
                    for j in positions.indices where positions[j].series == k && positions[j].quantity > 0 && !positions[j].closing
                        && i > positions[j].signal.index {
                        let p = positions[j]
                        if let exit = OutcomeRules.barExit(direction: p.signal.direction, stop: p.signal.stop, target: p.signal.target, bar: bar) {
                            fillExit(&positions[j], base: exit.price, i: i, time: t, reason: exit.stopped ? "stop" : "target")
                        }
                    }
                }
                sweep()
            }
            // Close: horizons, the end of the period, then this bar's signals.
            for k in active {
                let i = cursor[k], c = input[k].series.close[i]
                lastClose[k] = c
                if units[k] == 0 && c > 0 && c.isFinite { units[k] = slice / c }
                for j in positions.indices where positions[j].series == k && positions[j].quantity > 0 {
                    if i == last[k] {
                        if cfg.closeAtEnd { fillExit(&positions[j], base: c, i: i, time: t, reason: "end", force: true) }
                    } else if cfg.useHorizon && !positions[j].closing && i >= positions[j].signal.index + positions[j].signal.horizon {
                        fillExit(&positions[j], base: c, i: i, time: t, reason: "horizon")
                    }
                }
                if i == last[k] { for j in positions.indices where positions[j].series == k { positions[j].pendingEntry = 0 } }
                sweep()
                let sigs = signals[k]
                while signalCursor[k] < sigs.count && sigs[signalCursor[k]].index < i { signalCursor[k] += 1 }
                while signalCursor[k] < sigs.count && sigs[signalCursor[k]].index == i {
                    let sig = sigs[signalCursor[k]]
                    signalCursor[k] += 1
                    signalCount += 1
                    if i == last[k] { continue }
                    if cfg.exitOnOpposite {
                        for j in positions.indices where positions[j].series == k && positions[j].signal.strategy == sig.strategy
                            && positions[j].signal.direction != sig.direction && positions[j].quantity > 0 && !positions[j].closing {
                            if cfg.fill == .signalClose {
                                fillExit(&positions[j], base: c, i: i, time: t, reason: "signal")
                            } else {
                                positions[j].pendingExit = positions[j].quantity
                                positions[j].pendingEntry = 0
                                positions[j].exitReason = "signal"
                            }
                        }
                        sweep()
                    }
                    if cfg.fill == .signalClose { enter(sig, series: k, base: c, i: i, time: t) } else { pendingSignals[k].append(sig) }
                }
                cursor[k] += 1
            }
            // Mark to market.
            var value = cash
            var exposed = false
            for p in positions where p.quantity > 0 {
                value += p.sign * p.quantity * lastClose[p.series]
                exposed = true
            }
            if exposed { exposedBars += 1 }
            equity = value
            peak = max(peak, value)
            points.append(EquityPoint(time: t, equity: value, drawdown: peak > 0 ? value / peak - 1 : 0))
            var b = 0.0
            for k in 0..<nS { b += units[k] > 0 ? units[k] * lastClose[k] : slice }
            benchmark.append(b)
        }
        let metrics = Metrics.compute(equity: points.map(\.equity), initial: cfg.initialCapital, barsPerYear: bpy,
                                      trades: closed, exposedBars: exposedBars, traded: traded)
        let bench = Metrics.compute(equity: benchmark, initial: cfg.initialCapital, barsPerYear: bpy, trades: [], exposedBars: 0, traded: 0)
        return BacktestResult(scenario: scenario, fill: cfg.fill, barsPerYear: bpy, metrics: metrics,
                              benchmark: BenchmarkMetrics(totalReturn: bench.totalReturn, sharpe: bench.sharpe, maxDrawdown: bench.maxDrawdown),
                              equity: points, trades: closed, rejectedOrders: rejected, signals: signalCount)
    }
}
