import Foundation
import Logging
import Market
import Quality

/// Computes a series' quality report from its stored bars and keeps it with its history.
public struct QualityService: Sendable {
    let bars: BarStore
    let reports: QualityStore
    let logger: Logger
    /// Told of every report stored (for metrics).
    var observe: @Sendable (SymbolRecord, Timeframe, QualityReport) -> Void = { _, _, _ in }

    /// Recomputes and stores the report of one series.
    /// - Parameter trigger: what caused it (`import`, `upload`, `ingest`, `on_demand`, `demo`).
    @discardableResult
    /// - Parameter series: the series' bars when the caller knows them all (a first load); read back otherwise.
    public func refresh(_ symbol: SymbolRecord, timeframe: Timeframe, trigger: String, series known: [Bar]? = nil,
                        now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> QualityReport {
        let series = try known ?? bars.all(symbolID: symbol.id, timeframe: timeframe)
        let calendar = Calendars.calendar(for: symbol.assetClass, exchange: symbol.exchange)
        let report = QualityChecker.report(QualityInput(bars: series, timeframe: timeframe, assetClass: symbol.assetClass,
                                                        calendar: calendar, now: now))
        try reports.save(symbolID: symbol.id, timeframe: timeframe, report: report, trigger: trigger)
        observe(symbol, timeframe, report)
        return report
    }

    /// Like `refresh`, but logs instead of throwing: a failed report never undoes accepted bars.
    public func refreshLogged(_ symbol: SymbolRecord, timeframe: Timeframe, trigger: String, series: [Bar]? = nil) {
        do { try refresh(symbol, timeframe: timeframe, trigger: trigger, series: series) } catch {
            logger.warning("quality report failed", metadata: ["symbol": "\(symbol.symbol)", "timeframe": "\(timeframe.rawValue)",
                                                               "error": "\(error)"])
        }
    }
}
