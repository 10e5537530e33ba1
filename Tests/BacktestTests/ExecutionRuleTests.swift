import Market
import Signals
import Testing
@testable import Backtest

/// Each execution rule on a hand-made bar path, with prices worked out by hand.
@Suite struct ExecutionRuleTests {
    @Test func signalAtCloseIsFilledAtTheNextOpen() {
        let s = Paths.series([Paths.flat(100), (102, 104, 101, 103, 1e6), Paths.flat(103), Paths.flat(105)])
        let r = Paths.run(s, [Paths.signal(0)], Paths.frictionless())
        #expect(r.trades.count == 1)
        let t = r.trades[0]
        #expect(t.entryTime == Paths.t0 + Paths.day)   // bar 1, not bar 0
        #expect(t.entryPrice == 102)                     // bar 1's open, not bar 0's close
        #expect(t.quantity == 98)                        // ⌊10,000 / 102⌋
        #expect(t.exitReason == "end" && t.exitPrice == 105)
        #expect(abs(t.pnl - 98 * 3) < 1e-9)
        #expect(!r.label.contains("optimistic"))
    }

    @Test func signalCloseFillsAtTheSignalBarAndIsLabelled() {
        let s = Paths.series([Paths.flat(100), (102, 104, 101, 103, 1e6), Paths.flat(105)])
        var c = Paths.frictionless()
        c.fill = .signalClose
        let r = Paths.run(s, [Paths.signal(0)], c)
        #expect(r.trades.first?.entryTime == Paths.t0 && r.trades.first?.entryPrice == 100)
        #expect(r.label.contains("optimistic"))
    }

    @Test func aGapThroughTheStopFillsAtTheOpen() {
        // Stop 95: bar 2 opens at 90, below it; the fill is 90, not 95.
        let s = Paths.series([Paths.flat(100), Paths.flat(100), (90, 92, 88, 91, 1e6), Paths.flat(91)])
        let r = Paths.run(s, [Paths.signal(0, stop: 95, target: 120)], Paths.frictionless())
        #expect(r.trades.count == 1)
        #expect(r.trades[0].exitReason == "stop" && r.trades[0].exitPrice == 90)
        #expect(r.trades[0].exitTime == Paths.t0 + 2 * Paths.day)
        // R multiple: (90 − 100) / (100 − 95) = −2.
        #expect(abs(r.trades[0].rMultiple! + 2) < 1e-12)
    }

    @Test func stopAndTargetInOneBarTakesTheStop() {
        let s = Paths.series([Paths.flat(100), Paths.flat(100), (100, 111, 94, 105, 1e6), Paths.flat(105)])
        let r = Paths.run(s, [Paths.signal(0, stop: 95, target: 110)], Paths.frictionless())
        #expect(r.trades[0].exitReason == "stop" && r.trades[0].exitPrice == 95)
    }

    @Test func aTargetInsideTheBarFillsAtTheTarget() {
        let s = Paths.series([Paths.flat(100), Paths.flat(100), (101, 112, 100, 111, 1e6), Paths.flat(111)])
        let r = Paths.run(s, [Paths.signal(0, stop: 95, target: 110)], Paths.frictionless())
        #expect(r.trades[0].exitReason == "target" && r.trades[0].exitPrice == 110)
    }

    @Test func theStopIsCheckedOnTheEntryBarAfterItsOpen() {
        // Entered at bar 1's open (100), the low of that same bar reaches the stop.
        let s = Paths.series([Paths.flat(100), (100, 101, 94, 96, 1e6), Paths.flat(96)])
        let r = Paths.run(s, [Paths.signal(0, stop: 95)], Paths.frictionless())
        #expect(r.trades[0].exitReason == "stop" && r.trades[0].exitTime == Paths.t0 + Paths.day)
    }

    @Test func aShortStopIsAboveAndGapsUpFillAtTheOpen() {
        var c = Paths.frictionless()
        c.allowShort = true
        let s = Paths.series([Paths.flat(100), Paths.flat(100), (108, 110, 107, 109, 1e6), Paths.flat(109)])
        let r = Paths.run(s, [Paths.signal(0, .short, stop: 105, target: 90)], c)
        #expect(r.trades[0].direction == .short && r.trades[0].exitReason == "stop" && r.trades[0].exitPrice == 108)
        #expect(abs(r.trades[0].pnl - -8 * 100) < 1e-9)
    }

    @Test func shortSignalsOnlyCloseLongsUnlessShortsAreAllowed() {
        let s = Paths.series([Paths.flat(100), Paths.flat(100), Paths.flat(104), (106, 107, 105, 106, 1e6), Paths.flat(100)])
        let r = Paths.run(s, [Paths.signal(0), Paths.signal(2, .short)], Paths.frictionless())
        #expect(r.trades.count == 1)
        #expect(r.trades[0].exitReason == "signal" && r.trades[0].exitPrice == 106 && r.trades[0].exitTime == Paths.t0 + 3 * Paths.day)
    }

    @Test func theHorizonEndsAtItsBarsClose() {
        let s = Paths.series([Paths.flat(100), Paths.flat(101), Paths.flat(102), Paths.flat(103), Paths.flat(104)])
        let r = Paths.run(s, [Paths.signal(0, horizon: 2)], Paths.frictionless())
        #expect(r.trades[0].exitReason == "horizon" && r.trades[0].exitPrice == 102 && r.trades[0].exitTime == Paths.t0 + 2 * Paths.day)
    }

    @Test func spreadSlippageAndCommissionArePaidOnBothLegs() {
        let s = Paths.series([Paths.flat(100), Paths.flat(100), Paths.flat(110)])
        var c = Paths.frictionless()
        c.costs = Costs(commissionBps: 10, commissionPerShare: 0.01, minCommission: 5, spreadBps: 20)
        c.slippage = .fixedBps(5)
        let r = Paths.run(s, [Paths.signal(0)], c)
        let t = r.trades[0]
        let buy = 100 * (1 + 0.001 + 0.0005)    // half of 20 bps + 5 bps
        let sell = 110 * (1 - 0.001 - 0.0005)
        let q = (10_000 / (buy * 1.001 + 0.01)).rounded(.down)
        #expect(t.quantity == q)
        #expect(abs(t.entryPrice - buy) < 1e-9 && abs(t.exitPrice - sell) < 1e-9)
        let commission = max(5, 0.001 * q * buy + 0.01 * q) + max(5, 0.001 * q * sell + 0.01 * q)
        #expect(abs(t.commission - commission) < 1e-9)
        #expect(abs(t.slippage - q * (buy - 100) - q * (110 - sell)) < 1e-9)
        #expect(abs(t.pnl - (q * (sell - buy) - commission)) < 1e-9)
        #expect(abs(r.metrics.costsPaid - t.commission - t.slippage) < 1e-9)
        #expect(abs(r.equity.last!.equity - (100_000 + t.pnl)) < 1e-6)
    }

    @Test func theMinimumCommissionApplies() {
        let s = Paths.series([Paths.flat(100), Paths.flat(100), Paths.flat(100)])
        var c = Paths.frictionless(notional: 1_000)
        c.costs = Costs(commissionBps: 1, minCommission: 7)
        let r = Paths.run(s, [Paths.signal(0)], c)
        #expect(r.trades[0].commission == 14)
    }

    @Test func volumeShareSlippageGrowsWithTheShareOfVolume() {
        // 1,000 shares on a 10,000-share bar: share 0.1, capped at the volume limit 0.05; impact 0.1 × 0.05² = 2.5 bps.
        let s = Paths.series([Paths.flat(100, volume: 10_000), Paths.flat(100, volume: 10_000), Paths.flat(100, volume: 1e9)])
        var c = Paths.frictionless(notional: 100_000)
        c.slippage = .volumeShare(priceImpact: 0.1, volumeLimit: 0.05)
        c.initialCapital = 1_000_000
        let r = Paths.run(s, [Paths.signal(0)], c)
        let t = r.trades[0]
        #expect(abs(t.entryPrice - 100 * (1 + 0.1 * 0.05 * 0.05)) < 1e-9)
        // The exit of 999 shares (⌊100,000 / 100.025⌋) on a 10⁹-share bar: share ≈ 1e-6, impact ≈ 1e-13.
        #expect(abs(t.exitPrice - 100 * (1 - 0.1 * (t.quantity / 1e9) * (t.quantity / 1e9))) < 1e-9)
        // Half the volume limit: a quarter of the impact.
        let small = Paths.series([Paths.flat(100, volume: 10_000), Paths.flat(100, volume: 10_000), Paths.flat(100, volume: 1e9)])
        var c2 = c
        c2.sizing = .fixedNotional(25_000)
        let r2 = Paths.run(small, [Paths.signal(0)], c2)
        let share = r2.trades[0].quantity / 10_000
        #expect(abs(r2.trades[0].entryPrice - 100 * (1 + 0.1 * share * share)) < 1e-9)
    }

    @Test func ordersAboveTheParticipationLimitFillOverTheNextBars() {
        // 10% of 300 shares = 30 a bar; 100 shares fill 30 + 30 + 30 + 10.
        let rows = [Paths.flat(100, volume: 300)] + (1...6).map { Paths.flat(100 + Double($0), volume: 300) }
        var c = Paths.frictionless(notional: 10_000)
        c.maxParticipation = 0.1
        let r = Paths.run(Paths.series(rows), [Paths.signal(0)], c)
        let t = r.trades[0]
        #expect(t.quantity == 99)  // ⌊10,000 / 101⌋ wanted, all filled over four bars
        let filled: Double = 30 * 101.0 + 30 * 102.0 + 30 * 103.0 + 9 * 104.0
        let expected = filled / 99
        #expect(abs(t.entryPrice - expected) < 1e-9)
        // The exit at the end is forced at the last close (no participation limit on the closing mark).
        #expect(t.exitReason == "end" && t.exitPrice == 106)
    }

    @Test func cancelledRemaindersAreDroppedAndCounted() {
        let rows = [Paths.flat(100, volume: 300)] + (1...4).map { _ in Paths.flat(100, volume: 300) }
        var c = Paths.frictionless(notional: 10_000)
        c.maxParticipation = 0.1
        c.remainder = .cancel
        let r = Paths.run(Paths.series(rows), [Paths.signal(0)], c)
        #expect(r.trades[0].quantity == 30)
        #expect(r.rejectedOrders["cancelled_remainder"] == 1)
    }

    @Test func exitsAboveTheParticipationLimitAreCarried() {
        // 100 shares, stop hit on bar 2 where only 30 may trade: 30 at the stop, the rest at the next opens.
        let s = Paths.series([Paths.flat(100, volume: 1e6), Paths.flat(100, volume: 1e6), (99, 99, 90, 91, 300),
                              (92, 93, 91, 92, 300), (93, 94, 92, 93, 1e6), Paths.flat(93)])
        var c = Paths.frictionless(notional: 10_000)
        c.maxParticipation = 0.1
        let r = Paths.run(s, [Paths.signal(0, stop: 95)], c)
        let t = r.trades[0]
        #expect(t.quantity == 100 && t.exitReason == "stop")
        let exits: Double = 30 * 95.0 + 30 * 92.0 + 40 * 93.0
        #expect(abs(t.exitPrice - exits / 100) < 1e-9)
        #expect(t.exitTime == Paths.t0 + 4 * Paths.day)
    }

    @Test func cashNeverGoesNegativeWithoutLeverage() {
        let s = Paths.series([Paths.flat(100), Paths.flat(100), Paths.flat(100), Paths.flat(80), Paths.flat(80)])
        var c = Paths.frictionless(notional: 1_000_000)  // ten times the capital
        c.costs = Costs(commissionBps: 10)
        let r = Paths.run(s, [Paths.signal(0)], c)
        let t = r.trades[0]
        #expect(t.quantity == (100_000 / (100 * 1.001)).rounded(.down))
        #expect(t.quantity * 100 + t.commission / 2 <= 100_000 + 1e-6)
        // With 2× leverage twice as much may be bought.
        c.leverage = 2
        let l = Paths.run(s, [Paths.signal(0)], c)
        #expect(l.trades[0].quantity == (200_000 / (100 * 1.001)).rounded(.down))
    }

    @Test func onePositionPerSymbolAndStrategyUnlessPyramiding() {
        let s = Paths.series((0..<6).map { Paths.flat(100 + Double($0)) })
        let r = Paths.run(s, [Paths.signal(0), Paths.signal(1)], Paths.frictionless())
        #expect(r.trades.count == 1 && r.rejectedOrders["position_open"] == 1)
        var c = Paths.frictionless()
        c.allowPyramiding = true
        #expect(Paths.run(s, [Paths.signal(0), Paths.signal(1)], c).trades.count == 2)
    }

    @Test func aBarWithoutAPositiveOpenIsNotFilled() {
        let s = Paths.series([Paths.flat(100), (0, 101, 99, 100, 1e6), Paths.flat(100)])
        let r = Paths.run(s, [Paths.signal(0)], Paths.frictionless())
        #expect(r.trades.isEmpty && r.rejectedOrders["unfillable"] == 1)
    }

    @Test func kellySizingUsesConfidenceAndRewardRisk() {
        // p = 0.6, b = 2: Kelly 0.4; × 0.5 = 0.2, capped at 0.15 of 100,000 → 15,000 / 100 = 150 shares.
        let s = Paths.series([Paths.flat(100), Paths.flat(100), Paths.flat(100)])
        var c = Paths.frictionless()
        c.sizing = .kelly(multiplier: 0.5, cap: 0.15)
        #expect(Paths.run(s, [Paths.signal(0)], c).trades[0].quantity == 150)
        c.sizing = .kelly(multiplier: 0.25, cap: 0.15)
        #expect(Paths.run(s, [Paths.signal(0)], c).trades[0].quantity == 100)
        // No edge (p − (1 − p) / b ≤ 0): no trade.
        #expect(Paths.run(s, [Paths.signal(0, confidence: 0.3)], c).trades.isEmpty)
    }

    @Test func fixedFractionSizesOnTheLastMarkedEquity() {
        let s = Paths.series([Paths.flat(100), Paths.flat(100), Paths.flat(100)])
        var c = Paths.frictionless()
        c.sizing = .fixedFraction(0.25)
        #expect(Paths.run(s, [Paths.signal(0)], c).trades[0].quantity == 250)
    }

    @Test func invalidConfigurationsNameEachField() {
        var c = BacktestConfiguration()
        c.strategies = ["nope"]
        c.minConfidence = 2
        c.sizing = .fixedFraction(0)
        c.costs.spreadBps = -1
        c.maxParticipation = 0
        let fields = Set(c.problems().map(\.field))
        #expect(fields == ["strategies", "min_confidence", "sizing.fraction", "costs.spread_bps", "max_participation"])
        #expect(BacktestConfiguration().problems().isEmpty)
    }
}
