/// The rows and command outcome of one query, copied out of libpq so it outlives the connection.
public struct PostgresResult: RandomAccessCollection, Sendable {
    /// Column names, in order.
    public var columns: [String] { fields.names }
    /// Rows inserted, updated, deleted, copied or selected, from the command tag (0 when none).
    public var affectedRows: Int
    /// The command tag, e.g. `INSERT 0 1`.
    public var commandTag: String

    let fields: PostgresFields
    let cells: [String?] // row-major, fields.count per row
    let rowCount: Int

    init(fields: PostgresFields, cells: [String?], rowCount: Int, affectedRows: Int, commandTag: String) {
        self.fields = fields
        self.cells = cells
        self.rowCount = rowCount
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    /// The first row index (0).
    public var startIndex: Int { 0 }
    /// One past the last row index.
    public var endIndex: Int { rowCount }

    /// The row at `position`.
    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < rowCount, "row index out of range")
        let width = fields.names.count
        return PostgresRow(fields: fields, cells: cells[(position * width)..<((position + 1) * width)])
    }
}

/// Column names of a result, shared by all its rows.
final class PostgresFields: Sendable {
    let names: [String]
    let indexByName: [String: Int]

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
        self.indexByName = index
    }
}

/// One row of a `PostgresResult`; values are decoded from PostgreSQL's text format.
public struct PostgresRow: Sendable {
    let fields: PostgresFields
    let cells: ArraySlice<String?>

    /// Column names, in order.
    public var columns: [String] { fields.names }

    /// Decodes column `column` (0-based); `Optional` types decode NULL as nil, others throw `.decoding` on NULL.
    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        guard column >= 0 && column < fields.names.count else {
            throw PostgresError(code: .decoding, serverMessage: "column index \(column) out of range (\(fields.names.count) columns)")
        }
        guard let text = cells[cells.startIndex + column] else {
            if let null = T.postgresNullValue { return null }
            throw PostgresError(code: .decoding, serverMessage: "column \(fields.names[column]) is NULL; decode as Optional<\(T.self)>")
        }
        do {
            return try T(postgresText: text)
        } catch var error as PostgresError {
            error.serverMessage = "column \(fields.names[column]): " + (error.serverMessage ?? "")
            throw error
        }
    }

    /// Decodes the column named `column` (the first with that name).
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = fields.indexByName[column] else {
            throw PostgresError(code: .decoding, serverMessage: "no column named \(column)")
        }
        return try decode(index, as: type)
    }

    /// Whether column `column` is SQL NULL (out-of-range columns count as NULL).
    public func isNull(_ column: Int) -> Bool {
        text(column) == nil
    }

    /// The raw text of column `column`, or nil for NULL (or an out-of-range column).
    public func text(_ column: Int) -> String? {
        guard column >= 0 && column < fields.names.count else { return nil }
        return cells[cells.startIndex + column]
    }

    /// The bytes of a `bytea` column, or nil for NULL.
    public func bytes(_ column: Int) throws -> [UInt8]? {
        try decode(column, as: [UInt8]?.self)
    }
}
