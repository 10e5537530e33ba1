import Foundation

/// An error from the Postgres module: keeps SQLSTATE and server text for logs, shows clients neither SQL nor data.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is; extensible without breaking `switch`-free callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Hashable, Sendable {
            case connectionFailed, connectionClosed, server, poolTimeout, poolClosed, decoding, copyFailed, badQuery
        }

        let base: Base

        private init(_ base: Base) { self.base = base }

        /// The connection could not be established (server down, refused, timed out, bad credentials).
        public static let connectionFailed = Code(.connectionFailed)
        /// An established connection broke or was closed.
        public static let connectionClosed = Code(.connectionClosed)
        /// The server answered with an error (see `sqlState`).
        public static let server = Code(.server)
        /// No pooled connection became free before the acquire timeout.
        public static let poolTimeout = Code(.poolTimeout)
        /// The pool has been shut down.
        public static let poolClosed = Code(.poolClosed)
        /// A value could not be decoded into the requested Swift type.
        public static let decoding = Code(.decoding)
        /// A `COPY … FROM STDIN` failed.
        public static let copyFailed = Code(.copyFailed)
        /// The query was rejected before reaching the server, or used the wrong protocol.
        public static let badQuery = Code(.badQuery)

        /// The code's name, e.g. `server`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The five-character SQLSTATE reported by the server, e.g. "23505".
    public var sqlState: String?
    /// The server's primary message, or libpq's message; for logs only (may quote data).
    public var serverMessage: String?
    /// The server's DETAIL line; for logs only (often quotes data).
    public var serverDetail: String?
    /// The server's HINT line; for logs only.
    public var serverHint: String?
    /// The SQL text involved, without bound values; for logs only.
    public var query: String?

    /// Makes an error; all text fields are for logs only.
    public init(code: Code, sqlState: String? = nil, serverMessage: String? = nil, serverDetail: String? = nil,
                serverHint: String? = nil, query: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.serverMessage = serverMessage
        self.serverDetail = serverDetail
        self.serverHint = serverHint
        self.query = query
    }

    /// A message safe to show clients: never SQL, data or server text.
    public var description: String {
        let state = sqlState.map { " (SQLSTATE \($0))" } ?? ""
        switch code.base {
        case .connectionFailed: return "database unavailable" + state
        case .connectionClosed: return "database connection lost" + state
        case .server: return "database error" + state
        case .poolTimeout: return "database busy: no connection available"
        case .poolClosed: return "database pool is shut down"
        case .decoding: return "database result could not be decoded"
        case .copyFailed: return "database bulk load failed" + state
        case .badQuery: return "invalid database query"
        }
    }

    /// Everything known about the error, for logs (may contain SQL text and data from the server).
    public var logDescription: String {
        var parts = ["PostgresError.\(code)"]
        if let sqlState { parts.append("sqlstate=\(sqlState)") }
        if let serverMessage { parts.append("message=\(Self.oneLine(serverMessage))") }
        if let serverDetail { parts.append("detail=\(Self.oneLine(serverDetail))") }
        if let serverHint { parts.append("hint=\(Self.oneLine(serverHint))") }
        if let query { parts.append("query=\(Self.oneLine(String(query.prefix(500))))") }
        return parts.joined(separator: " ")
    }

    /// True when the database is unreachable or overloaded rather than the query being wrong (callers answer 503).
    public var isConnectionProblem: Bool {
        switch code.base {
        case .connectionFailed, .connectionClosed, .poolTimeout, .poolClosed:
            return true
        case .server, .copyFailed:
            guard let sqlState else { return false }
            // Class 08 = connection exception; 57P01-57P03 = admin/crash shutdown, cannot connect now;
            // 53300 = too many connections.
            // 08P01 (protocol violation) is a client bug, not an outage.
            return (sqlState.hasPrefix("08") && sqlState != "08P01") || ["57P01", "57P02", "57P03", "53300"].contains(sqlState)
        case .decoding, .badQuery:
            return false
        }
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }
}

/// Logs that print an error with `String(reflecting:)` get everything known about it.
extension PostgresError: CustomDebugStringConvertible {
    public var debugDescription: String { logDescription }
}
