import Foundation

/// Settings for growing past one machine (issue 16): partition maintenance and the read replica.
public struct ScaleSettings: Sendable {
    /// Seconds between partition-maintenance rounds (`GS_PARTITION_INTERVAL`, default 1 h; 0 = off).
    public var partitionInterval: Double = 3_600
    /// Seconds between sweeps that generate series whose bars are newer than their last scan (left behind by a
    /// process that died before or during generation) (`GS_GENERATE_SWEEP_INTERVAL`, default 300; 0 = off).
    public var generateSweepInterval: Double = 300
    /// A streaming replica for read-only routes (`DATABASE_READ_URL`); nil = everything reads the primary.
    public var readURL: String?
    /// How far behind the primary the replica may be before reads go to the primary instead
    /// (`GS_READ_MAX_LAG`, seconds, default 5).
    public var readMaxLag: Double = 5
    /// How often the replica's lag and health are checked (`GS_READ_CHECK_INTERVAL`, seconds, default 1).
    public var readCheckInterval: Double = 1

    public init() {}

    /// Reads the settings from an environment.
    /// - Throws: `ConfigurationError` naming the variable when a value is malformed.
    public static func fromEnvironment(_ env: [String: String]) throws -> ScaleSettings {
        var s = ScaleSettings()
        func seconds(_ name: String, minimum: Double, zeroAllowed: Bool) throws -> Double? {
            guard let v = env[name], !v.isEmpty else { return nil }
            guard let x = Double(v), x.isFinite, x >= minimum || (zeroAllowed && x == 0) else {
                throw ConfigurationError(variable: name, message: "must be seconds ≥ \(minimum)\(zeroAllowed ? " (0 = off)" : "")")
            }
            return x
        }
        if let x = try seconds("GS_PARTITION_INTERVAL", minimum: 1, zeroAllowed: true) { s.partitionInterval = x }
        if let x = try seconds("GS_GENERATE_SWEEP_INTERVAL", minimum: 0.1, zeroAllowed: true) { s.generateSweepInterval = x }
        if let v = env["DATABASE_READ_URL"], !v.isEmpty { s.readURL = v }
        if let x = try seconds("GS_READ_MAX_LAG", minimum: 0.001, zeroAllowed: false) { s.readMaxLag = x }
        if let x = try seconds("GS_READ_CHECK_INTERVAL", minimum: 0.05, zeroAllowed: false) { s.readCheckInterval = x }
        return s
    }
}
