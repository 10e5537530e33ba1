import Foundation
import Market
import Quality

/// The shared reference files in `<repo>/../shared/data/`, read through the CSV reader.
enum QualityData {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data")

    static func bars(_ name: String, _ tf: Timeframe = .d1, _ zone: LocalTimeZone = .utc) throws -> [Bar] {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        return try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: tf, localTimeZone: zone)).bars
    }

    /// A report with `now` fixed at midnight UTC of the day after the last bar.
    static func report(_ name: String, _ tf: Timeframe = .d1, _ zone: LocalTimeZone = .utc,
                       asset: AssetClass = .equity, calendar: any TradingCalendar = NYSECalendar(),
                       maxIssues: Int = 100_000) throws -> QualityReport {
        let bars = try bars(name, tf, zone)
        let now = (bars.last!.timestamp / 86_400 + 1) * 86_400
        return QualityChecker.report(QualityInput(bars: bars, timeframe: tf, assetClass: asset, calendar: calendar,
                                                  now: now, maxIssues: maxIssues))
    }
}

extension QualityReport {
    func count(_ check: String) -> Int { checks.first { $0.name == check }?.count ?? -1 }
    func issues(_ check: String) -> [QualityIssue] { issues.filter { $0.check == check } }
}
