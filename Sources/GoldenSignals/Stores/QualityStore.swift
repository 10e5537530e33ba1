import Foundation
import Market
import Postgres
import Quality

/// A stored quality report: the API's JSON for its checks and issues, kept as written.
public struct StoredQualityReport: Sendable {
    public var symbol: String
    public var timeframe: Timeframe
    public var score: Double
    public var barsChecked: Int
    public var issuesTotal: Int
    public var checksJSON: String
    public var issuesJSON: String
    public var generatedAt: Int64
    public var trigger: String
}

/// One row of the universe summary.
public struct QualitySummaryRow: Sendable {
    public var symbol: String
    public var isDemo: Bool
    public var score: Double
    public var previousScore: Double?
    public var barsChecked: Int
    public var issuesTotal: Int
    public var generatedAt: Int64
    public var failingChecks: [String]
}

/// Reads and writes `quality_reports`.
public struct QualityStore: Sendable {
    let pool: PostgresPool
    /// Reports kept per series (the retention policy, `GS_QUALITY_HISTORY`).
    let keep: Int

    public init(pool: PostgresPool, keep: Int = 100) {
        self.pool = pool
        self.keep = max(2, keep)
    }

    /// Stores a new report; the series keeps its newest `keep` reports (the newest one is served).
    public func save(symbolID: Int64, timeframe: Timeframe, report: QualityReport, trigger: String) throws {
        let checks = QualityJSON.checks(report.checks)
        let issues = QualityJSON.issues(report.issues)
        _ = try pool.transaction { conn in
            try conn.query("""
                INSERT INTO quality_reports (symbol_id, timeframe, score, bars_checked, issues_total, checks, issues, first_ts, last_ts, trigger)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, to_timestamp($8), to_timestamp($9), $10)
                """, [symbolID, timeframe.rawValue, report.score, report.barsChecked, report.issuesTotal,
                      PostgresJSON(checks), PostgresJSON(issues), report.firstTimestamp, report.lastTimestamp, trigger])
            // Retention: everything older than the newest `keep` reports of this series (the index on
            // (symbol_id, timeframe, generated_at DESC, id DESC) serves both the offset and the delete).
            try conn.query("""
                DELETE FROM quality_reports WHERE symbol_id = $1 AND timeframe = $2 AND (generated_at, id) <= (
                    SELECT generated_at, id FROM quality_reports WHERE symbol_id = $1 AND timeframe = $2
                    ORDER BY generated_at DESC, id DESC OFFSET $3 LIMIT 1)
                """, [symbolID, timeframe.rawValue, keep])
        }
    }

    /// The newest report of a series, or nil.
    public func latest(symbolID: Int64, timeframe: Timeframe) throws -> StoredQualityReport? {
        try pool.withConnection { conn in
            try conn.query("""
                SELECT s.symbol, r.score, r.bars_checked, r.issues_total, r.checks::text, r.issues::text,
                       extract(epoch FROM r.generated_at)::int8, r.trigger
                FROM quality_reports r JOIN symbols s ON s.id = r.symbol_id
                WHERE r.symbol_id = $1 AND r.timeframe = $2
                ORDER BY r.generated_at DESC, r.id DESC LIMIT 1
                """, [symbolID, timeframe.rawValue]).first.map { row in
                StoredQualityReport(symbol: try row.decode(0), timeframe: timeframe, score: try row.decode(1),
                                    barsChecked: try row.decode(2), issuesTotal: try row.decode(3), checksJSON: try row.decode(4),
                                    issuesJSON: try row.decode(5), generatedAt: try row.decode(6), trigger: try row.decode(7))
            }
        }
    }

    /// The newest report of every symbol for a timeframe, worst score first, with the previous score.
    public func summary(timeframe: Timeframe, limit: Int, offset: Int) throws -> (rows: [QualitySummaryRow], more: Bool) {
        let rows = try pool.withConnection { conn in
            try conn.query("""
                WITH ranked AS (
                    SELECT r.*, row_number() OVER (PARTITION BY r.symbol_id ORDER BY r.generated_at DESC, r.id DESC) AS n
                    FROM quality_reports r WHERE r.timeframe = $1
                )
                SELECT s.symbol, s.is_demo, cur.score, prev.score, cur.bars_checked, cur.issues_total,
                       extract(epoch FROM cur.generated_at)::int8,
                       coalesce((SELECT array_to_string(array_agg(c->>'name' ORDER BY c->>'name'), ',')
                                 FROM jsonb_array_elements(cur.checks) c WHERE c->>'status' = 'fail'), '')
                FROM ranked cur
                JOIN symbols s ON s.id = cur.symbol_id
                LEFT JOIN ranked prev ON prev.symbol_id = cur.symbol_id AND prev.n = 2
                WHERE cur.n = 1
                ORDER BY cur.score, s.symbol
                LIMIT $2 OFFSET $3
                """, [timeframe.rawValue, limit + 1, offset])
        }
        var out: [QualitySummaryRow] = []
        for row in rows.prefix(limit) {
            let failing: String = try row.decode(7)
            out.append(QualitySummaryRow(symbol: try row.decode(0), isDemo: try row.decode(1), score: try row.decode(2),
                                         previousScore: try row.decode(3, as: Double?.self), barsChecked: try row.decode(4),
                                         issuesTotal: try row.decode(5), generatedAt: try row.decode(6),
                                         failingChecks: failing.isEmpty ? [] : failing.split(separator: ",").map(String.init)))
        }
        return (out, rows.count > limit)
    }
}

/// The API's JSON for quality checks and issues, as stored in the `jsonb` columns (PostgreSQL
/// normalises key order and number text on the way in, so the encoder's own formatting never shows).
enum QualityJSON {
    private struct Check: Encodable {
        var name: String
        var status: String
        var count: Int64
        var weight: Double
    }

    private struct Issue: Encodable {
        var timestamp: String
        var check: String
        var severity: String
        var message: String
    }

    static func checks(_ checks: [QualityCheckResult]) -> String {
        encode(checks.map { Check(name: $0.name, status: $0.status.rawValue, count: Int64($0.count), weight: $0.weight) })
    }

    static func issues(_ issues: [QualityIssue]) -> String {
        encode(issues.map { Issue(timestamp: RFC3339.format($0.timestamp), check: $0.check, severity: $0.severity.rawValue, message: $0.message) })
    }

    private static func encode(_ value: some Encodable) -> String {
        // Encoding arrays of plain strings and finite numbers cannot fail.
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
