/// The time zone of timestamps written without an offset in an imported file.
public enum LocalTimeZone: String, Sendable, Codable, CaseIterable, Hashable {
    /// Timestamps are UTC.
    case utc
    /// Timestamps are New York wall-clock time (US DST rules, see `ExchangeTime`).
    case newYork
    /// Timestamps are Central European wall-clock time (EU DST rules, see `ExchangeTime`).
    case centralEurope

    /// The names a user gives the zones by (the import command's `--tz`, the upload route's `tz`).
    public static let names = ["utc", "america/new_york", "europe/berlin"]

    /// The zone of a user-given name (one of `names`); nil for any other.
    public init?(name: String) {
        switch name {
        case "utc": self = .utc
        case "america/new_york": self = .newYork
        case "europe/berlin": self = .centralEurope
        default: return nil
        }
    }
}

/// How to read an OHLCV CSV file.
public struct CSVImportOptions: Sendable {
    /// The bar interval of the file; daily and weekly bars are stamped at midnight UTC of their date.
    public var timeframe: Timeframe
    /// The zone of intraday timestamps that carry no offset.
    public var localTimeZone: LocalTimeZone

    /// Options for a file of `timeframe` bars whose local times are in `localTimeZone`.
    public init(timeframe: Timeframe, localTimeZone: LocalTimeZone = .utc) {
        self.timeframe = timeframe
        self.localTimeZone = localTimeZone
    }
}

/// A data row that could not be turned into a bar.
public struct CSVRejectedRow: Sendable, Hashable {
    /// The 1-based line number in the file (the header is line 1).
    public var line: Int
    /// Why the row was rejected, naming the field.
    public var reason: String

    /// A rejected row at `line` for `reason`.
    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// The bars read from a file, and what was left out.
public struct CSVParseResult: Sendable {
    /// The bars, sorted by timestamp; for a repeated timestamp the last row in the file wins.
    public var bars: [Bar]
    /// The first `OHLCVCSVReader.maxRejectedKept` rows that could not be read, in file order, with reasons.
    public var rejected: [CSVRejectedRow]
    /// How many rows could not be read, all counted (also those beyond the ones kept).
    public var rejectedTotal: Int
    /// How many bars were replaced by a later row with the same timestamp.
    public var duplicatesReplaced: Int
    /// Data rows seen (header and blank lines excluded).
    public var dataRows: Int
    /// A human description of the detected dialect.
    public var format: String
}

/// The file cannot be read as OHLCV at all (no header, or a required column is missing).
public struct CSVFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the file, e.g. "missing column 'high' in header: date,open,low,close".
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
