import CPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A NOTIFY received on a channel this connection LISTENs to.
public struct PostgresNotification: Sendable, Hashable {
    /// The channel name.
    public var channel: String
    /// The payload text (empty when none was given).
    public var payload: String
    /// The server process id of the notifying session.
    public var pid: Int32
}

extension PostgresConnection {
    /// Starts listening on `channel` (quoted as an identifier, so any name is safe). Use a dedicated connection:
    /// the pool runs `UNLISTEN *` when a pooled connection comes back.
    public func listen(_ channel: String) throws {
        try execute("LISTEN " + quoteIdentifier(channel))
        isListening = true
    }

    /// Stops listening on `channel`, or on every channel when nil.
    public func unlisten(_ channel: String? = nil) throws {
        try execute("UNLISTEN " + (channel.map(quoteIdentifier) ?? "*"))
        if channel == nil {
            isListening = false
            pendingNotifications.removeAll()
        }
    }

    /// Sends a notification with `pg_notify($1, $2)`; delivered when the surrounding transaction (if any) commits.
    public func notify(_ channel: String, payload: String) throws {
        try query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// Returns notifications already received, or waits up to `timeout` seconds (poll on the socket) for at least one.
    /// - Returns: an empty array when none arrived in time.
    public func waitForNotifications(timeout: Double) throws -> [PostgresNotification] {
        let pg = try live()
        try consumeNotifications(pg)
        let deadline = Date().addingTimeInterval(max(timeout, 0))
        while pendingNotifications.isEmpty {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { break }
            var pfd = pollfd(fd: PQsocket(pg), events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw connectionError(sql: nil)
            }
            if ready > 0 { try consumeNotifications(pg) }
        }
        defer { pendingNotifications.removeAll() }
        return pendingNotifications
    }

    /// Reads whatever the server sent and moves libpq's queued notifications into `pendingNotifications`.
    func consumeNotifications(_ pg: OpaquePointer) throws {
        guard PQconsumeInput(pg) == 1 else { throw connectionError(sql: nil) }
        while let n = PQnotifies(pg) {
            pendingNotifications.append(PostgresNotification(channel: String(cString: n.pointee.relname),
                                                             payload: String(cString: n.pointee.extra),
                                                             pid: n.pointee.be_pid))
            PQfreemem(n)
        }
    }
}
