/// A bar interval. Raw values are the names used on the wire (`1m` … `1w`).
public enum Timeframe: String, CaseIterable, Sendable, Codable, Hashable {
    case m1 = "1m", m5 = "5m", m15 = "15m", m30 = "30m", h1 = "1h", h4 = "4h", d1 = "1d", w1 = "1w"

    /// Nominal length of one bar in seconds (a daily bar is one calendar day, a weekly bar seven).
    public var seconds: Int64 {
        switch self {
        case .m1: 60
        case .m5: 300
        case .m15: 900
        case .m30: 1_800
        case .h1: 3_600
        case .h4: 14_400
        case .d1: 86_400
        case .w1: 604_800
        }
    }

    /// Whether bars of this timeframe are shorter than a trading session.
    public var isIntraday: Bool { seconds < 86_400 }

    /// The list of valid names, for error messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
