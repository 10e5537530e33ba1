import Foundation
import HTTPServer
import Market
import MarketProviders

/// What kind of trouble an anomaly is. The raw value is stored and served.
public enum AnomalyKind: String, CaseIterable, Sendable {
    /// A provider's calls failed at a high rate in the last window.
    case providerErrorSpike = "provider_error_spike"
    /// A provider's circuit breaker is open (calls go to the next provider).
    case circuitOpen = "circuit_open"
    /// An active symbol's newest daily bar is older than its market allows, or an intraday series of it
    /// missed more trading time than its bars allow.
    case staleData = "stale_data"
    /// The newest quality report flags an outlier return near the end of a series.
    case priceJump = "price_jump"
    /// A strategy's hit rate in its newest window fell below its own recent range.
    case hitRateDrop = "hit_rate_drop"
    /// A strategy's calibration error in its newest window rose above its own recent range.
    case calibrationErrorRise = "calibration_error_rise"
    /// HTTP p99 latency since the last round was above the threshold.
    case latencySpike = "latency_spike"
    /// The share of 5xx answers since the last round was above the threshold.
    case serverErrorSpike = "server_error_spike"
    /// The database did not answer; recorded (already resolved) when it answers again.
    case databaseUnreachable = "database_unreachable"
}

/// How bad an anomaly is.
public enum AnomalySeverity: String, Sendable {
    case info, warning, critical
}

/// One detail of an anomaly: a number or a text, kept in order for a stable JSON rendering.
public enum AnomalyDetail: Sendable, Equatable {
    case number(Double)
    case text(String)
}

/// One condition found by a detection round.
public struct AnomalyFinding: Sendable, Equatable {
    public var kind: AnomalyKind
    public var severity: AnomalySeverity
    /// What it is about: a provider, `SYMBOL timeframe`, a strategy, `http`, `database`.
    public var subject: String
    public var details: [(String, AnomalyDetail)]

    public init(kind: AnomalyKind, severity: AnomalySeverity, subject: String, details: [(String, AnomalyDetail)]) {
        self.kind = kind
        self.severity = severity
        self.subject = subject
        self.details = details
    }

    public static func == (a: AnomalyFinding, b: AnomalyFinding) -> Bool {
        a.kind == b.kind && a.severity == b.severity && a.subject == b.subject
            && a.details.map(\.0) == b.details.map(\.0) && a.details.map(\.1) == b.details.map(\.1)
    }

    /// The details as a JSON object.
    public var detailsJSON: String {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        for (k, v) in details {
            w.key(k)
            switch v {
            case .number(let x): if x.isFinite { w.number(x) } else { w.null() }
            case .text(let s): w.string(s)
            }
        }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

/// The thresholds of the rules (defaults documented in the README).
public struct AnomalyThresholds: Sendable {
    /// Provider calls looked at (seconds back).
    public var providerWindow: Int64 = 900
    /// A provider spike needs at least this many failed calls …
    public var providerMinErrors = 5
    /// … and at least this share of its calls failing.
    public var providerErrorShare = 0.5
    /// Newest daily bar older than this many days is stale (stocks allow for weekends and holidays).
    public var staleDaysStock = 4.0
    public var staleDaysCrypto = 2.0
    /// An intraday series is stale when the market traded for longer than this many of its bars (and at
    /// least `staleIntradayMinSeconds`) since its newest bar was due, not counting `settleSeconds`
    /// (ingestion stores a bar only that long after its end).
    public var staleIntradayBars = 10
    public var staleIntradayMinSeconds: Int64 = 3_600
    public var settleSeconds: Int64 = Backfill.defaultSettleSeconds
    /// Outlier returns flagged within this many days before a series' newest bar are recent jumps.
    public var jumpRecentDays = 30.0
    /// Outcomes per window of a strategy's accuracy history (by signal time).
    public var accuracyWindow = 100
    /// Earlier windows that make a strategy's "own recent range" (at least 3 are needed).
    public var accuracyHistory = 6
    /// How far outside that range (in rate units: 0.02 = 2 percentage points) the newest window must be, so
    /// that a narrow range does not turn noise into anomalies.
    public var accuracyMargin = 0.02
    /// HTTP rules need at least this many requests since the last round.
    public var httpMinRequests = 20
    /// p99 latency above this many seconds is a spike.
    public var latencyP99Seconds = 1.0
    /// A 5xx share above this is a spike (critical above four times it).
    public var serverErrorShare = 0.05

    public init() {}
}

/// The pure rules: observations in, findings out. No database, no clock but the one passed in.
public enum AnomalyRules {
    /// Provider calls of one provider in the window.
    public struct ProviderWindow: Sendable {
        public var provider: String
        public var calls: Int
        public var errors: Int
        public var lastError: String?
        public init(provider: String, calls: Int, errors: Int, lastError: String?) {
            self.provider = provider; self.calls = calls; self.errors = errors; self.lastError = lastError
        }
    }

    public static func providers(_ windows: [ProviderWindow], circuits: [String: String], t: AnomalyThresholds) -> [AnomalyFinding] {
        var out: [AnomalyFinding] = []
        for w in windows where w.calls > 0 {
            let share = Double(w.errors) / Double(w.calls)
            guard w.errors >= t.providerMinErrors, share >= t.providerErrorShare else { continue }
            var details: [(String, AnomalyDetail)] = [("calls", .number(Double(w.calls))), ("errors", .number(Double(w.errors))),
                                                      ("error_share", .number(share)), ("window_seconds", .number(Double(t.providerWindow)))]
            if let e = w.lastError { details.append(("last_error", .text(String(e.prefix(200))))) }
            out.append(AnomalyFinding(kind: .providerErrorSpike, severity: share >= 0.9 ? .critical : .warning, subject: w.provider, details: details))
        }
        for (provider, state) in circuits.sorted(by: { $0.key < $1.key }) where state == "open" {
            out.append(AnomalyFinding(kind: .circuitOpen, severity: .warning, subject: provider, details: [("state", .text(state))]))
        }
        return out
    }

    /// The newest daily bar of an active symbol.
    public struct Freshness: Sendable {
        public var symbol: String
        public var crypto: Bool
        public var newestBar: Int64
        public init(symbol: String, crypto: Bool, newestBar: Int64) { self.symbol = symbol; self.crypto = crypto; self.newestBar = newestBar }
    }

    public static func stale(_ series: [Freshness], now: Int64, t: AnomalyThresholds) -> [AnomalyFinding] {
        series.compactMap { s in
            let days = Double(now - s.newestBar) / 86_400
            let limit = s.crypto ? t.staleDaysCrypto : t.staleDaysStock
            guard days > limit else { return nil }
            return AnomalyFinding(kind: .staleData, severity: days > 10 * limit ? .critical : .warning, subject: "\(s.symbol) 1d",
                                  details: [("newest_bar", .text(RFC3339.format(s.newestBar))), ("age_days", .number((days * 10).rounded() / 10)),
                                            ("limit_days", .number(limit))])
        }
    }

    /// Outlier returns the newest quality report of a series lists.
    public struct FlaggedJumps: Sendable {
        public var series: String
        public var lastBar: Int64
        /// (bar time, message) of each listed outlier return.
        public var jumps: [(Int64, String)]
        public init(series: String, lastBar: Int64, jumps: [(Int64, String)]) { self.series = series; self.lastBar = lastBar; self.jumps = jumps }
    }

    /// The newest bar of an intraday series of an active symbol, with its market's calendar.
    public struct IntradayFreshness: Sendable {
        public var symbol: String
        public var timeframe: Timeframe
        public var newestBar: Int64
        public var calendar: any TradingCalendar
        public init(symbol: String, timeframe: Timeframe, newestBar: Int64, calendar: any TradingCalendar) {
            self.symbol = symbol; self.timeframe = timeframe; self.newestBar = newestBar; self.calendar = calendar
        }
    }

    /// Intraday series whose market traded for longer than their limit since their newest bar was due
    /// (critical past ten times the limit). Trading time is counted by the calendar, so a series is not
    /// stale over a night, a weekend or a holiday.
    public static func staleIntraday(_ series: [IntradayFreshness], now: Int64, t: AnomalyThresholds) -> [AnomalyFinding] {
        series.compactMap { s in
            let limit = max(Int64(t.staleIntradayBars) * s.timeframe.seconds, t.staleIntradayMinSeconds)
            let due = s.calendar.barEnd(start: s.newestBar, timeframe: s.timeframe)
            let missed = s.calendar.tradingSeconds(from: due, to: now - t.settleSeconds, limit: 10 * limit + 1)
            guard missed > limit else { return nil }
            let hours = { (seconds: Int64) in (Double(seconds) / 360).rounded() / 10 }
            return AnomalyFinding(kind: .staleData, severity: missed > 10 * limit ? .critical : .warning,
                                  subject: "\(s.symbol) \(s.timeframe.rawValue)",
                                  details: [("newest_bar", .text(RFC3339.format(s.newestBar))),
                                            ("trading_hours_missed", missed > 10 * limit ? .text("more than \(hours(10 * limit))") : .number(hours(missed))),
                                            ("limit_hours", .number(hours(limit)))])
        }
    }

    public static func jumps(_ flagged: [FlaggedJumps], t: AnomalyThresholds) -> [AnomalyFinding] {
        flagged.compactMap { f in
            let recent = f.jumps.filter { Double(f.lastBar - $0.0) <= t.jumpRecentDays * 86_400 }.sorted { $0.0 > $1.0 }
            guard let newest = recent.first else { return nil }
            return AnomalyFinding(kind: .priceJump, severity: .warning, subject: f.series,
                                  details: [("jumps", .number(Double(recent.count))), ("newest_at", .text(RFC3339.format(newest.0))),
                                            ("message", .text(newest.1))])
        }
    }

    /// One window of a strategy's final published outcomes (oldest window first).
    public struct AccuracyWindow: Sendable, Equatable {
        public var hitRate: Double
        public var calibrationError: Double
        public init(hitRate: Double, calibrationError: Double) { self.hitRate = hitRate; self.calibrationError = calibrationError }
    }

    /// The newest window against the range of the `accuracyHistory` windows before it, widened by `accuracyMargin`.
    public static func accuracy(strategy: String, windows: [AccuracyWindow], t: AnomalyThresholds) -> [AnomalyFinding] {
        guard windows.count >= 4, let last = windows.last else { return [] }
        let earlier = windows.dropLast().suffix(t.accuracyHistory)
        var out: [AnomalyFinding] = []
        let lo = earlier.map(\.hitRate).min()!, hi = earlier.map(\.hitRate).max()!
        if last.hitRate < lo - t.accuracyMargin {
            out.append(AnomalyFinding(kind: .hitRateDrop, severity: .warning, subject: strategy,
                                      details: [("hit_rate", .number(last.hitRate)), ("range_low", .number(lo)), ("range_high", .number(hi)),
                                                ("window_outcomes", .number(Double(t.accuracyWindow))), ("windows_compared", .number(Double(earlier.count)))]))
        }
        let elo = earlier.map(\.calibrationError).min()!, ehi = earlier.map(\.calibrationError).max()!
        if last.calibrationError > ehi + t.accuracyMargin {
            out.append(AnomalyFinding(kind: .calibrationErrorRise, severity: .warning, subject: strategy,
                                      details: [("calibration_error", .number(last.calibrationError)), ("range_low", .number(elo)),
                                                ("range_high", .number(ehi)), ("window_outcomes", .number(Double(t.accuracyWindow))),
                                                ("windows_compared", .number(Double(earlier.count)))]))
        }
        return out
    }

    /// HTTP traffic since the previous round: requests, 5xx answers, and latency bucket counts
    /// (cumulative counts per upper bound, as Prometheus histograms keep them).
    public struct HTTPWindow: Sendable {
        public var requests: Double
        public var serverErrors: Double
        public var buckets: [(le: Double, count: Double)]
        /// How many replicas' windows this one sums.
        public var replicas = 1
        public init(requests: Double, serverErrors: Double, buckets: [(le: Double, count: Double)], replicas: Int = 1) {
            self.requests = requests; self.serverErrors = serverErrors; self.buckets = buckets; self.replicas = replicas
        }

        /// The windows of several replicas as one: counts added, latency buckets added bound by bound.
        public static func sum(_ windows: [HTTPWindow]) -> HTTPWindow? {
            guard !windows.isEmpty else { return nil }
            var buckets: [Double: Double] = [:]
            for w in windows { for b in w.buckets { buckets[b.le, default: 0] += b.count } }
            return HTTPWindow(requests: windows.reduce(0) { $0 + $1.requests }, serverErrors: windows.reduce(0) { $0 + $1.serverErrors },
                              buckets: buckets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                              replicas: windows.reduce(0) { $0 + $1.replicas })
        }
    }

    /// The upper bound of the bucket holding the q-quantile (the Prometheus convention, without interpolation).
    public static func quantile(_ q: Double, _ buckets: [(le: Double, count: Double)]) -> Double? {
        guard let total = buckets.last?.count, total > 0 else { return nil }
        let rank = q * total
        return buckets.first { $0.count >= rank }?.le
    }

    public static func http(_ w: HTTPWindow, t: AnomalyThresholds) -> [AnomalyFinding] {
        guard w.requests >= Double(t.httpMinRequests) else { return [] }
        var out: [AnomalyFinding] = []
        if let p99 = quantile(0.99, w.buckets), p99 > t.latencyP99Seconds {
            out.append(AnomalyFinding(kind: .latencySpike, severity: .warning, subject: "http",
                                      details: [("p99_seconds_at_most", .number(p99)), ("requests", .number(w.requests)),
                                                ("threshold_seconds", .number(t.latencyP99Seconds)), ("replicas", .number(Double(w.replicas)))]))
        }
        let share = w.serverErrors / w.requests
        if share > t.serverErrorShare {
            out.append(AnomalyFinding(kind: .serverErrorSpike, severity: share > 4 * t.serverErrorShare ? .critical : .warning, subject: "http",
                                      details: [("server_errors", .number(w.serverErrors)), ("requests", .number(w.requests)),
                                                ("share", .number(share)), ("threshold", .number(t.serverErrorShare)),
                                                ("replicas", .number(Double(w.replicas)))]))
        }
        return out
    }
}
