import Market

/// Data-quality checks over one bar series. Pure: no I/O, no clock (the caller passes `now`).
///
/// Score: `score = max(0, 1 − Σ_checks weight × min(1, 10 × rate))`, where `rate` is the share of
/// bars the check flags (missing sessions: share of expected sessions; missing intraday bars: share
/// of expected bars; flat runs: share of bars inside a run; staleness: 1 when stale). A check's
/// penalty is full once 10% of the bars fail it, so one bad day in 10,000 costs at most
/// 0.6 × 0.001 = 0.0006, while 10% of bars with High < Low costs 0.5 on that check alone (plus the
/// range checks it usually brings). A check's status is `fail` when `10 × rate ≥ 0.1` (≥ 1% of
/// bars) and its weight is positive, `warn` for any smaller or informational finding, else `pass`.
/// See the `Quality` documentation catalog (`Sources/Quality/Quality.docc/Quality.md`).
///
/// The checks live by family in `Checks/`: order and duplicates, single bars, the calendar
/// (sessions, gaps, staleness) and returns (outliers, splits). Each adds `Finding`s; messages are
/// written only for the issues a report lists (`QualityMessages.swift`).
public enum QualityChecker {
    /// The weight of each check in the score (0 = informational only).
    public static let weights: [String: Double] = Dictionary(uniqueKeysWithValues: Check.allCases.map { ($0.name, $0.weight) })

    /// Penalty saturation factor: a check costs its full weight once `rate × k ≥ 1` (10% of bars).
    public static let rateFactor = 10.0
    /// Robust z-score above which a return is an outlier: |r − median| / (1.4826 × MAD).
    public static let outlierThreshold = 10.0
    /// Shortest run of O = H = L = C bars reported, for daily/weekly and for intraday bars.
    public static let flatRunMinimum = (daily: 3, intraday: 15)

    /// Checks a series and returns its report.
    public static func report(_ input: QualityInput) -> QualityReport {
        var findings = Findings()
        let series = Series(input: input, sortedBars: checkOrder(input.bars, into: &findings))
        guard series.count > 0 else {
            return QualityReport(score: 0, barsChecked: 0, checks: Check.allCases.map {
                QualityCheckResult(name: $0.name, status: .pass, count: 0, weight: $0.weight)
            }, issues: [], issuesTotal: 0, firstTimestamp: nil, lastTimestamp: nil)
        }

        let zeroVolumeBars = checkBars(series, into: &findings)
        let volumeReported = checkVolumeReported(series, zeroVolumeBars: zeroVolumeBars, into: &findings)
        let volumeMatters = volumeReported && [.equity, .etf, .crypto].contains(input.assetClass)

        var sessions = SessionLookup(input.calendar)
        switch input.timeframe {
        case .w1: break   // weekly bars: only the order, bar and return checks; sessions are not checked per week
        case let tf where tf.isIntraday: checkIntradaySessions(series, &sessions, volumeMatters: volumeMatters, into: &findings)
        default: checkDailySessions(series, &sessions, volumeMatters: volumeMatters, into: &findings)
        }
        checkStaleness(series, &sessions, into: &findings)
        checkReturns(series, volumeReported: volumeReported, into: &findings)
        for check in Check.perBar {
            findings.setRate(check, Double(findings.count(check)) / Double(series.count))
        }

        let (score, checks) = results(findings)
        return QualityReport(score: score, barsChecked: series.count, checks: checks,
                             issues: listedIssues(findings, input: input), issuesTotal: findings.entries.count,
                             firstTimestamp: series.bars[0].timestamp, lastTimestamp: series.bars[series.count - 1].timestamp)
    }

    /// The score and one result per check: a check's penalty is its weight × min(1, `rateFactor` × rate).
    static func results(_ findings: Findings) -> (score: Double, checks: [QualityCheckResult]) {
        var penalty = 0.0
        var checks: [QualityCheckResult] = []
        for check in Check.allCases {
            let load = min(1, rateFactor * findings.rate(check))
            penalty += check.weight * load
            let count = findings.count(check)
            let status: QualityStatus = count == 0 ? .pass : (check.weight > 0 && load >= 0.1 ? .fail : .warn)
            checks.append(QualityCheckResult(name: check.name, status: status, count: count, weight: check.weight))
        }
        return (max(0, min(1, 1 - penalty)), checks)
    }

    /// The listed issues: at most `maxIssues`, by severity, then time (then the order found); messages only for those.
    static func listedIssues(_ findings: Findings, input: QualityInput) -> [QualityIssue] {
        let entries = findings.entries
        var order = Array(entries.indices)
        order.sort { (entries[$0].finding.check.severity.rank, entries[$0].timestamp, $0)
            < (entries[$1].finding.check.severity.rank, entries[$1].timestamp, $1) }
        order.removeLast(max(0, entries.count - max(0, input.maxIssues)))
        return order.map { i in
            let e = entries[i]
            return QualityIssue(timestamp: e.timestamp, check: e.finding.check.name, severity: e.finding.check.severity,
                                message: message(e.finding, at: e.timestamp, input: input))
        }
    }
}
