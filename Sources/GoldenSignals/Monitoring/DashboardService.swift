import Foundation
import HTTPServer
import MarketProviders
import Postgres
import Signals

/// A background job as the dashboard shows it: how often it should run and the table it records runs in.
struct ScheduledJob: Sendable {
    var name: String
    /// Seconds between rounds; 0 = off.
    var interval: Double
}

/// Builds `GET /api/v1/monitoring/dashboard`: every figure the page shows, in one answer.
///
/// The expensive parts (accuracy over every final outcome, the funnel over every candidate) come from
/// `AccuracyCache`, recomputed only when outcomes, calibrations or signals changed; the rest are small
/// indexed reads.
struct DashboardService: Sendable {
    let pool: PostgresPool
    let migrator: Migrator
    let anomalies: AnomalyStore
    let accuracy: AccuracyCache
    let providers: @Sendable () -> (ProviderConfiguration, [String: String])
    let workers: @Sendable () -> WorkerPoolStatistics?
    let jobs: [ScheduledJob]
    let databaseMode: String
    let startedAt: Int64

    /// Newest published signals shown.
    static let latestSignals = 12
    /// Series shown in `data_quality.series`, worst first.
    static let qualitySeries = 40

    func render(now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> [UInt8] {
        let started = DispatchTime.now().uptimeNanoseconds
        let dbUp = pool.ping(timeout: 1)
        let latencyMs = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        var w = JSONWriter(capacity: 32_768)
        w.beginObject()
        w.key("generated_at"); w.string(RFC3339.format(now))
        guard dbUp else {
            // Without the database only the process itself can be described.
            w.key("system_health"); writeHealth(dbUp: false, latencyMs: latencyMs, migrations: nil, jobRows: [:], now: now, into: &w)
            w.endObject()
            return w.bytes
        }
        let derived = try accuracy.current()
        let migrations = try? migrator.counts(in: pool)
        try pool.withConnection { conn in
            w.key("demo"); w.bool(try conn.query("SELECT EXISTS (SELECT 1 FROM symbols WHERE is_demo AND active)", []).first?.decode(0) ?? false)
            w.key("signal_accuracy"); derived.accuracy.write(into: &w)
            w.key("funnel"); w.beginObject()
            w.key("timeframe"); w.null()   // every timeframe, as GET /api/v1/signals/funnel without one
            SignalRoutes.writeFunnel(derived.funnel, into: &w)
            w.key("by_strategy"); w.beginArray()
            for strategy in Set(derived.funnel.map(\.strategy)).sorted() {
                w.beginObject()
                w.key("strategy"); w.string(strategy)
                SignalRoutes.writeFunnel(derived.funnel.filter { $0.strategy == strategy }, into: &w)
                w.endObject()
            }
            w.endArray()
            w.endObject()
            try writeAnomalies(now: now, on: conn, into: &w)
            w.key("system_health")
            writeHealth(dbUp: true, latencyMs: latencyMs, migrations: migrations, jobRows: try jobRows(on: conn), now: now, into: &w)
            w.key("data_quality"); try writeQuality(on: conn, into: &w)
            w.key("providers"); try writeProviders(now: now, on: conn, into: &w)
            w.key("webhooks"); try writeWebhooks(on: conn, into: &w)
            w.key("latest_signals"); try writeLatestSignals(on: conn, into: &w)
        }
        w.endObject()
        return w.bytes
    }

    // MARK: Webhooks

    /// Subscriptions by state, messages waiting, deliveries of the last 24 hours, and the subscriptions that
    /// need attention (failing or disabled, with the recorded reason and the last status). URLs, owners and
    /// secrets are not shown (the dashboard needs only the read scope).
    func writeWebhooks(on conn: PostgresConnection, into w: inout JSONWriter) throws {
        let t = try conn.query("""
            SELECT count(*)::int8, count(*) FILTER (WHERE enabled)::int8,
                   count(*) FILTER (WHERE enabled AND failing_since IS NOT NULL)::int8, count(*) FILTER (WHERE NOT enabled)::int8,
                   (SELECT count(*) FROM webhook_outbox o JOIN webhooks x ON x.id = o.webhook_id AND x.enabled
                    WHERE o.delivered_at IS NULL AND o.failed_at IS NULL)::int8,
                   (SELECT count(*) FROM webhook_deliveries d WHERE d.at > now() - interval '1 day' AND d.status BETWEEN 200 AND 299)::int8,
                   (SELECT count(*) FROM webhook_deliveries d
                    WHERE d.at > now() - interval '1 day' AND (d.status IS NULL OR d.status NOT BETWEEN 200 AND 299))::int8
            FROM webhooks
            """, [])[0]
        w.beginObject()
        for (k, name) in ["subscriptions", "enabled", "failing", "disabled", "pending_messages", "delivered_24h", "failed_attempts_24h"].enumerated() {
            w.key(name); w.number(try t.decode(k, as: Int64.self))
        }
        w.key("attention"); w.beginArray()
        for row in try conn.query("""
            SELECT x.id::text, array_to_string(x.events, ','), x.enabled, extract(epoch FROM coalesce(x.disabled_at, x.failing_since))::int8,
                   left(x.disabled_reason, 200), d.status, extract(epoch FROM d.at)::int8
            FROM webhooks x
            LEFT JOIN LATERAL (SELECT status, at FROM webhook_deliveries WHERE webhook_id = x.id ORDER BY id DESC LIMIT 1) d ON true
            WHERE NOT x.enabled OR x.failing_since IS NOT NULL
            ORDER BY coalesce(x.disabled_at, x.failing_since) DESC NULLS LAST, x.id LIMIT 20
            """, []) {
            w.beginObject()
            w.key("id"); w.string(try row.decode(0))
            w.key("state"); w.string(try row.decode(2, as: Bool.self) ? "failing" : "disabled")
            w.key("events"); w.beginArray()
            for e in (try row.decode(1, as: String.self)).split(separator: ",") { w.string(String(e)) }
            w.endArray()
            w.key("since"); if row.isNull(3) { w.null() } else { w.string(RFC3339.format(try row.decode(3))) }
            w.key("reason"); if row.isNull(4) { w.null() } else { w.string(try row.decode(4)) }
            w.key("last_status"); if row.isNull(5) { w.null() } else { w.number(try row.decode(5, as: Int64.self)) }
            w.key("last_attempt_at"); if row.isNull(6) { w.null() } else { w.string(RFC3339.format(try row.decode(6))) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    // MARK: Anomalies

    /// Every open anomaly and those resolved in the last 7 days, newest first (at most 100), with counts.
    func writeAnomalies(now: Int64, on conn: PostgresConnection, into w: inout JSONWriter) throws {
        let counts = try anomalies.openCounts(on: conn)
        w.key("anomaly_counts"); w.beginObject()
        w.key("open"); w.number(counts.values.reduce(0, +))
        w.key("open_by_kind"); w.beginObject()
        for (k, n) in counts.sorted(by: { $0.key < $1.key }) { w.key(k); w.number(n) }
        w.endObject()
        w.endObject()
        w.key("anomalies")
        _ = try anomalies.list(status: .all, kind: nil, limit: 100, before: nil, since: now - 7 * 86_400, into: &w, on: conn)
    }

    // MARK: System health

    func jobRows(on conn: PostgresConnection) throws -> [String: (started: Int64, finished: Int64?, status: String)] {
        var out: [String: (Int64, Int64?, String)] = [:]
        for row in try conn.query("""
            SELECT DISTINCT ON (job) job, extract(epoch FROM started_at)::int8, extract(epoch FROM finished_at)::int8, status
            FROM job_runs WHERE job = ANY($1::text[]) ORDER BY job, started_at DESC
            """, [jobs.map(\.name)]) {
            out[try row.decode(0)] = (try row.decode(1), try row.decode(2, as: Int64?.self), try row.decode(3))
        }
        return out
    }

    func writeHealth(dbUp: Bool, latencyMs: Double, migrations: (applied: Int, pending: Int)?,
                     jobRows: [String: (started: Int64, finished: Int64?, status: String)], now: Int64, into w: inout JSONWriter) {
        let status = !dbUp ? "down" : (migrations == nil || migrations!.pending > 0) ? "degraded" : "ok"
        let stats = pool.statistics
        w.beginObject()
        w.key("status"); w.string(status)
        w.key("uptime_seconds"); w.number(now - startedAt)
        w.key("database"); w.beginObject()
        w.key("status"); w.string(dbUp ? "up" : "down")
        w.key("mode"); w.string(databaseMode)
        w.key("latency_ms"); w.number((latencyMs * 100).rounded() / 100)
        w.key("pool"); w.beginObject()
        w.key("open"); w.number(stats.open); w.key("idle"); w.number(stats.idle)
        w.key("in_use"); w.number(stats.inUse); w.key("waiting"); w.number(stats.waiting)
        w.endObject()
        w.endObject()
        w.key("migrations"); w.beginObject()
        if let m = migrations {
            w.key("status"); w.string(m.pending == 0 ? "up_to_date" : "pending")
            w.key("applied"); w.number(m.applied); w.key("pending"); w.number(m.pending)
        } else {
            w.key("status"); w.string("unknown")
        }
        w.endObject()
        w.key("worker_pool")
        if let s = workers() {
            w.beginObject()
            w.key("threads"); w.number(s.threads); w.key("busy"); w.number(s.busy)
            w.key("queued"); w.number(s.queued); w.key("queue_limit"); w.number(s.queueLimit)
            w.key("refused"); w.number(s.refused)
            w.key("saturation"); w.number(Double(s.busy) / Double(max(1, s.threads)))
            w.endObject()
        } else { w.null() }
        w.key("jobs"); w.beginArray()
        for job in jobs {
            w.beginObject()
            w.key("job"); w.string(job.name)
            w.key("interval_seconds"); w.number(job.interval)
            let last = jobRows[job.name]
            w.key("last_started_at"); if let last { w.string(RFC3339.format(last.started)) } else { w.null() }
            w.key("last_finished_at"); if let f = last?.finished { w.string(RFC3339.format(f)) } else { w.null() }
            w.key("last_status"); if let last { w.string(last.status) } else { w.null() }
            // Lag: how far past its due time the next round is (0 while on time).
            let lag: Int64? = job.interval > 0 ? last.map { max(0, now - $0.started - Int64(job.interval)) } : nil
            w.key("lag_seconds"); if let lag { w.number(lag) } else { w.null() }
            let state: String
            if job.interval <= 0 { state = "off" } else if let lag { state = Double(lag) > job.interval ? "late" : "on_time" } else { state = "not_run_yet" }
            w.key("state"); w.string(state)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    // MARK: Data quality

    /// The newest report of each series, worst first, with the previous score and the checks whose count changed.
    func writeQuality(on conn: PostgresConnection, into w: inout JSONWriter) throws {
        let rows = try conn.query("""
            WITH ranked AS (
                SELECT r.symbol_id, r.timeframe, r.score, r.bars_checked, r.issues_total, r.checks, r.generated_at, r.last_ts,
                       row_number() OVER (PARTITION BY r.symbol_id, r.timeframe ORDER BY r.generated_at DESC, r.id DESC) AS n
                FROM quality_reports r
            )
            SELECT s.symbol, cur.timeframe, cur.score, prev.score, cur.bars_checked, cur.issues_total,
                   extract(epoch FROM cur.generated_at)::int8, cur.checks::text, prev.checks::text, s.is_demo,
                   extract(epoch FROM cur.last_ts)::int8, count(*) OVER ()
            FROM ranked cur JOIN symbols s ON s.id = cur.symbol_id
            LEFT JOIN ranked prev ON prev.symbol_id = cur.symbol_id AND prev.timeframe = cur.timeframe AND prev.n = 2
            WHERE cur.n = 1
            ORDER BY cur.score, s.symbol, cur.timeframe
            LIMIT $1
            """, [Self.qualitySeries])
        w.beginObject()
        w.key("series_total"); w.number(rows.first.map { try? $0.decode(11, as: Int64.self) }.flatMap { $0 } ?? 0)
        w.key("series"); w.beginArray()
        for row in rows {
            let score: Double = try row.decode(2)
            let previous: Double? = try row.decode(3, as: Double?.self)
            let current = Self.checkCounts(try row.decode(7)), before = Self.checkCounts(try row.decode(8, as: String?.self) ?? "[]")
            w.beginObject()
            w.key("symbol"); w.string(try row.decode(0))
            w.key("timeframe"); w.string(try row.decode(1))
            w.key("demo"); w.bool(try row.decode(9))
            w.key("score"); w.number(score)
            w.key("previous_score"); if let previous { w.number(previous) } else { w.null() }
            w.key("change"); if let previous { w.number(score - previous) } else { w.null() }
            w.key("bars_checked"); w.number(try row.decode(4, as: Int64.self))
            w.key("issues_total"); w.number(try row.decode(5, as: Int64.self))
            w.key("generated_at"); w.string(RFC3339.format(try row.decode(6)))
            w.key("last_bar"); if row.isNull(10) { w.null() } else { w.string(RFC3339.format(try row.decode(10))) }
            w.key("failing_checks"); w.beginArray()
            for c in current where c.status == "fail" { w.string(c.name) }
            w.endArray()
            w.key("changed_checks"); w.beginArray()
            if previous != nil {
                let old = Dictionary(before.map { ($0.name, $0.count) }, uniquingKeysWith: { a, _ in a })
                for c in current where (old[c.name] ?? 0) != c.count {
                    w.beginObject()
                    w.key("check"); w.string(c.name); w.key("before"); w.number(old[c.name] ?? 0); w.key("after"); w.number(c.count)
                    w.endObject()
                }
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// (name, status, count) of each check in a stored report's `checks` JSON.
    static func checkCounts(_ json: String) -> [(name: String, status: String, count: Int)] {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [[String: Any]] else { return [] }
        return list.compactMap { c in
            guard let name = c["name"] as? String else { return nil }
            return (name, c["status"] as? String ?? "", (c["count"] as? NSNumber)?.intValue ?? 0)
        }
    }

    // MARK: Providers

    /// Per provider: configured or not, circuit, calls and failures in the last hour, latency, and the share of
    /// the rate limit left in its current window (limit × keys − calls in the window). Keys are never shown.
    func writeProviders(now: Int64, on conn: PostgresConnection, into w: inout JSONWriter) throws {
        let (config, circuits) = providers()
        var stats: [String: (calls: Int, errors: Int, p50: Double?, p95: Double?, last: Int64?)] = [:]
        for row in try conn.query("""
            SELECT provider, count(*)::int8, count(error)::int8,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms),
                   extract(epoch FROM max(called_at))::int8
            FROM provider_calls WHERE called_at > to_timestamp($1) GROUP BY provider
            """, [now - 3_600]) {
            stats[try row.decode(0)] = (Int(try row.decode(1, as: Int64.self)), Int(try row.decode(2, as: Int64.self)),
                                        try row.decode(3, as: Double?.self), try row.decode(4, as: Double?.self), try row.decode(5, as: Int64?.self))
        }
        w.beginArray()
        for name in (Array(config.settings.keys) + config.unconfigured).sorted() {
            let s = stats[name]
            w.beginObject()
            w.key("provider"); w.string(name)
            let settings = config.settings[name]
            w.key("configured"); w.bool(settings != nil)
            w.key("circuit"); if let c = circuits[name] { w.string(c) } else { w.null() }
            w.key("calls_1h"); w.number(s?.calls ?? 0)
            w.key("errors_1h"); w.number(s?.errors ?? 0)
            w.key("success_rate_1h"); if let s, s.calls > 0 { w.number(Double(s.calls - s.errors) / Double(s.calls)) } else { w.null() }
            w.key("latency_ms_p50"); if let v = s?.p50 { w.number((v * 10).rounded() / 10) } else { w.null() }
            w.key("latency_ms_p95"); if let v = s?.p95 { w.number((v * 10).rounded() / 10) } else { w.null() }
            w.key("last_call_at"); if let t = s?.last { w.string(RFC3339.format(t)) } else { w.null() }
            w.key("rate_limit")
            if let settings {
                let keys = max(1, settings.keys.count)
                let capacity = settings.rateLimit.requests * keys
                let used: Int = try conn.query("SELECT count(*)::int8 FROM provider_calls WHERE provider = $1 AND called_at > to_timestamp($2::float8)",
                                               [name, Double(now) - settings.rateLimit.perSeconds]).first?.decode(0) ?? 0
                w.beginObject()
                w.key("requests"); w.number(capacity)
                w.key("per_seconds"); w.number(settings.rateLimit.perSeconds)
                w.key("keys"); w.number(settings.keys.count)
                w.key("used_in_window"); w.number(used)
                w.key("headroom"); w.number(max(0, Double(capacity - used) / Double(max(1, capacity))))
                w.endObject()
            } else { w.null() }
            w.endObject()
        }
        w.endArray()
    }

    // MARK: Latest signals

    func writeLatestSignals(on conn: PostgresConnection, into w: inout JSONWriter) throws {
        let sql = SignalStore.sql("""
            SELECT \(SignalStore.columns) \(SignalStore.from)
            WHERE g.published AND g.created_at <= $T ORDER BY g.ts DESC, g.id DESC LIMIT \(Self.latestSignals)
            """, asOf: 1)
        w.beginArray()
        // The limit is in the text: a generic plan (PostgreSQL's choice after five runs) knows it too.
        for row in try conn.query(sql, [Double?.none]) { try SignalJSON.write(row, into: &w) }
        w.endArray()
    }
}

extension Application {
    /// The dashboard over this application's stores, configuration and (once started) server.
    func makeDashboard() -> DashboardService {
        DashboardService(pool: pool, migrator: migrator, anomalies: anomalies, accuracy: accuracy,
                         providers: { [weak self] in
                             guard let self else { return (ProviderConfiguration(settings: [:], order: [:]), [:]) }
                             return (self.providers, self.providersBuilt ? self.chain.circuitStates() : [:])
                         },
                         workers: { [weak self] in self?.workerStatistics },
                         jobs: [ScheduledJob(name: "ingest", interval: configuration.ingestInterval),
                                ScheduledJob(name: "evaluate", interval: configuration.evaluateInterval),
                                ScheduledJob(name: "anomalies", interval: configuration.anomalyInterval)],
                         databaseMode: embedded == nil ? "external" : "embedded", startedAt: startedAt)
    }
}
