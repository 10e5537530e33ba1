import Foundation

/// The plain-text summary `goldensignals backtest` prints: one row per run (baseline, then each scenario).
public enum BacktestSummary {
    /// A table from a stored result document (`{"baseline":RESULT,"scenarios":{…}}`).
    public static func table(_ result: String) -> String {
        guard let doc = try? JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any],
              let baseline = doc["baseline"] as? [String: Any] else { return "no result" }
        var runs: [(String, [String: Any])] = [("baseline", baseline)]
        if let scenarios = doc["scenarios"] as? [String: Any] {
            for k in scenarios.keys.sorted() { if let r = scenarios[k] as? [String: Any] { runs.append((k, r)) } }
        }
        func pct(_ v: Any?) -> String { (v as? Double).map { String(format: "%.2f%%", $0 * 100) } ?? "-" }
        func num(_ v: Any?) -> String { (v as? Double).map { String(format: "%.2f", $0) } ?? "-" }
        let header = ["run", "return", "cagr", "vol", "sharpe", "sortino", "max dd", "dd bars", "trades", "win", "pf", "costs", "b&h return"]
        var rows = [header]
        for (name, r) in runs {
            let m = r["metrics"] as? [String: Any] ?? [:]
            let b = r["benchmark"] as? [String: Any] ?? [:]
            rows.append([name, pct(m["total_return"]), pct(m["cagr"]), pct(m["volatility"]), num(m["sharpe"]), num(m["sortino"]),
                         pct(m["max_drawdown"]), "\((m["max_drawdown_bars"] as? Int) ?? 0)", "\((m["trades"] as? Int) ?? 0)",
                         pct(m["win_rate"]), num(m["profit_factor"]), num(m["costs_paid"]), pct(b["total_return"])])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = rows.map { row in
            row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        out.insert(String(repeating: "-", count: out[0].count), at: 1)
        if let label = baseline["label"] as? String { out.append(label) }
        return out.joined(separator: "\n")
    }
}
