import Foundation
import HTTPServer
import Postgres

/// Reads and writes `anomalies`.
public struct AnomalyStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Opens each finding, or updates its open row (last seen, severity, details, occurrences); then resolves
    /// the open anomalies of `checked` kinds that were not found again.
    /// - Returns: how many were opened and how many resolved.
    @discardableResult
    func apply(_ findings: [AnomalyFinding], checked: Set<AnomalyKind>, on conn: PostgresConnection) throws -> (opened: Int, resolved: Int) {
        try conn.transaction { conn in
            var opened = 0
            for f in findings {
                let created: Bool = try conn.query("""
                    INSERT INTO anomalies (kind, severity, subject, details) VALUES ($1, $2, $3, $4::jsonb)
                    ON CONFLICT (kind, subject) WHERE resolved_at IS NULL
                    DO UPDATE SET last_seen = now(), severity = EXCLUDED.severity, details = EXCLUDED.details,
                                  occurrences = anomalies.occurrences + 1
                    RETURNING xmax = 0
                    """, [f.kind.rawValue, f.severity.rawValue, f.subject, PostgresJSON(f.detailsJSON)]).first?.decode(0) ?? false
                if created { opened += 1 }
            }
            let found = findings.map { "\($0.kind.rawValue)\u{1}\($0.subject)" }
            let resolved = try conn.query("""
                UPDATE anomalies SET resolved_at = now()
                WHERE resolved_at IS NULL AND kind = ANY($1::text[]) AND NOT (kind || chr(1) || subject = ANY($2::text[]))
                RETURNING id
                """, [checked.map(\.rawValue).sorted(), found]).count
            return (opened, resolved)
        }
    }

    /// Records an outage of the database that is over: `from` … `to` (Unix seconds), resolved when it answered again.
    func recordOutage(from: Int64, to: Int64, failures: Int, on conn: PostgresConnection) throws {
        var w = JSONWriter(capacity: 96)
        w.beginObject()
        w.key("unreachable_from"); w.string(RFC3339.format(from))
        w.key("last_failure"); w.string(RFC3339.format(to))
        w.key("failed_attempts"); w.number(failures)
        w.endObject()
        try conn.query("""
            INSERT INTO anomalies (kind, severity, subject, details, first_seen, last_seen, resolved_at)
            VALUES ('database_unreachable', 'critical', 'database', $1::jsonb, to_timestamp($2), to_timestamp($3), now())
            """, [PostgresJSON(String(decoding: w.bytes, as: UTF8.self)), from, to])
    }

    /// Open anomalies per kind.
    func openCounts(on conn: PostgresConnection) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try conn.query("SELECT kind, count(*)::int8 FROM anomalies WHERE resolved_at IS NULL GROUP BY kind", []) {
            out[try row.decode(0)] = Int(try row.decode(1, as: Int64.self))
        }
        return out
    }

    /// Which anomalies a list shows.
    public enum Status: String, CaseIterable, Sendable { case open, resolved, all }

    /// A page of anomalies, newest `last_seen` first, written into `w` as an array; the cursor position of the
    /// next page (the last row's id, with its time) when there is one.
    /// - Parameter since: leave out anomalies resolved before this time (Unix seconds).
    func list(status: Status, kind: String?, limit: Int, before: (Int64, Int64)?, since: Int64? = nil, into w: inout JSONWriter,
              on conn: PostgresConnection) throws -> (Int64, Int64)? {
        let rows = try conn.query("""
            SELECT id, kind, severity, subject, details::text, (extract(epoch FROM first_seen) * 1000000)::int8,
                   (extract(epoch FROM last_seen) * 1000000)::int8, (extract(epoch FROM resolved_at) * 1000000)::int8, occurrences::int8
            FROM anomalies
            WHERE CASE $1::text WHEN 'open' THEN resolved_at IS NULL WHEN 'resolved' THEN resolved_at IS NOT NULL ELSE true END
              AND ($2::text IS NULL OR kind = $2)
              AND ($3::int8 IS NULL OR ((extract(epoch FROM last_seen) * 1000000)::int8, id) < ($3, $4::int8))
              AND ($6::int8 IS NULL OR resolved_at IS NULL OR resolved_at >= to_timestamp($6))
            ORDER BY last_seen DESC, id DESC LIMIT $5
            """, [status.rawValue, kind, before?.0, before?.1, limit + 1, since])
        w.beginArray()
        var last: (Int64, Int64)?
        for row in rows.prefix(limit) {
            let id: Int64 = try row.decode(0)
            let lastSeen: Int64 = try row.decode(6)
            w.beginObject()
            w.key("id"); w.number(id)
            w.key("kind"); w.string(try row.decode(1))
            w.key("severity"); w.string(try row.decode(2))
            w.key("subject"); w.string(try row.decode(3))
            w.key("status"); w.string(row.isNull(7) ? "open" : "resolved")
            w.key("details"); w.raw(Array((try row.decode(4, as: String.self)).utf8))
            w.key("first_seen"); w.string(RFC3339.format(try row.decode(5, as: Int64.self) / 1_000_000))
            w.key("last_seen"); w.string(RFC3339.format(lastSeen / 1_000_000))
            w.key("resolved_at"); if row.isNull(7) { w.null() } else { w.string(RFC3339.format(try row.decode(7, as: Int64.self) / 1_000_000)) }
            w.key("occurrences"); w.number(try row.decode(8, as: Int64.self))
            w.endObject()
            last = (lastSeen, id)
        }
        w.endArray()
        return rows.count > limit ? last : nil
    }
}
