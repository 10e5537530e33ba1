import Foundation
@testable import GoldenSignals
import Market
import Testing

/// The pure anomaly rules and the accuracy windows, on hand-made observations.
@Suite struct AnomalyRulesTests {
    let t = AnomalyThresholds()

    @Test func providerSpikeNeedsEnoughFailuresAndShare() {
        let w = [AnomalyRules.ProviderWindow(provider: "a", calls: 10, errors: 6, lastError: "timeout"),
                 AnomalyRules.ProviderWindow(provider: "b", calls: 100, errors: 20, lastError: "429"),   // share too low
                 AnomalyRules.ProviderWindow(provider: "c", calls: 4, errors: 4, lastError: "500")]      // too few failures
        let found = AnomalyRules.providers(w, circuits: ["a": "closed", "d": "open"], t: t)
        #expect(found.map(\.kind) == [.providerErrorSpike, .circuitOpen])
        #expect(found.map(\.subject) == ["a", "d"])
        #expect(found[0].detailsJSON.contains("\"last_error\":\"timeout\""))
    }

    @Test func staleDependsOnTheMarket() {
        let now: Int64 = 1_700_000_000
        let found = AnomalyRules.stale([.init(symbol: "AAPL", crypto: false, newestBar: now - 3 * 86_400),
                                        .init(symbol: "BTC-USD", crypto: true, newestBar: now - 3 * 86_400),
                                        .init(symbol: "OLD", crypto: false, newestBar: now - 400 * 86_400)], now: now, t: t)
        #expect(found.map(\.subject) == ["BTC-USD 1d", "OLD 1d"])
        #expect(found.map(\.severity) == [.warning, .critical])
    }

    /// Intraday series count the trading time missed by the exchange's calendar: a weekend or a holiday is
    /// not staleness, an hour and three quarters of a session is (limit: ten bars, at least an hour), and
    /// a week is critical.
    @Test func intradayStalenessCountsTradingTimeOnly() {
        func utc(_ text: String) -> Int64 { RFC3339.parse(text)! }
        // Friday 2024-03-08 15:55 New York (EST): the session's last 5-minute bar, due at 16:00 (21:00 UTC).
        let friday = AnomalyRules.IntradayFreshness(symbol: "SPY", timeframe: .m5, newestBar: utc("2024-03-08T20:55:00Z"),
                                                   calendar: NYSECalendar())
        // Monday 10:30 EDT less the 15-minute settle: 45 minutes of trading missed.
        #expect(AnomalyRules.staleIntraday([friday], now: utc("2024-03-11T14:30:00Z"), t: t).isEmpty)
        // Monday 11:30 EDT: 1 h 45 min missed, over the hour.
        let monday = AnomalyRules.staleIntraday([friday], now: utc("2024-03-11T15:30:00Z"), t: t)
        #expect(monday.map(\.subject) == ["SPY 5m"] && monday.map(\.severity) == [.warning])
        #expect(monday.first?.detailsJSON.contains("\"trading_hours_missed\":1.8") == true)
        // The next Friday: more than ten hours of sessions missed.
        #expect(AnomalyRules.staleIntraday([friday], now: utc("2024-03-15T20:00:00Z"), t: t).map(\.severity) == [.critical])
        // Thursday 2024-03-28's last bar, Good Friday closed: on Monday at 10:00 EDT only 15 minutes are missed.
        let holiday = AnomalyRules.IntradayFreshness(symbol: "SPY", timeframe: .m5, newestBar: utc("2024-03-28T19:55:00Z"),
                                                    calendar: NYSECalendar())
        #expect(AnomalyRules.staleIntraday([holiday], now: utc("2024-04-01T14:00:00Z"), t: t).isEmpty)
        // Crypto trades every hour: two hours after its newest 1-minute bar (less the settle) it is stale.
        let btc = AnomalyRules.IntradayFreshness(symbol: "BTC-USD", timeframe: .m1, newestBar: utc("2024-03-09T12:00:00Z"),
                                                calendar: AlwaysOpenCalendar())
        #expect(AnomalyRules.staleIntraday([btc], now: utc("2024-03-09T13:00:00Z"), t: t).isEmpty)
        #expect(AnomalyRules.staleIntraday([btc], now: utc("2024-03-09T14:00:00Z"), t: t).map(\.subject) == ["BTC-USD 1m"])
    }

    @Test func onlyRecentJumpsCount() {
        let last: Int64 = 1_600_000_000
        let found = AnomalyRules.jumps([.init(series: "A 1d", lastBar: last, jumps: [(last - 100 * 86_400, "old")]),
                                        .init(series: "B 1d", lastBar: last, jumps: [(last - 2 * 86_400, "new"), (last - 300 * 86_400, "old")])], t: t)
        #expect(found.map(\.subject) == ["B 1d"])
        #expect(found[0].detailsJSON.contains("\"jumps\":1"))
    }

    @Test func accuracyIsComparedWithTheStrategysOwnRange() {
        let steady = [0.52, 0.55, 0.50, 0.54].map { AnomalyRules.AccuracyWindow(hitRate: $0, calibrationError: 0.04) }
        #expect(AnomalyRules.accuracy(strategy: "s", windows: steady + [.init(hitRate: 0.51, calibrationError: 0.045)], t: t).isEmpty)
        let worse = AnomalyRules.accuracy(strategy: "s", windows: steady + [.init(hitRate: 0.41, calibrationError: 0.09)], t: t)
        #expect(worse.map(\.kind) == [.hitRateDrop, .calibrationErrorRise])
        // Too little history to have a range.
        #expect(AnomalyRules.accuracy(strategy: "s", windows: Array(steady.prefix(2)) + [.init(hitRate: 0.1, calibrationError: 0.5)], t: t).isEmpty)
    }

    @Test func httpSpikesFromCountsAndBuckets() {
        let fast: [(le: Double, count: Double)] = [(0.01, 99), (1, 100), (2.5, 100), (.infinity, 100)]
        #expect(AnomalyRules.quantile(0.99, fast) == 0.01)
        #expect(AnomalyRules.http(.init(requests: 100, serverErrors: 1, buckets: fast), t: t).isEmpty)
        let slow: [(le: Double, count: Double)] = [(0.01, 90), (1, 95), (2.5, 100), (.infinity, 100)]
        let found = AnomalyRules.http(.init(requests: 100, serverErrors: 30, buckets: slow), t: t)
        #expect(found.map(\.kind) == [.latencySpike, .serverErrorSpike])
        #expect(found[1].severity == .critical)
        // Too few requests to judge.
        #expect(AnomalyRules.http(.init(requests: 5, serverErrors: 5, buckets: slow), t: t).isEmpty)
    }

    @Test func accuracyWindowsAndTrailingDays() {
        // 250 outcomes of one strategy, a day apart: hits in the first 150, misses after.
        let rows = (0..<250).map { i in (strategy: "s", ts: Int64(i) * 86_400 + 3_600, p: 0.6, hit: i < 150) }
        let a = SignalAccuracy.compute(rows, version: 0, window: 100, days: 180)
        #expect(a.overall.n == 250)
        #expect(abs(a.overall.hitRate - 0.6) < 1e-12)
        // Full windows counted back from the newest: [50…149] all hits, [150…249] all misses.
        #expect(a.strategies[0].windows.map(\.hitRate) == [1, 0])
        #expect(a.daily.count == 180)
        let lastDay = a.daily.last!   // days 160…249: all misses
        #expect(lastDay.nTrailing == 90 && lastDay.hitsTrailing == 0)
        let atBoundary = a.daily.first { $0.day == 200 * 86_400 }!   // days 111…200: 39 hits (111…149), 51 misses
        #expect(atBoundary.nTrailing == 90 && atBoundary.hitsTrailing == 39)
    }
}
