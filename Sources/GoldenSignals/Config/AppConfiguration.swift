import Foundation
import Logging
import Signals

/// Everything the service is configured with: flags win over environment, environment over defaults.
public struct AppConfiguration: Sendable {
    /// Where the server listens.
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// An external PostgreSQL; nil means: run an embedded cluster under `dataDirectory`.
    public var databaseURL: String?
    /// Where the embedded cluster and other local state live (`GS_DATA_DIR`, default `.goldensignals`).
    public var dataDirectory: String = ".goldensignals"
    /// Where the versioned SQL files are.
    public var migrationsDirectory: String = "migrations"
    /// Where `openapi.yaml` is.
    public var openAPIPath: String = "openapi.yaml"
    /// Log level and format (`text` or `json`).
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    /// Database pool size and how long a request waits for a connection before a 503.
    public var poolSize: Int = 10
    public var poolAcquireTimeout: Double = 2
    /// Whether `serve` runs scheduled ingestion, and how often (seconds).
    public var ingestInterval: Double = 900
    /// How many quality reports each series keeps (`GS_QUALITY_HISTORY`, ≥ 2: the newest is served, the one before
    /// it gives the summary's previous score); older ones are deleted when a new one is stored.
    public var qualityHistory: Int = 100
    /// Whether `serve` seeds the demo universe into an empty database.
    public var demo: Bool = false
    /// The strategies generation runs (`GS_STRATEGIES`, e.g. `sma_crossover:fast=10,slow=30;rsi_reversion`; all built-in ones by default).
    public var strategies: [any Strategy] = Strategies.defaults
    /// Settings of the filter layers (`GS_MIN_CONFIDENCE` sets the threshold layer's minimum).
    public var layers = LayerConfiguration()
    /// Whether new bars (imports, uploads, ingestion, the demo seeding) are scanned for signals at once
    /// (on by default; benchmarks that time imports alone turn it off).
    public var generateOnArrival = true
    /// Whether `serve` scores outcomes and refits calibrations on a schedule, and how often (seconds;
    /// `GS_EVALUATE_INTERVAL`, 0 = off). New bars are scored on arrival regardless.
    public var evaluateInterval: Double = 3_600
    /// How often `serve` looks for anomalies (seconds; `GS_ANOMALY_INTERVAL`, 0 = off).
    public var anomalyInterval: Double = 60
    /// Walk-forward refit cadence in bar time (seconds; `GS_CALIBRATION_PERIOD`, 90 days).
    public var calibrationPeriod: Int64 = 90 * 86_400
    /// Origins whose browsers may call the API (`GS_CORS_ORIGINS`, comma-separated; `*` for any).
    public var corsOrigins: [String] = ["http://localhost:3000", "http://localhost:5173"]
    /// API keys, open paths and anonymous limits (`GS_AUTH`, `GS_AUTH_OPEN_PATHS`, `GS_ANON_RATE`, `GS_ANON_BURST`).
    public var access = AccessSettings()
    /// Webhook delivery (`GS_WEBHOOK_*`).
    public var webhooks = WebhookSettings()
    /// Connections, bodies, deadlines and statement timeouts (`GS_HTTP_*`, `GS_DB_*STATEMENT_TIMEOUT`).
    public var limits = ServerLimits()
    /// Partition maintenance and the read replica (`GS_PARTITION_INTERVAL`, `DATABASE_READ_URL`, `GS_READ_*`).
    public var scale = ScaleSettings()
    /// The whole environment, for provider settings.
    public var environment: [String: String] = [:]

    /// Log output formats.
    public enum LogFormat: String, Sendable { case text, json }

    public init() {}

    /// Reads the configuration from an environment (defaults where a variable is unset).
    /// - Throws: `ConfigurationError` naming the variable when a value is malformed.
    /// The longest schedule interval accepted (a year): `inf` or `1e300` would reach a timer's integer conversion.
    static let maxInterval: Double = 31_536_000

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
        var c = AppConfiguration()
        c.environment = env
        if let v = env["GS_HOST"], !v.isEmpty { c.host = v }
        if let v = env["GS_PORT"], !v.isEmpty {
            guard let p = Int(v), (0...65_535).contains(p) else { throw ConfigurationError(variable: "GS_PORT", message: "must be a port number, got '\(v)'") }
            c.port = p
        }
        if let v = env["DATABASE_URL"], !v.isEmpty { c.databaseURL = v }
        if let v = env["GS_DATA_DIR"], !v.isEmpty { c.dataDirectory = v }
        if let v = env["GS_MIGRATIONS_DIR"], !v.isEmpty { c.migrationsDirectory = v }
        if let v = env["GS_OPENAPI_PATH"], !v.isEmpty { c.openAPIPath = v }
        if let v = env["GS_LOG_LEVEL"], !v.isEmpty {
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw ConfigurationError(variable: "GS_LOG_LEVEL", message: "must be one of trace, debug, info, notice, warning, error, critical")
            }
            c.logLevel = level
        }
        if let v = env["GS_LOG_FORMAT"], !v.isEmpty {
            guard let f = LogFormat(rawValue: v.lowercased()) else { throw ConfigurationError(variable: "GS_LOG_FORMAT", message: "must be text or json") }
            c.logFormat = f
        }
        if let v = env["GS_DB_POOL_SIZE"], !v.isEmpty {
            guard let n = Int(v), n > 0, n <= 200 else { throw ConfigurationError(variable: "GS_DB_POOL_SIZE", message: "must be 1…200") }
            c.poolSize = n
        }
        if let v = env["GS_INGEST_INTERVAL"], !v.isEmpty {
            guard let s = Double(v), s >= 0, s <= Self.maxInterval else { throw ConfigurationError(variable: "GS_INGEST_INTERVAL", message: "must be seconds from 0 to 31536000 (0 turns scheduled ingestion off)") }
            c.ingestInterval = s
        }
        if let v = env["GS_EVALUATE_INTERVAL"], !v.isEmpty {
            guard let s = Double(v), s >= 0, s <= Self.maxInterval else { throw ConfigurationError(variable: "GS_EVALUATE_INTERVAL", message: "must be seconds from 0 to 31536000 (0 turns scheduled evaluation off)") }
            c.evaluateInterval = s
        }
        if let v = env["GS_ANOMALY_INTERVAL"], !v.isEmpty {
            guard let s = Double(v), s >= 0, s <= Self.maxInterval else { throw ConfigurationError(variable: "GS_ANOMALY_INTERVAL", message: "must be seconds from 0 to 31536000 (0 turns anomaly detection off)") }
            c.anomalyInterval = s
        }
        if let v = env["GS_QUALITY_HISTORY"], !v.isEmpty {
            guard let n = Int(v), n >= 2, n <= 1_000_000 else { throw ConfigurationError(variable: "GS_QUALITY_HISTORY", message: "must be a number of reports from 2 to 1000000") }
            c.qualityHistory = n
        }
        if let v = env["GS_CALIBRATION_PERIOD"], !v.isEmpty {
            guard let s = Int64(v), s >= 3_600 else { throw ConfigurationError(variable: "GS_CALIBRATION_PERIOD", message: "must be seconds ≥ 3600") }
            c.calibrationPeriod = s
        }
        if let v = env["GS_STRATEGIES"], !v.isEmpty {
            do { c.strategies = try Strategies.parse(v) } catch { throw ConfigurationError(variable: "GS_STRATEGIES", message: "\(error)") }
        }
        if let v = env["GS_MIN_CONFIDENCE"], !v.isEmpty {
            guard let x = Double(v), x >= 0, x <= 1 else { throw ConfigurationError(variable: "GS_MIN_CONFIDENCE", message: "must be a number from 0 to 1") }
            c.layers.minConfidence = x
        }
        if let v = env["GS_CORS_ORIGINS"] {
            c.corsOrigins = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        c.access = try AccessSettings.fromEnvironment(env)
        c.webhooks = try WebhookSettings.fromEnvironment(env)
        c.limits = try ServerLimits.fromEnvironment(env)
        c.scale = try ScaleSettings.fromEnvironment(env)
        if let v = env["GS_DEMO"], !v.isEmpty { c.demo = ["1", "true", "yes"].contains(v.lowercased()) }
        return c
    }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var variable: String
    public var message: String
    public var description: String { "\(variable): \(message)" }
}
