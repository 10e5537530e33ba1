import Foundation

/// SQL text with `$1…$n` placeholders and the values bound to them; values never become part of the SQL.
///
/// `"SELECT * FROM bars WHERE symbol = \(symbol) AND ts >= \(from)"` binds `symbol` as `$1` and `from` as `$2`.
/// `\(unescaped: name)` inserts raw text and is for trusted identifiers only; `\(identifier: name)` quotes one.
public struct PostgresQuery: ExpressibleByStringInterpolation, Sendable {
    /// The SQL text with `$n` placeholders.
    public var sql: String
    /// The values for `$1…$n`, in order; nil is SQL NULL.
    public var binds: [(any PostgresEncodable)?]
    /// Planned with its values on every run (PostgreSQL's unnamed statement, one round trip), not prepared once per
    /// connection: for a query whose best plan depends on the values (its `LIMIT`, which optional filters are
    /// set), where PostgreSQL would, after five runs, settle on a generic plan made without them.
    public var planWithValues = false

    /// A query from SQL text and its bound values.
    public init(_ sql: String, binds: [(any PostgresEncodable)?] = []) {
        self.sql = sql
        self.binds = binds
    }

    /// A query without parameters.
    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// A query built by interpolation: each interpolated value becomes the next `$n`.
    public init(stringInterpolation: StringInterpolation) {
        self.init(stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// Builds SQL text and binds from a string interpolation.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [(any PostgresEncodable)?] = []

        /// Reserves room for the SQL text.
        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        /// Appends literal SQL text.
        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds a value as the next `$n` placeholder.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            binds.append(value)
            sql += "$\(binds.count)"
        }

        /// Binds an optional existential value (nil is SQL NULL) as the next `$n` placeholder.
        public mutating func appendInterpolation(_ value: (any PostgresEncodable)?) {
            binds.append(value)
            sql += "$\(binds.count)"
        }

        /// Inserts raw SQL text: for trusted, constant identifiers only, never for data.
        public mutating func appendInterpolation(unescaped text: String) {
            sql += text
        }

        /// Inserts a double-quoted SQL identifier (embedded quotes doubled).
        public mutating func appendInterpolation(identifier name: String) {
            sql += quoteIdentifier(name)
        }
    }
}

/// Double-quotes an SQL identifier, doubling embedded quotes.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
