import Foundation

/// Keeps API keys out of what is stored and logged about provider calls. Keys travel in query strings (Alpha
/// Vantage, Stooq), headers (Polygon, Finnhub) and sometimes come back in an upstream's body (an error page quoting
/// the request URL); every error text the chain records or throws passes through `scrub` first.
public enum SecretScrubber {
    /// The longest text kept of an upstream's message (the rest is cut, marked with `…`).
    public static let maxLength = 300
    /// What replaces a secret.
    public static let mask = "<redacted>"

    /// Parameter names whose values are secrets wherever they appear (`name=value`, `"name":"value"`, `name: value`).
    static let secretNames = ["apikey", "api_key", "api-key", "apitoken", "api_token", "access_token", "token", "key",
                              "secret", "password", "passwd", "signature", "sig", "auth", "authorization",
                              "x-finnhub-token", "x-api-key", "x-mbx-apikey"]

    /// `text` cut to `maxLength` characters, one line, with every known key (`secrets`), every value of a secret-named
    /// parameter or field, every `Bearer`/`Basic` credential, and every run of 24 or more letters and digits mixing both
    /// (a token that looks like a key) replaced by `<redacted>`.
    public static func scrub(_ text: String, secrets: [String] = []) -> String {
        var s = text
        // Known keys first, longest first (one key may contain another), before the text is cut.
        for key in secrets.filter({ $0.count >= 4 }).sorted(by: { $0.count > $1.count }) {
            s = s.replacingOccurrences(of: key, with: mask)
            let encoded = key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? key
            if encoded != key { s = s.replacingOccurrences(of: encoded, with: mask) }
        }
        s = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        s = redactPatterns(s)
        if s.count > maxLength { s = String(s.prefix(maxLength)) + "…" }
        return s
    }

    private static let patterns: [(NSRegularExpression, String)] = {
        let names = secretNames.map(NSRegularExpression.escapedPattern(for:)).joined(separator: "|")
        let specs: [(String, String)] = [
            // name=value in a query string or form (value up to a separator).
            ("(?i)(\\b(?:\(names))=)[^&\\s\"'<>;,]+", "$1\(mask)"),
            // Authorization schemes (before `name: value`, which would take the scheme's name for the value).
            ("(?i)(\\b(?:bearer|basic)\\s+)[A-Za-z0-9._~+/=-]+", "$1\(mask)"),
            // "name": "value" in JSON, and name: value in headers or prose.
            ("(?i)(\"(?:\(names))\"\\s*:\\s*\")[^\"]*", "$1\(mask)"),
            ("(?i)(\\b(?:\(names))\\s*:\\s*)(?!\\s*\")(?!(?:bearer|basic)\\s)[^\\s&\"'<>;,]+", "$1\(mask)"),
            // Anything that looks like a key: a long run of letters and digits.
            ("\\b(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{24,}\\b", mask),
        ]
        return specs.compactMap { spec in (try? NSRegularExpression(pattern: spec.0)).map { ($0, spec.1) } }
    }()

    private static func redactPatterns(_ text: String) -> String {
        var s = text
        for (regex, template) in patterns {
            s = regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
        }
        return s
    }
}
