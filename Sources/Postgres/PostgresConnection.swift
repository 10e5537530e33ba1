import CPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection. Not thread-safe: use it from one thread at a time (the pool hands it to one caller).
public final class PostgresConnection: @unchecked Sendable {
    var pg: OpaquePointer?
    /// Set once an operation saw the connection break; libpq's status may lag behind.
    var broken = false
    /// Whether LISTEN was issued, so the pool can UNLISTEN before reusing the connection.
    var isListening = false
    /// Notifications drained from libpq but not yet returned to the caller.
    var pendingNotifications: [PostgresNotification] = []
    /// Prepared statements by SQL text: server-side name and the number of parameters the server inferred.
    private var statements: [String: (name: String, parameterCount: Int)] = [:]
    private var nextStatementID = 0
    private var savepointDepth = 0
    /// Seconds to wait for a query's answer before giving up and dropping the connection; nil waits forever.
    /// Guards against a server or network that stops answering (a client-side limit, unlike `statement_timeout`).
    public var queryTimeout: Double?
    /// Beyond this many cached statements, new SQL texts run as unnamed statements.
    static let statementCacheLimit = 512

    private init(pg: OpaquePointer) {
        self.pg = pg
    }

    deinit {
        close()
    }

    /// Opens a connection from a `postgresql://` URL or a `key=value` conninfo string.
    /// The session is set to TimeZone=UTC, DateStyle=ISO and bytea_output=hex (through `options`, which therefore
    /// replaces any `options` in the URL), because the text decoders rely on those formats; and to jit=off: the
    /// queries of a service are short, and PostgreSQL compiles one whose estimate crosses `jit_above_cost` (a
    /// page of signals merged from many series) in far more time than it runs (0.7 s for a 2 ms page).
    /// - Parameter connectTimeout: seconds before a connection attempt gives up (libpq's minimum is 2).
    /// - Throws: `PostgresError` with code `.connectionFailed`.
    public static func connect(_ urlOrConninfo: String, connectTimeout: Int = 2) throws -> PostgresConnection {
        // expand_dbname makes libpq parse the first "dbname" as a URL/conninfo; later keys override it.
        let params: [(String, String)] = [
            ("dbname", urlOrConninfo),
            ("connect_timeout", String(max(connectTimeout, 1))),
            // Notice dead peers (no RST, e.g. a vanished host) on idle and busy connections.
            ("keepalives", "1"),
            ("keepalives_idle", "15"),
            ("keepalives_interval", "5"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", "15000"),
            // Fixed output formats that the decoders rely on.
            ("options", "-c TimeZone=UTC -c DateStyle=ISO,MDY -c bytea_output=hex -c extra_float_digits=3 -c IntervalStyle=postgres -c jit=off"),
        ]
        let pg: OpaquePointer? = withCStringArray(params.map(\.0)) { keys in
            withCStringArray(params.map(\.1)) { values in
                PQconnectdbParams(keys, values, 1)
            }
        }
        guard let pg else {
            throw PostgresError(code: .connectionFailed, serverMessage: "out of memory creating connection")
        }
        guard PQstatus(pg) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(pg))
            PQfinish(pg)
            throw PostgresError(code: .connectionFailed, serverMessage: message)
        }
        // libpq prints NOTICEs to stderr by default; they are not errors and the service has its own logging.
        PQsetNoticeProcessor(pg, { _, _ in }, nil)
        return PostgresConnection(pg: pg)
    }

    /// True while libpq reports the connection OK and no operation has seen it break.
    public var isHealthy: Bool {
        guard let pg, !broken else { return false }
        return PQstatus(pg) == CONNECTION_OK
    }

    /// Closes the connection; further use throws `.connectionClosed`. Safe to call twice.
    public func close() {
        if let pg {
            PQfinish(pg)
            self.pg = nil
        }
        broken = true
        statements.removeAll()
    }

    /// The server process id of this connection's backend.
    public var backendPID: Int32 {
        guard let pg else { return 0 }
        return PQbackendPID(pg)
    }

    /// Whether the connection is idle outside a transaction (as opposed to in one, in a failed one, or busy).
    var transactionStatus: PGTransactionStatusType {
        guard let pg else { return PQTRANS_UNKNOWN }
        return PQtransactionStatus(pg)
    }

    // MARK: - Queries

    /// Runs a query with bound parameters (extended protocol); its statement is prepared once per connection and SQL text.
    @discardableResult
    public func query(_ query: PostgresQuery) throws -> PostgresResult {
        try withPrepared(query) { pg, name, values in
            try check(try awaitResult(pg, sent: send(pg, name, query.sql, values, format: 0), sql: query.sql), sql: query.sql)
        }
    }

    /// Runs a query and hands each row, in PostgreSQL's binary format, to `visit` straight from libpq's
    /// buffer: no copies and no text parsing, for hot reads of many rows. Rows are valid only inside `visit`.
    /// - Returns: the number of rows visited.
    @discardableResult
    public func queryBinary(_ query: PostgresQuery, _ visit: (PostgresBinaryRow) throws -> Void) throws -> Int {
        try withPrepared(query) { pg, name, values in
            guard let result = try awaitResult(pg, sent: send(pg, name, query.sql, values, format: 1), sql: query.sql) else { throw connectionError(sql: query.sql) }
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
                if status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH { broken = true }
                throw serverError(result, sql: query.sql)
            }
            let rows = PQntuples(result)
            for r in 0..<rows { try visit(PostgresBinaryRow(result: result, row: r)) }
            return Int(rows)
        }
    }

    /// Prepares `query` once per connection (re-preparing when the server forgot it) and runs `body` with its name;
    /// with nil for a query planned with its values (`planWithValues`).
    private func withPrepared<T>(_ query: PostgresQuery, _ body: (OpaquePointer, String?, [String?]) throws -> T) throws -> T {
        let pg = try live()
        let values = query.binds.map { $0?.postgresTextOrNull }
        if query.planWithValues { return try body(pg, nil, values) }
        if let statement = statements[query.sql] {
            do {
                try checkBindCount(statement.parameterCount, values.count, sql: query.sql)
                return try body(pg, statement.name, values)
            } catch let error as PostgresError where error.sqlState == "26000" {
                // Someone ran DEALLOCATE/DISCARD: forget the name and prepare again below.
                statements[query.sql] = nil
            }
        }
        let name: String
        if statements.count < Self.statementCacheLimit {
            nextStatementID += 1
            name = "gs_\(nextStatementID)"
        } else {
            name = "" // unnamed statement, replaced by the next one
        }
        let sent = PQsendPrepare(pg, name, query.sql, Int32(values.count), nil)
        _ = try check(try awaitResult(pg, sent: sent, sql: query.sql), sql: query.sql)
        // Ask how many parameters the server inferred, so a wrong number of binds is a clear client error
        // rather than a protocol violation (SQLSTATE 08P01) from the server.
        guard let described = try awaitResult(pg, sent: PQsendDescribePrepared(pg, name), sql: query.sql) else {
            throw connectionError(sql: query.sql)
        }
        let parameterCount = Int(PQnparams(described))
        _ = try check(described, sql: query.sql)
        if !name.isEmpty { statements[query.sql] = (name, parameterCount) }
        try checkBindCount(parameterCount, values.count, sql: query.sql)
        return try body(pg, name, values)
    }

    private func checkBindCount(_ expected: Int, _ given: Int, sql: String) throws {
        guard expected == given else {
            throw PostgresError(code: .badQuery, serverMessage: "query has \(expected) parameters but \(given) binds were given",
                                query: sql)
        }
    }

    /// Runs `sql` with `binds` as `$1…$n`.
    @discardableResult
    public func query(_ sql: String, _ binds: [(any PostgresEncodable)?]) throws -> PostgresResult {
        try query(PostgresQuery(sql, binds: binds))
    }

    /// Runs one or more statements with the simple protocol and no parameters (for migrations and session commands).
    public func execute(_ sql: String) throws {
        let pg = try live()
        let result = try awaitResult(pg, sent: PQsendQuery(pg, sql), sql: sql)
        if let result, PQresultStatus(result) == PGRES_COPY_IN {
            PQclear(result)
            _ = PQputCopyEnd(pg, "COPY FROM STDIN is not supported by execute(); use copyIn()")
            drainResults(pg)
            throw PostgresError(code: .badQuery, serverMessage: "COPY FROM STDIN through execute()", query: sql)
        }
        _ = try check(result, sql: sql)
    }

    /// Sends the prepared statement `name` with `values`, or, without a name, `sql` as the unnamed statement
    /// (parsed and planned with the values); results in text (`format` 0) or binary (1).
    private func send(_ pg: OpaquePointer, _ name: String?, _ sql: String, _ values: [String?], format: Int32) -> Int32 {
        withOptionalCStringArray(values) { pointers in
            if let name { return PQsendQueryPrepared(pg, name, Int32(values.count), pointers, nil, nil, format) }
            return PQsendQueryParams(pg, sql, Int32(values.count), nil, pointers, nil, nil, format)
        }
    }

    /// Waits for the results of a command sent with a `PQsend*` function, like `PQexec` does (keeping the last
    /// result), but polls the socket so that `queryTimeout` can end the wait.
    /// - Returns: the last result (a COPY IN result stops the loop), or nil if libpq produced none.
    /// - Throws: `.connectionClosed` when the send failed, the connection broke, or the timeout passed; the
    ///   connection is then unusable (the server notices the closed socket and ends the query).
    func awaitResult(_ pg: OpaquePointer, sent: Int32, sql: String?) throws -> OpaquePointer? {
        guard sent == 1 else { throw connectionError(sql: sql) }
        let deadline = queryTimeout.map { ContinuousClock.now + .milliseconds(Int64(($0 * 1000).rounded(.up))) }
        var last: OpaquePointer?
        while true {
            while PQisBusy(pg) == 1 {
                var waitMs: Int32 = -1
                if let deadline {
                    let remaining = deadline - ContinuousClock.now
                    if remaining <= .zero {
                        if let last { PQclear(last) }
                        broken = true
                        close()
                        throw PostgresError(code: .connectionClosed,
                                            serverMessage: "no answer within the query timeout of \(queryTimeout ?? 0) s; connection dropped",
                                            query: sql)
                    }
                    let (seconds, attoseconds) = remaining.components
                    waitMs = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
                }
                var pfd = pollfd(fd: PQsocket(pg), events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, waitMs)
                if ready < 0 && errno != EINTR { break }
                if ready > 0 && PQconsumeInput(pg) == 0 { break } // PQgetResult reports the failure
            }
            guard let result = PQgetResult(pg) else { break }
            if let last { PQclear(last) }
            last = result
            let status = PQresultStatus(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH || PQstatus(pg) != CONNECTION_OK {
                break
            }
        }
        return last
    }

    /// Turns a PGresult into a PostgresResult or a PostgresError, and always clears it.
    func check(_ result: OpaquePointer?, sql: String?) throws -> PostgresResult {
        guard let result else {
            throw connectionError(sql: sql)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return Self.copyOut(result)
        case PGRES_COPY_OUT, PGRES_COPY_BOTH:
            broken = true // the protocol is now mid-COPY; the connection cannot be reused safely
            throw PostgresError(code: .badQuery, serverMessage: "COPY TO STDOUT is not supported", query: sql)
        default:
            throw serverError(result, sql: sql)
        }
    }

    /// The error for a failed result: a server error, or a closed connection if libpq lost it.
    func serverError(_ result: OpaquePointer, sql: String?, code: PostgresError.Code = .server) -> PostgresError {
        func field(_ c: Character) -> String? {
            guard let p = PQresultErrorField(result, Int32(c.asciiValue!)) else { return nil }
            return String(cString: p)
        }
        var error = PostgresError(code: code, sqlState: field("C"), serverMessage: field("M"),
                                  serverDetail: field("D"), serverHint: field("H"), query: sql)
        if error.sqlState == nil {
            // No SQLSTATE means libpq itself failed, usually because the connection is gone.
            error.serverMessage = String(cString: PQresultErrorMessage(result))
            if let pg, PQstatus(pg) != CONNECTION_OK { error.code = .connectionClosed }
        }
        if error.isConnectionProblem || (pg.map { PQstatus($0) != CONNECTION_OK } ?? true) { broken = true }
        return error
    }

    /// The error when libpq returned no result or the connection failed outside a result.
    func connectionError(sql: String?) -> PostgresError {
        broken = true
        let message = pg.map { String(cString: PQerrorMessage($0)) } ?? "connection is closed"
        return PostgresError(code: .connectionClosed, serverMessage: message, query: sql)
    }

    /// The libpq handle, or `.connectionClosed` if the connection is closed or known broken.
    func live() throws -> OpaquePointer {
        guard let pg, !broken, PQstatus(pg) == CONNECTION_OK else {
            broken = true
            throw PostgresError(code: .connectionClosed,
                                serverMessage: pg.map { String(cString: PQerrorMessage($0)) } ?? "connection is closed")
        }
        return pg
    }

    /// Reads and discards remaining results until libpq has none.
    func drainResults(_ pg: OpaquePointer) {
        while let r = PQgetResult(pg) { PQclear(r) }
    }

    static func copyOut(_ result: OpaquePointer) -> PostgresResult {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var names: [String] = []
        names.reserveCapacity(columnCount)
        for c in 0..<columnCount { names.append(String(cString: PQfname(result, Int32(c)))) }
        var cells: [String?] = []
        cells.reserveCapacity(rowCount * columnCount)
        for r in 0..<Int32(rowCount) {
            for c in 0..<Int32(columnCount) {
                if PQgetisnull(result, r, c) != 0 {
                    cells.append(nil)
                } else {
                    let length = Int(PQgetlength(result, r, c))
                    let value = PQgetvalue(result, r, c)!
                    cells.append(value.withMemoryRebound(to: UInt8.self, capacity: length) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                    })
                }
            }
        }
        let tag = String(cString: PQcmdStatus(result))
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(fields: PostgresFields(names: names), cells: cells, rowCount: rowCount,
                              affectedRows: affected, commandTag: tag)
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK and rethrow when it throws.
    /// Nested calls use savepoints. A COMMIT that the server turns into ROLLBACK (an error was swallowed) throws.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let nested = transactionStatus != PQTRANS_IDLE
        let savepoint = "gs_sp_\(savepointDepth + 1)"
        if nested {
            try execute("SAVEPOINT \(savepoint)")
            savepointDepth += 1
        } else {
            try execute("BEGIN")
        }
        defer { if nested { savepointDepth -= 1 } }
        let value: T
        do {
            value = try body(self)
        } catch {
            if isHealthy {
                try? execute(nested ? "ROLLBACK TO SAVEPOINT \(savepoint); RELEASE SAVEPOINT \(savepoint)" : "ROLLBACK")
            }
            throw error
        }
        if nested {
            try execute("RELEASE SAVEPOINT \(savepoint)")
        } else {
            let pg = try live()
            let result = try awaitResult(pg, sent: PQsendQuery(pg, "COMMIT"), sql: "COMMIT")
            let outcome = try check(result, sql: "COMMIT")
            if outcome.commandTag == "ROLLBACK" {
                throw PostgresError(code: .server, sqlState: "25P02",
                                    serverMessage: "transaction was aborted by an earlier error and has been rolled back",
                                    query: "COMMIT")
            }
        }
        return value
    }
}

// MARK: - C string helpers

/// Calls `body` with a NULL-free array of C strings valid for the duration of the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafePointer<CChar>?] = strings.map { UnsafePointer(strdup($0)) }
    pointers.append(nil)
    defer { for p in pointers { free(UnsafeMutablePointer(mutating: p)) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Calls `body` with C strings where nil stays a NULL pointer (SQL NULL for libpq parameters).
func withOptionalCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    let pointers: [UnsafePointer<CChar>?] = strings.map { $0.map { UnsafePointer(strdup($0)!) } }
    defer { for p in pointers { free(UnsafeMutablePointer(mutating: p)) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
