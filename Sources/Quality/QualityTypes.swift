public import Market

/// A check's verdict over a series.
public enum QualityStatus: String, Sendable, Codable, Hashable, CaseIterable {
    /// No findings.
    case pass
    /// Findings below the fail threshold, or informational findings.
    case warn
    /// Weighted findings on at least 1% of the bars (see `QualityChecker`).
    case fail
}

/// How serious a finding is, from `critical` (the bar is unusable) to `info` (worth knowing).
public enum QualitySeverity: String, Sendable, Codable, Hashable, CaseIterable, Comparable {
    case critical, high, medium, low, info

    /// `critical` < `high` < … < `info`: the order issues are listed in.
    public static func < (a: QualitySeverity, b: QualitySeverity) -> Bool { a.rank < b.rank }

    var rank: Int {
        switch self {
        case .critical: 0
        case .high: 1
        case .medium: 2
        case .low: 3
        case .info: 4
        }
    }
}

/// The outcome of one check over a series.
public struct QualityCheckResult: Sendable, Codable, Hashable {
    /// The check's stable name, e.g. `high_below_low` (see `QualityChecker.weights`).
    public var name: String
    /// `pass` (no findings), `warn` (findings below the fail threshold, or informational findings)
    /// or `fail` (weighted findings on at least 1% of the bars, see `QualityChecker`).
    public var status: QualityStatus
    /// How many issues the check found (always complete, even when the issue list is capped).
    public var count: Int
    /// The check's weight in the score.
    public var weight: Double

    /// A result for check `name`.
    public init(name: String, status: QualityStatus, count: Int, weight: Double) {
        self.name = name
        self.status = status
        self.count = count
        self.weight = weight
    }
}

/// One finding, at one bar or time.
public struct QualityIssue: Sendable, Codable, Hashable {
    /// The bar's timestamp (or the start of the missing span), Unix seconds UTC.
    public var timestamp: Int64
    /// The name of the check that found it.
    public var check: String
    /// `critical`, `high`, `medium`, `low` or `info`.
    public var severity: QualitySeverity
    /// A sentence saying what is wrong and what it likely means.
    public var message: String

    /// An issue found by `check` at `timestamp`.
    public init(timestamp: Int64, check: String, severity: QualitySeverity, message: String) {
        self.timestamp = timestamp
        self.check = check
        self.severity = severity
        self.message = message
    }
}

/// The quality report of one series.
public struct QualityReport: Sendable {
    /// 1 for a flawless series, 0 for an unusable one (see `QualityChecker` for the formula).
    public var score: Double
    /// The number of bars examined.
    public var barsChecked: Int
    /// One result per check, in a fixed order.
    public var checks: [QualityCheckResult]
    /// The most important issues (at most `maxIssues`), ordered by severity, then time.
    public var issues: [QualityIssue]
    /// The number of issues found in total (the sum of the checks' counts).
    public var issuesTotal: Int
    /// The first bar's timestamp, if any.
    public var firstTimestamp: Int64?
    /// The last bar's timestamp, if any.
    public var lastTimestamp: Int64?

    /// A report with the given fields.
    public init(score: Double, barsChecked: Int, checks: [QualityCheckResult], issues: [QualityIssue],
                issuesTotal: Int, firstTimestamp: Int64?, lastTimestamp: Int64?) {
        self.score = score
        self.barsChecked = barsChecked
        self.checks = checks
        self.issues = issues
        self.issuesTotal = issuesTotal
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
    }
}

/// What to check: a series (expected sorted by time), how to read it, and the current time.
public struct QualityInput: Sendable {
    /// The bars, sorted by timestamp (unsorted or repeated timestamps are reported).
    public var bars: [Bar]
    /// The bars' interval.
    public var timeframe: Timeframe
    /// The instrument's asset class (decides whether zero volume matters).
    public var assetClass: AssetClass
    /// The market's calendar, for missing sessions, bars outside sessions and staleness.
    public var calendar: any TradingCalendar
    /// The current time, Unix seconds UTC (fixed in tests so staleness is deterministic).
    public var now: Int64
    /// The most issues to list in the report (counts are always complete).
    public var maxIssues: Int = 200

    /// An input for `QualityChecker.report`.
    public init(bars: [Bar], timeframe: Timeframe, assetClass: AssetClass, calendar: any TradingCalendar,
                now: Int64, maxIssues: Int = 200) {
        self.bars = bars
        self.timeframe = timeframe
        self.assetClass = assetClass
        self.calendar = calendar
        self.now = now
        self.maxIssues = maxIssues
    }
}
