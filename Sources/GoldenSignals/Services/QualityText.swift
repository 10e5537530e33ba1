import Foundation
import Market
import Quality

/// A quality report as text for a terminal.
public enum QualityText {
    public static func render(_ r: QualityReport, symbol: String, timeframe: Timeframe, maxIssues: Int) -> String {
        var out = "\(symbol) \(timeframe.rawValue): score \(String(format: "%.3f", r.score)) over \(r.barsChecked) bars"
        if let first = r.firstTimestamp, let last = r.lastTimestamp {
            out += " (\(RFC3339.format(first).prefix(10)) → \(RFC3339.format(last).prefix(10)))"
        }
        out += "\n\ncheck                      status  count  weight\n"
        for c in r.checks {
            out += c.name.padding(toLength: 27, withPad: " ", startingAt: 0) + c.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(c.count).padding(toLength: 7, withPad: " ", startingAt: 0) + String(format: "%.2f", c.weight) + "\n"
        }
        out += "\n\(r.issuesTotal) issue(s)"
        if r.issuesTotal > 0 { out += ", the first \(min(maxIssues, r.issues.count)) by severity:" }
        out += "\n"
        for i in r.issues.prefix(maxIssues) {
            out += "  \(RFC3339.format(i.timestamp))  \(i.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(i.check): \(i.message)\n"
        }
        return out
    }
}
