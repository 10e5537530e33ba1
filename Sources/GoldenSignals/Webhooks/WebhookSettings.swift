import Foundation

/// How webhooks are delivered (`GS_WEBHOOK_*`).
public struct WebhookSettings: Sendable {
    /// Host names or addresses that may be private, loopback or link-local (`GS_WEBHOOK_ALLOWED_HOSTS`).
    public var allowedHosts: Set<String> = []
    /// Whether this replica runs the delivery worker (`GS_WEBHOOK_WORKER=off` turns it off).
    public var worker = true
    /// Whole-request and connect timeouts of one attempt, seconds (`GS_WEBHOOK_TIMEOUT`).
    public var timeout: Double = 5
    public var connectTimeout: Double = 3
    /// Seconds before attempt n + 1 after attempt n failed (`GS_WEBHOOK_RETRY_SCHEDULE`, comma-separated);
    /// ±20 % jitter; after the last, the message is given up. Standard Webhooks' schedule: ~27 hours.
    public var retrySchedule: [Double] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
    /// A subscription failing without a success for longer than this is disabled (`GS_WEBHOOK_DISABLE_AFTER`, seconds).
    public var disableAfter: Double = 86_400
    /// How long a claimed message is reserved for the replica that claimed it (`GS_WEBHOOK_LEASE`, seconds).
    public var lease: Double = 60
    /// How often the worker looks for due messages when idle (`GS_WEBHOOK_POLL_INTERVAL`, seconds).
    public var pollInterval: Double = 1
    /// Messages claimed at once.
    public var batch = 8

    public init() {}

    /// Reads the settings from the environment.
    /// - Throws: `ConfigurationError` naming the variable when a value is malformed.
    public static func fromEnvironment(_ env: [String: String]) throws -> WebhookSettings {
        var s = WebhookSettings()
        if let v = env["GS_WEBHOOK_ALLOWED_HOSTS"] {
            s.allowedHosts = Set(v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
        }
        if let v = env["GS_WEBHOOK_WORKER"], !v.isEmpty { s.worker = !["0", "off", "false", "no"].contains(v.lowercased()) }
        func seconds(_ name: String, _ minimum: Double) throws -> Double? {
            guard let v = env[name], !v.isEmpty else { return nil }
            guard let x = Double(v), x >= minimum, x.isFinite else { throw ConfigurationError(variable: name, message: "must be seconds ≥ \(minimum)") }
            return x
        }
        if let x = try seconds("GS_WEBHOOK_TIMEOUT", 0.1) { s.timeout = x; s.connectTimeout = min(s.connectTimeout, x) }
        if let x = try seconds("GS_WEBHOOK_DISABLE_AFTER", 0) { s.disableAfter = x }
        if let x = try seconds("GS_WEBHOOK_LEASE", 1) { s.lease = x }
        if let x = try seconds("GS_WEBHOOK_POLL_INTERVAL", 0.05) { s.pollInterval = x }
        if let v = env["GS_WEBHOOK_RETRY_SCHEDULE"], !v.isEmpty {
            let parts = v.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            // Finite and at most 30 days: `inf` or `1e300` would reach integer conversions of the delay.
            guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? -1) >= 0 && ($0 ?? 0) <= 2_592_000 }) else {
                throw ConfigurationError(variable: "GS_WEBHOOK_RETRY_SCHEDULE", message: "must be comma-separated seconds, e.g. 5,300,1800")
            }
            s.retrySchedule = parts.map { $0! }
        }
        return s
    }

    /// Seconds to wait after failed attempt `attempt` (1-based), with ±20 % jitter; nil: give up.
    public func retryDelay(afterAttempt attempt: Int) -> Double? {
        guard attempt >= 1, attempt <= retrySchedule.count else { return nil }
        return retrySchedule[attempt - 1] * Double.random(in: 0.8...1.2)   // ±20% jitter
    }
}
