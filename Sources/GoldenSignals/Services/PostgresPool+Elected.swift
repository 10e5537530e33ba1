import Foundation
import Postgres

extension PostgresPool {
    /// Runs `body` on a connection holding the session-level advisory lock `key`, when it can be taken at
    /// once (the election of a scheduled job's round); nil, without running it, when another session holds it.
    /// The lock is released when `body` returns, or by the server when the connection dies with its process.
    func ifElected<T>(_ key: Int64, _ body: (PostgresConnection) throws -> T) throws -> T? {
        try withConnection { conn -> T? in
            guard try conn.query("SELECT pg_try_advisory_lock($1)", [key]).first?.decode(0, as: Bool.self) == true else { return nil }
            defer { _ = try? conn.query("SELECT pg_advisory_unlock($1)", [key]) }
            return try body(conn)
        }
    }
}
