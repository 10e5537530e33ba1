/// What kind of instrument a symbol is; it decides the trading calendar and the provider chain.
public enum AssetClass: String, CaseIterable, Sendable, Codable, Hashable {
    case equity, etf, crypto, fx, index

    /// The list of valid names, for error messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
