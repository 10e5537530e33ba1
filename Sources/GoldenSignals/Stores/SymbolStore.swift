import Market
import Postgres

/// A row of `symbols`.
public struct SymbolRecord: Sendable, Hashable {
    public var id: Int64
    public var symbol: String
    public var name: String
    public var assetClass: AssetClass
    public var exchange: String
    public var currency: String
    public var calendar: String
    public var timeZone: String
    public var active: Bool
    public var isDemo: Bool
}

/// Reads and writes `symbols`.
public struct SymbolStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    static let columns = "id, symbol, name, asset_class, exchange, currency, calendar, active, is_demo, time_zone"

    static func decode(_ row: PostgresRow) throws -> SymbolRecord {
        let cls: String = try row.decode(3)
        return SymbolRecord(id: try row.decode(0), symbol: try row.decode(1), name: try row.decode(2),
                            assetClass: AssetClass(rawValue: cls) ?? .equity, exchange: try row.decode(4),
                            currency: try row.decode(5), calendar: try row.decode(6), timeZone: try row.decode(9),
                            active: try row.decode(7), isDemo: try row.decode(8))
    }

    /// Symbols ordered by name, after `after` (exclusive), at most `limit`.
    public func list(limit: Int, after: String?) throws -> [SymbolRecord] {
        try pool.withConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM symbols WHERE ($1::text IS NULL OR symbol > $1) ORDER BY symbol LIMIT $2",
                           [after, limit]).map(Self.decode)
        }
    }

    /// One symbol by its ticker, or nil.
    public func find(_ symbol: String) throws -> SymbolRecord? {
        try pool.withConnection { conn in try find(symbol, on: conn) }
    }

    /// One symbol by its id, or nil.
    public func find(id: Int64) throws -> SymbolRecord? {
        try pool.withConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM symbols WHERE id = $1", [id]).first.map(Self.decode)
        }
    }

    func find(_ symbol: String, on conn: PostgresConnection) throws -> SymbolRecord? {
        try conn.query("SELECT \(Self.columns) FROM symbols WHERE symbol = $1", [symbol]).first.map(Self.decode)
    }

    /// Creates a symbol; nil when the ticker already exists.
    public func create(_ s: NewSymbol) throws -> SymbolRecord? {
        try pool.withConnection { conn in
            try conn.query("""
                INSERT INTO symbols (symbol, name, asset_class, exchange, currency, calendar, is_demo, time_zone)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (symbol) DO NOTHING
                RETURNING \(Self.columns)
                """, [s.symbol, s.name, s.assetClass.rawValue, s.exchange, s.currency, s.calendar, s.isDemo, s.timeZone]).first.map(Self.decode)
        }
    }

    /// The symbol, created with `template` when it does not exist yet.
    public func ensure(_ template: NewSymbol) throws -> (record: SymbolRecord, created: Bool) {
        if let created = try create(template) { return (created, true) }
        guard let existing = try find(template.symbol) else {
            throw StoreError.inconsistent("symbol \(template.symbol) vanished while being created")
        }
        return (existing, false)
    }

    /// All active symbols (for scheduled work).
    public func active() throws -> [SymbolRecord] {
        try pool.withConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM symbols WHERE active ORDER BY symbol", []).map(Self.decode)
        }
    }

    /// How many symbols exist.
    public func count() throws -> Int {
        try pool.withConnection { conn in try conn.query("SELECT count(*) FROM symbols", []).first?.decode(0) ?? 0 }
    }
}

/// What it takes to create a symbol.
public struct NewSymbol: Sendable {
    public var symbol: String
    public var name: String = ""
    public var assetClass: AssetClass
    public var exchange: String = ""
    public var currency: String = "USD"
    public var isDemo: Bool = false

    public init(symbol: String, name: String = "", assetClass: AssetClass, exchange: String = "", currency: String = "USD", isDemo: Bool = false) {
        self.symbol = symbol
        self.name = name
        self.assetClass = assetClass
        self.exchange = exchange
        self.currency = currency
        self.isDemo = isDemo
    }

    /// The calendar identifier this symbol trades on.
    public var calendar: String { Calendars.calendar(for: assetClass, exchange: exchange).identifier }

    /// The IANA time zone of that calendar: New York for the NYSE calendar, UTC for round-the-clock ones.
    public var timeZone: String { calendar == NYSECalendar().identifier ? "America/New_York" : "UTC" }

    /// Whether a ticker has an acceptable shape (same rule as the database's CHECK).
    public static func isValidTicker(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 32 else { return false }
        func ok(_ c: UInt8, first: Bool) -> Bool {
            (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 94 /* ^ */ ||
                (!first && (c == 46 || c == 61 || c == 95 || c == 47 || c == 45))   // . = _ / -
        }
        return ok(first, first: true) && s.utf8.dropFirst().allSatisfy { ok($0, first: false) }
    }
}

/// A store found the database in a state it cannot explain.
public enum StoreError: Error, CustomStringConvertible {
    case inconsistent(String)
    public var description: String {
        switch self { case .inconsistent(let m): "inconsistent data: \(m)" }
    }
}
