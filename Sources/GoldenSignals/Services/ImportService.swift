import Foundation
import Market

/// What one import or upload did.
public struct ImportSummary: Sendable {
    public var symbol: String
    public var timeframe: Timeframe
    public var dataRows: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    public var duplicatesReplaced: Int
    /// The first `OHLCVCSVReader.maxRejectedKept` rejected rows.
    public var rejected: [CSVRejectedRow]
    public var format: String
    public var symbolCreated: Bool
    /// Every rejected row, counted.
    public var rejectedTotal: Int = 0
}

/// Takes bars in from files and uploads: parse, store through COPY + one upsert, then refresh the
/// quality report if any bar was inserted or updated.
public struct ImportService: Sendable {
    let symbols: SymbolStore
    let bars: BarStore
    let quality: QualityService
    /// Runs the signal engine over new bars; nil where signals are not wanted.
    var signals: SignalService?

    /// Imports one CSV file for a symbol, creating the symbol when it is new.
    public func importFile(path: String, symbol template: NewSymbol, timeframe: Timeframe,
                           timeZone: LocalTimeZone) throws -> ImportSummary {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError.unreadable(path)
        }
        let parsed = try OHLCVCSVReader.parse([UInt8](data), options: CSVImportOptions(timeframe: timeframe, localTimeZone: timeZone))
        let (record, created) = try symbols.ensure(template)
        let counts = try bars.upsert(symbolID: record.id, timeframe: timeframe, bars: parsed.bars, source: "file")
        refreshIfChanged(record, timeframe: timeframe, counts: counts, trigger: "import", series: parsed.bars)
        return ImportSummary(symbol: record.symbol, timeframe: timeframe, dataRows: parsed.dataRows, inserted: counts.inserted,
                             updated: counts.updated, unchanged: counts.unchanged, duplicatesReplaced: parsed.duplicatesReplaced,
                             rejected: parsed.rejected, format: parsed.format, symbolCreated: created,
                             rejectedTotal: parsed.rejectedTotal)
    }

    /// Stores already-validated bars for an existing symbol and refreshes its report.
    public func store(_ newBars: [Bar], for symbol: SymbolRecord, timeframe: Timeframe, source: String,
                      trigger: String) throws -> UpsertCounts {
        let series = Bar.sortedLastWins(newBars).bars   // as stored; upsert finds it already in order
        let counts = try bars.upsert(symbolID: symbol.id, timeframe: timeframe, bars: series, source: source)
        refreshIfChanged(symbol, timeframe: timeframe, counts: counts, trigger: trigger, series: series)
        return counts
    }

    /// Refreshes the series' report and scans the new bars for signals when the bars changed; a first load hands its bars (sorted, as
    /// stored) to the check instead of reading them back. Unchanged bars leave the report as it is,
    /// so importing an unchanged file costs no read of the whole series.
    private func refreshIfChanged(_ symbol: SymbolRecord, timeframe: Timeframe, counts: UpsertCounts, trigger: String,
                                  series: [Bar]) {
        guard counts.inserted + counts.updated > 0 else { return }
        quality.refreshLogged(symbol, timeframe: timeframe, trigger: trigger, series: counts.seriesWasEmpty ? series : nil)
        signals?.generateLogged(symbol, timeframe: timeframe)
    }
}

/// A file that could not be imported at all.
public enum ImportError: Error, CustomStringConvertible {
    case unreadable(String)
    public var description: String {
        switch self { case .unreadable(let p): "cannot read \(p)" }
    }
}
