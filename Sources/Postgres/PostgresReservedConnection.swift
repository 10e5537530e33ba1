import Foundation

/// One connection kept outside every pool, opened on first use and reopened when it broke, for work that must never
/// wait behind requests for a pooled connection nor take one from them: a scheduler's session advisory lock and its
/// `job_runs` row, the readiness probe. One caller at a time uses it.
public final class PostgresReservedConnection: @unchecked Sendable {
    private let conninfo: String
    private let connectTimeout: Int
    /// Held by the one caller using the connection.
    private let lock = NSLock()
    private var connection: PostgresConnection?   // guarded by `lock`
    /// Guards `closed` alone, so that `close()` never waits for a caller.
    private let state = NSLock()
    private var closed = false                    // guarded by `state`

    /// A reserved connection to `conninfo` (URL or key=value); nothing is opened until first use.
    public init(conninfo: String, connectTimeout: Int = 2) {
        self.conninfo = conninfo
        self.connectTimeout = connectTimeout
    }

    deinit { connection?.close() }

    /// Runs `body` on the connection, waiting at most `wait` seconds for another caller to finish with it. With
    /// `retryOnStale`, a kept connection found broken by `body` (the server restarted while it sat idle) is replaced
    /// and `body` runs once more — only for bodies that may run twice.
    /// - Throws: `.poolTimeout` when it stays busy, `.poolClosed` after `close()`, a connect error, or what `body` throws.
    public func withConnection<T>(wait: Double = .infinity, retryOnStale: Bool = false,
                                  _ body: (PostgresConnection) throws -> T) throws -> T {
        let acquired = wait.isFinite ? lock.lock(before: Date(timeIntervalSinceNow: max(0, wait))) : { lock.lock(); return true }()
        guard acquired else { throw PostgresError(code: .poolTimeout, serverMessage: "the reserved connection is busy") }
        defer {
            // Closed while in use: the caller that held it closes it on the way out.
            if state.withLock({ closed }) {
                connection?.close()
                connection = nil
            }
            lock.unlock()
        }
        if state.withLock({ closed }) { throw PostgresError(code: .poolClosed, serverMessage: "the reserved connection is closed") }
        if let c = connection, !c.isHealthy {
            c.close()
            connection = nil
        }
        let kept = connection != nil
        let c = try connection ?? PostgresConnection.connect(conninfo, connectTimeout: connectTimeout)
        connection = c
        do {
            return try body(c)
        } catch {
            guard !c.isHealthy else { throw error }
            c.close()
            connection = nil
            guard retryOnStale, kept else { throw error }
            let fresh = try PostgresConnection.connect(conninfo, connectTimeout: connectTimeout)
            connection = fresh
            return try body(fresh)
        }
    }

    /// Runs `SELECT 1` within about `timeout` seconds; false on any failure, when busy, or when it takes longer.
    /// The query runs on its own thread so that a connect or a dead peer blocking in libpq cannot hold the caller.
    public func ping(timeout: Double = 1.0) -> Bool {
        PingBox.ping(timeout: timeout) { [self] body in try self.withConnection(wait: timeout, retryOnStale: true, body) }
    }

    /// Closes the connection; later uses throw `.poolClosed`. Never waits: a caller using it closes it when done.
    public func close() {
        state.withLock { closed = true }
        guard lock.try() else { return }
        defer { lock.unlock() }
        connection?.close()
        connection = nil
    }
}
