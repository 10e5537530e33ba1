import Foundation
import Market
import Quality
import Testing

/// The NYSE calendar, counting how often it is asked about a day (the calendar walk's cost).
private final class CountingCalendar: TradingCalendar, @unchecked Sendable {
    private let base: any TradingCalendar
    private let lock = NSLock()
    private var asked = 0
    init(_ base: any TradingCalendar) { self.base = base }
    var identifier: String { base.identifier }
    var calls: Int { lock.withLock { asked } }
    func session(on date: CivilDate) -> TradingSession? {
        lock.withLock { asked += 1 }
        return base.session(on: date)
    }
    func closureReason(on date: CivilDate) -> String? { base.closureReason(on: date) }
}

/// The calendar walk is bounded by the bars present, not by the span between them.
@Suite struct QualityBoundedWalkTests {
    static func bar(_ date: CivilDate) -> Bar {
        Bar(timestamp: date.unixSeconds, open: 10, high: 11, low: 9, close: 10.5, volume: 1_000)
    }

    @Test func aTwoRowSeriesCenturiesApartIsNotWalkedDayByDay() {
        let first = CivilDate(year: 1700, month: 1, day: 4), last = CivilDate(year: 2100, month: 1, day: 4)
        let calendar = CountingCalendar(NYSECalendar())
        let now = CivilDate(year: 2100, month: 1, day: 5).unixSeconds
        let report = QualityChecker.report(QualityInput(bars: [Self.bar(first), Self.bar(last)], timeframe: .d1,
                                                        assetClass: .equity, calendar: calendar, now: now))
        // 146,000 days lie between the two bars; the walk asks about a bounded number of them.
        #expect(calendar.calls < 2 * 3_700)
        // Every weekday between them is a missing session (holidays are not subtracted in a gap this long).
        let span = last.daysSinceEpoch - first.daysSinceEpoch - 1
        var weekdays = 0
        var d = first.adding(days: 1)
        while d < last { if d.weekday <= 5 { weekdays += 1 }; d = d.adding(days: 1) }
        #expect(span > 146_000)
        #expect(report.checks.first { $0.name == "missing_session" }?.count == weekdays)
        // The gap is listed once, not once per session.
        #expect(report.issues.filter { $0.check == "missing_session" }.count == 1)
        #expect(report.score < 0.7)
    }

    @Test func gapsUpToTheBoundAreStillWalkedSessionBySession() {
        // Two bars a year apart: every missing NYSE session (holidays excluded) is counted and listed.
        let first = CivilDate(year: 2023, month: 1, day: 3), last = CivilDate(year: 2024, month: 1, day: 2)
        let nyse = NYSECalendar()
        var sessions = 0
        var d = first.adding(days: 1)
        while d < last { if nyse.session(on: d) != nil { sessions += 1 }; d = d.adding(days: 1) }
        let report = QualityChecker.report(QualityInput(bars: [Self.bar(first), Self.bar(last)], timeframe: .d1, assetClass: .equity,
                                                        calendar: nyse, now: last.unixSeconds + 86_400, maxIssues: 1_000))
        #expect(report.checks.first { $0.name == "missing_session" }?.count == sessions)
        #expect(report.issues.filter { $0.check == "missing_session" }.count == sessions)
        #expect(sessions == 249)   // NYSE traded 250 sessions in 2023; the first, 2023-01-03, has a bar
    }
}
