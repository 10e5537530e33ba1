import Foundation
import Market

/// Reads the shared reference files from `<repo>/../shared/data/` (never copied into the repo).
enum CSVTestData {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func parse(_ name: String, _ tf: Timeframe = .d1, _ zone: LocalTimeZone = .utc) throws -> CSVParseResult {
        try OHLCVCSVReader.parse(bytes(name), options: CSVImportOptions(timeframe: tf, localTimeZone: zone))
    }

    /// The set of distinct dates in a daily file.
    static func dates(_ name: String) throws -> [CivilDate] {
        try parse(name).bars.map { CivilDate(unixSeconds: $0.timestamp) }
    }
}
