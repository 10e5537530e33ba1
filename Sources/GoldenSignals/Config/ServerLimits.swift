import HTTPServer

/// What one client (or many) may take of the server: connections, buffered bodies, time to send a request,
/// time for a handler, time for a database statement. Every value has an environment variable (`GS_HTTP_*`,
/// `GS_DB_*`; README "Limits").
public struct ServerLimits: Sendable {
    /// Open connections (`GS_HTTP_MAX_CONNECTIONS`); `RLIMIT_NOFILE` is raised for them at start, or the cap lowered.
    public var maxConnections = 16_384
    /// Body bytes all connections may buffer together, in MiB (`GS_HTTP_BODY_BUDGET_MB`); beyond: 503 before reading.
    public var bodyBudgetMiB = 256
    /// Seconds for a request head in total, and for a body without a byte (`GS_HTTP_HEADER_TIMEOUT`).
    public var headerTimeout: Double = 10
    /// Seconds for a whole request body (`GS_HTTP_BODY_TIMEOUT`).
    public var bodyTimeout: Double = 300
    /// The slowest body accepted after its first 5 seconds, bytes per second (`GS_HTTP_MIN_BODY_RATE`; 0: off).
    public var minBodyBytesPerSecond = 1_024
    /// Seconds a request may spend queued and in its handler before 503 (`GS_HTTP_HANDLER_TIMEOUT`; 0: off).
    /// Bar uploads get `uploadHandlerTimeout`.
    public var handlerTimeout: Double = 60
    /// Seconds for a bar upload, whose handler also stores, checks and scans the bars (`GS_HTTP_UPLOAD_TIMEOUT`).
    public var uploadHandlerTimeout: Double = 300
    /// PostgreSQL `statement_timeout` of the pool's connections, seconds (`GS_DB_STATEMENT_TIMEOUT`; 0: none).
    public var statementTimeout: Double = 60
    /// The longer `statement_timeout` for exports (`PostgresPool.withLongConnection`; `GS_DB_LONG_STATEMENT_TIMEOUT`; 0: none).
    public var longStatementTimeout: Double = 1_800

    public init() {}

    /// Reads the `GS_HTTP_*` and `GS_DB_*` limits (defaults where unset).
    /// - Throws: `ConfigurationError` naming the variable when a value is malformed.
    public static func fromEnvironment(_ env: [String: String]) throws -> ServerLimits {
        var l = ServerLimits()
        func number(_ name: String, _ range: ClosedRange<Double>, _ unit: String) throws -> Double? {
            guard let v = env[name], !v.isEmpty else { return nil }
            guard let x = Double(v), x.isFinite, range.contains(x) else {
                throw ConfigurationError(variable: name, message: "must be \(unit) from \(range.lowerBound) to \(range.upperBound), got '\(v.prefix(40))'")
            }
            return x
        }
        if let x = try number("GS_HTTP_MAX_CONNECTIONS", 1...1_000_000, "a count") { l.maxConnections = Int(x) }
        if let x = try number("GS_HTTP_BODY_BUDGET_MB", 1...1_048_576, "MiB") { l.bodyBudgetMiB = Int(x) }
        if let x = try number("GS_HTTP_HEADER_TIMEOUT", 0.1...3_600, "seconds") { l.headerTimeout = x }
        if let x = try number("GS_HTTP_BODY_TIMEOUT", 0.1...86_400, "seconds") { l.bodyTimeout = x }
        if let x = try number("GS_HTTP_MIN_BODY_RATE", 0...1_073_741_824, "bytes per second") { l.minBodyBytesPerSecond = Int(x) }
        if let x = try number("GS_HTTP_HANDLER_TIMEOUT", 0...86_400, "seconds") { l.handlerTimeout = x }
        if let x = try number("GS_HTTP_UPLOAD_TIMEOUT", 0...86_400, "seconds") { l.uploadHandlerTimeout = x }
        if let x = try number("GS_DB_STATEMENT_TIMEOUT", 0...86_400, "seconds") { l.statementTimeout = x }
        if let x = try number("GS_DB_LONG_STATEMENT_TIMEOUT", 0...604_800, "seconds") { l.longStatementTimeout = x }
        return l
    }

    /// The server's side of these limits.
    public func apply(to c: inout HTTPServerConfiguration) {
        c.maxConnections = maxConnections
        c.maxBufferedBodyBytes = bodyBudgetMiB << 20
        c.headerTimeout = headerTimeout
        c.bodyTimeout = bodyTimeout
        c.minBodyBytesPerSecond = minBodyBytesPerSecond
        c.handlerTimeout = handlerTimeout
    }

    /// A timeout in seconds, nil for 0 ("none").
    static func orNone(_ seconds: Double) -> Double? { seconds > 0 ? seconds : nil }
}
