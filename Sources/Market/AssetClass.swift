/// What kind of instrument a symbol is; it decides the trading calendar and the provider chain.
public enum AssetClass: String, CaseIterable, Sendable, Codable, Hashable {
    case equity, etf, crypto, fx, index

    /// The list of valid names, for error messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// A best guess of the asset class from the ticker alone (for imports that do not name one).
    public static func infer(fromSymbol symbol: String) -> AssetClass {
        let s = symbol.uppercased()
        if s.hasPrefix("^") { return .index }
        let cryptoQuotes = ["-USD", "-USDT", "-EUR", "-BTC", "USDT"]
        let cryptoBases = ["BTC", "ETH", "SOL", "ADA", "XRP", "DOGE", "LTC", "BNB"]
        if cryptoQuotes.contains(where: s.hasSuffix), cryptoBases.contains(where: s.hasPrefix) { return .crypto }
        if s.hasSuffix("=X") { return .fx }
        let etfs: Set<String> = ["SPY", "QQQ", "IWM", "DIA", "VTI", "VOO", "GLD", "TLT", "XLF", "XLE", "XLK", "EEM", "EFA", "HYG", "LQD"]
        if etfs.contains(s) { return .etf }
        return .equity
    }
}
