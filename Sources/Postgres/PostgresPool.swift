public import Logging
import CPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded pool of connections for blocking callers: acquiring waits at most `acquireTimeout`, broken
/// connections are dropped and replaced on demand, so the pool recovers by itself after a server restart.
public final class PostgresPool: @unchecked Sendable {
    private let conninfo: String
    /// The most connections the pool opens at once.
    public let maxConnections: Int
    private let acquireTimeout: Double
    private let connectTimeout: Int
    private let queryTimeout: Double?
    /// `statement_timeout` of every connection, and the longer one `withLongConnection` grants (seconds; nil: the server's).
    public let statementTimeout: Double?
    public let longStatementTimeout: Double?
    private let logger: Logger
    private let onEvent: (@Sendable (Event) -> Void)?
    /// Set on a read-routing pool (`init(readingFrom:fallback:useReplica:record:)`), which owns no connections.
    private let readRouting: ReadRouting?

    /// Where a read-routing pool sent one acquisition.
    public enum ReadTarget: Sendable {
        case replica
        /// The replica was not to be used (lagging or found down by its health check).
        case primary
        /// The replica was to be used but no connection to it could be had.
        case primaryAfterReplicaFailure
    }

    private struct ReadRouting: Sendable {
        let replica: PostgresPool
        let primary: PostgresPool
        let useReplica: @Sendable () -> Bool
        let record: @Sendable (ReadTarget) -> Void
    }

    /// What the pool reports to `onEvent` (for metrics). `.waited` is reported with the pool's lock held, the
    /// others without: the callback must be cheap and must not call back into the pool.
    public enum Event: Sendable {
        /// A caller found no free connection and waited (once per acquisition).
        case waited
        /// A caller gave up waiting (`.poolTimeout`).
        case timedOut
        /// Opening a connection failed.
        case connectFailed
        /// A connection was found broken (idle check, or after use) and dropped.
        case broken
    }

    private let condition = NSCondition()
    // State below is guarded by `condition`.
    private var idle: [PostgresConnection] = []
    private var open = 0        // idle + in use + being opened
    private var inUse = 0
    private var waiting = 0
    private var closed = false
    /// While the server is unreachable, connect failures are logged once as a warning, then at debug
    /// level, until a connection succeeds again (which is logged too).
    private var failing = false

    /// A pool for `conninfo` (URL or key=value) that opens at most `maxConnections` connections lazily.
    /// - Parameters:
    ///   - acquireTimeout: seconds to wait for a free connection before throwing `.poolTimeout`.
    ///   - connectTimeout: seconds before a connection attempt gives up (libpq's minimum is 2).
    ///   - queryTimeout: seconds to wait for any one answer from the server before dropping the connection
    ///     (`PostgresConnection.queryTimeout`); nil waits forever.
    ///   - statementTimeout: PostgreSQL's `statement_timeout` for every statement on the pool's connections
    ///     (the server cancels a longer one: SQLSTATE 57014); nil keeps the server's setting.
    ///   - longStatementTimeout: the timeout `withLongConnection` sets for its body (exports, backtests).
    ///   - onEvent: told of waits, timeouts, failed connects and broken connections (for metrics; keep it cheap).
    public init(conninfo: String, maxConnections: Int = 10, acquireTimeout: Double = 2.0,
                logger: Logger = Logger(label: "postgres"), connectTimeout: Int = 2, queryTimeout: Double? = nil,
                statementTimeout: Double? = nil, longStatementTimeout: Double? = nil,
                onEvent: (@Sendable (Event) -> Void)? = nil) {
        self.statementTimeout = statementTimeout
        self.longStatementTimeout = longStatementTimeout
        self.onEvent = onEvent
        precondition(maxConnections > 0, "maxConnections must be positive")
        self.conninfo = conninfo
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.connectTimeout = connectTimeout
        self.queryTimeout = queryTimeout
        self.logger = logger
        self.readRouting = nil
    }

    /// A pool for read-only work that owns no connections: each acquisition takes one from `replica` while
    /// `useReplica()` says so, and from `primary` otherwise or when none can be had from the replica (a replica
    /// that went down between two health checks). `record` is told where each acquisition went (keep it cheap).
    /// `shutdown()` of this pool shuts neither of the two down.
    public init(readingFrom replica: PostgresPool, fallback primary: PostgresPool, useReplica: @escaping @Sendable () -> Bool,
                record: @escaping @Sendable (ReadTarget) -> Void) {
        conninfo = ""
        maxConnections = 1
        acquireTimeout = primary.acquireTimeout
        connectTimeout = primary.connectTimeout
        queryTimeout = primary.queryTimeout
        statementTimeout = primary.statementTimeout
        longStatementTimeout = primary.longStatementTimeout
        logger = primary.logger
        onEvent = nil
        readRouting = ReadRouting(replica: replica, primary: primary, useReplica: useReplica, record: record)
    }

    deinit {
        shutdown()
    }

    /// Runs `body` with a connection to itself; a connection that broke during `body` is discarded, not reused.
    /// - Throws: `.poolTimeout` when none is free in time, `.connectionFailed` when the server cannot be reached,
    ///   `.poolClosed` after `shutdown()`, and whatever `body` throws.
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection(timeout: acquireTimeout, body)
    }

    /// Runs `body` with a connection whose `statement_timeout` is `longStatementTimeout` (for work that is
    /// long by nature: exports, backtests); the pool's own timeout is restored before the connection goes back.
    public func withLongConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { connection in
            guard longStatementTimeout != statementTimeout else { return try body(connection) }
            try Self.setStatementTimeout(longStatementTimeout, on: connection)
            let value: T
            do {
                value = try body(connection)
            } catch {
                restoreStatementTimeout(on: connection)
                throw error
            }
            restoreStatementTimeout(on: connection)
            return value
        }
    }

    private func restoreStatementTimeout(on connection: PostgresConnection) {
        // Outside any failed transaction the body left (release would roll it back after us).
        if connection.transactionStatus == PQTRANS_INTRANS || connection.transactionStatus == PQTRANS_INERROR {
            _ = try? connection.execute("ROLLBACK")
        }
        if (try? Self.setStatementTimeout(statementTimeout, on: connection)) == nil {
            connection.close()  // never hand on a connection with the long timeout
        }
    }

    /// `SET statement_timeout` in milliseconds (0, PostgreSQL's "none", for nil).
    static func setStatementTimeout(_ seconds: Double?, on connection: PostgresConnection) throws {
        let ms = seconds.map { max(1, Int(min($0, 2_000_000) * 1000)) } ?? 0
        try connection.execute("SET statement_timeout = \(ms)")
    }

    /// Runs `body` in a transaction on a pooled connection (ROLLBACK and rethrow when it throws).
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { try $0.transaction(body) }
    }

    /// Runs `SELECT 1`; returns false on any failure or when it takes longer than about `timeout` seconds.
    public func ping(timeout: Double = 1.0) -> Bool {
        PingBox.ping(timeout: timeout) { [self] body in try self.withConnection(timeout: timeout, body) }
    }

    /// Connections open (idle, in use or being opened), idle, in use, and callers waiting for one.
    public var statistics: (open: Int, idle: Int, inUse: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (open, idle.count, inUse, waiting)
    }

    /// Closes idle connections, refuses new acquisitions, and closes in-use ones as they come back. Idempotent.
    public func shutdown() {
        condition.lock()
        closed = true
        let toClose = idle
        idle.removeAll()
        open -= toClose.count
        condition.broadcast()
        condition.unlock()
        for connection in toClose { connection.close() }
    }

    // MARK: - Acquire and release

    func withConnection<T>(timeout: Double, _ body: (PostgresConnection) throws -> T) throws -> T {
        if let routing = readRouting {
            if routing.useReplica() {
                if let connection = try? routing.replica.acquire(timeout: timeout) {
                    routing.record(.replica)
                    return try routing.replica.lend(connection, body)
                }
                routing.record(.primaryAfterReplicaFailure)
            } else {
                routing.record(.primary)
            }
            return try routing.primary.withConnection(timeout: timeout, body)
        }
        return try lend(try acquire(timeout: timeout), body)
    }

    /// Runs `body` with an acquired connection and releases it.
    private func lend<T>(_ connection: PostgresConnection, _ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            let value = try body(connection)
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    private func acquire(timeout: Double) throws -> PostgresConnection {
        let deadline = Date().addingTimeInterval(timeout)
        var waited = false
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw PostgresError(code: .poolClosed)
            }
            if let connection = idle.popLast() {
                inUse += 1
                condition.unlock()
                if Self.looksAlive(connection) { return connection }
                logger.info("discarding broken idle PostgreSQL connection")
                onEvent?(.broken)
                connection.close()
                condition.lock()
                inUse -= 1
                open -= 1
                continue
            }
            if open < maxConnections {
                open += 1
                inUse += 1
                condition.unlock()
                do {
                    let connection = try PostgresConnection.connect(conninfo, connectTimeout: connectTimeout)
                    connection.queryTimeout = queryTimeout
                    if let statementTimeout {
                        do { try Self.setStatementTimeout(statementTimeout, on: connection) } catch {
                            connection.close()
                            throw error
                        }
                    }
                    condition.lock()
                    let recovered = failing
                    failing = false
                    condition.unlock()
                    if recovered { logger.notice("PostgreSQL reachable again") }
                    return connection
                } catch {
                    condition.lock()
                    open -= 1
                    inUse -= 1
                    let first = !failing
                    failing = true
                    condition.signal() // a waiter may try (and fail fast) itself
                    condition.unlock()
                    onEvent?(.connectFailed)
                    if let error = error as? PostgresError {
                        logger.log(level: first ? .warning : .debug, "PostgreSQL connect failed",
                                   metadata: ["error": "\(error.logDescription)"])
                    }
                    throw error
                }
            }
            waiting += 1
            if !waited {
                waited = true
                onEvent?(.waited)  // under the lock: cheap, and never calls back into the pool
            }
            let signalled = condition.wait(until: deadline)
            waiting -= 1
            if !signalled && idle.isEmpty && open >= maxConnections && !closed {
                condition.unlock()
                onEvent?(.timedOut)
                throw PostgresError(code: .poolTimeout, serverMessage: "no connection free within \(timeout) s")
            }
        }
    }

    private func release(_ connection: PostgresConnection) {
        var reusable = connection.isHealthy
        if reusable {
            reusable = Self.resetForReuse(connection)
        }
        condition.lock()
        inUse -= 1
        let keep = reusable && !closed
        if keep {
            idle.append(connection)
        } else {
            open -= 1
        }
        condition.signal()
        condition.unlock()
        if !keep {
            if !reusable {
                logger.debug("discarding PostgreSQL connection that broke or could not be reset")
                onEvent?(.broken)
            }
            connection.close()
        }
    }

    /// Leaves the connection as a fresh caller expects it: no open transaction, not listening.
    private static func resetForReuse(_ connection: PostgresConnection) -> Bool {
        do {
            switch connection.transactionStatus {
            case PQTRANS_IDLE: break
            case PQTRANS_INTRANS, PQTRANS_INERROR: try connection.execute("ROLLBACK")
            default: return false
            }
            if connection.isListening { try connection.unlisten() }
            return connection.isHealthy
        } catch {
            return false
        }
    }

    /// Cheap check of an idle connection: an idle socket should have nothing to read; if it has
    /// (the server said goodbye or closed it), let libpq read it and see whether the connection survived.
    static func looksAlive(_ connection: PostgresConnection) -> Bool {
        guard connection.isHealthy, let pg = connection.pg else { return false }
        // A goodbye (e.g. 57P01 "terminating connection") arrives before the EOF; libpq treats the former as a
        // notice, so keep reading while there is input, up to a few rounds, until it sees the EOF or nothing is left.
        for _ in 0..<4 {
            var pfd = pollfd(fd: PQsocket(pg), events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 0)
            if ready == 0 { return true }
            if ready < 0 { return errno == EINTR }
            if pfd.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return false }
            guard PQconsumeInput(pg) == 1, PQstatus(pg) == CONNECTION_OK, PQtransactionStatus(pg) == PQTRANS_IDLE else {
                return false
            }
        }
        return false // still receiving unexpected data: do not trust it
    }
}

/// The outcome of a ping, handed from the ping thread to the waiting caller.
final class PingBox: @unchecked Sendable {
    /// Runs `SELECT 1` on the connection `lend` lends, on a thread of its own, and waits at most `timeout` seconds:
    /// the separate thread bounds the wait even if a connect or a query on a dead peer blocks in libpq.
    static func ping(timeout: Double,
                     _ lend: @escaping @Sendable (_ body: (PostgresConnection) throws -> Bool) throws -> Bool) -> Bool {
        let box = PingBox()
        let thread = Thread {
            let ok = (try? lend { connection in
                // Bound the query too, so a stalled server cannot keep this thread and connection forever.
                let saved = connection.queryTimeout
                connection.queryTimeout = max(timeout, 0.05)
                defer { connection.queryTimeout = saved }
                return try connection.query("SELECT 1").count == 1
            }) ?? false
            box.finish(ok)
        }
        thread.stackSize = 1 << 20
        thread.start()
        return box.wait(timeout: timeout)
    }

    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result = false

    func finish(_ ok: Bool) {
        lock.lock()
        result = ok
        lock.unlock()
        semaphore.signal()
    }

    func wait(timeout: Double) -> Bool {
        guard semaphore.wait(timeout: .now() + timeout) == .success else { return false }
        lock.lock()
        defer { lock.unlock() }
        return result
    }
}
