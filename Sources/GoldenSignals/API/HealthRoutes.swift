import Foundation
import HTTPServer
import MarketProviders
import Postgres

/// `/health`, `/health/live`, `/health/ready`, `/metrics`, `/api/v1/monitoring/metrics`, `/openapi.yaml`.
struct HealthRoutes {
    let pool: PostgresPool
    /// The probes' own connection (outside the pool): a pool busy with requests cannot make the service look down.
    let probe: PostgresReservedConnection
    let migrator: Migrator
    let metrics: MetricsRegistry
    let providers: ProviderConfiguration
    let chain: ProviderChain
    let openAPIPath: String
    /// `embedded` or `external`.
    let databaseMode: String
    /// When the process started (Unix seconds).
    let startedAt: Int64

    func register(on router: Router) {
        let health = self
        let (metrics, openAPIPath) = (self.metrics, self.openAPIPath)
        router.get("/health/live", options: RouteOptions(runsOnLoop: true)) { _ in
            Self.json(status: .ok) { w in w.key("status"); w.string("ok") }
        }
        router.get("/health/ready") { _ in
            let (ok, reason) = health.readiness()
            return Self.json(status: ok ? .ok : .serviceUnavailable) { w in
                w.key("status"); w.string(ok ? "ready" : "not_ready")
                if let reason { w.key("reason"); w.string(reason) }
            }
        }
        router.get("/health") { _ in health.health() }
        router.get("/metrics", options: RouteOptions(runsOnLoop: true)) { _ in
            var r = Response.bytes(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            r.headers.set("Cache-Control", "no-store")
            return r
        }
        // The same figures as JSON: families with their type, help and series.
        router.get("/api/v1/monitoring/metrics", options: RouteOptions(runsOnLoop: true)) { _ in
            var r = Response.bytes(MetricsSnapshot.json(MetricsSnapshot.parse(metrics.render())), contentType: "application/json")
            r.headers.set("Cache-Control", "no-store")
            return r
        }
        let spec = FileManager.default.contents(atPath: openAPIPath).map { [UInt8]($0) }
        router.get("/openapi.yaml", options: RouteOptions(runsOnLoop: true)) { request in
            guard let spec else { throw HTTPError(.serviceUnavailable, detail: "openapi.yaml was not found at \(openAPIPath)") }
            // application/yaml (RFC 9512); the same bytes as text/yaml to a client that asks for that and
            // not for application/yaml (generated clients read text/* bodies as text).
            let accept = (request.headers["Accept"] ?? "").lowercased()
            let asText = accept.contains("text/yaml") && !accept.contains("application/yaml")
            return .bytes(spec, contentType: asText ? "text/yaml" : "application/yaml")
        }
    }

    /// Ready when the database answers within a second and no migration is pending.
    func readiness() -> (Bool, String?) {
        guard probe.ping(timeout: 1) else { return (false, "database unreachable") }
        do {
            let counts = try probe.withConnection(wait: 1, retryOnStale: true) { try migrator.counts(on: $0) }
            if counts.pending > 0 { return (false, "\(counts.pending) migration(s) pending") }
        } catch {
            return (false, "migration state unknown")
        }
        return (true, nil)
    }

    func health() -> Response {
        let started = DispatchTime.now()
        let dbUp = probe.ping(timeout: 1)
        let latencyMs = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        let migrations = dbUp ? try? probe.withConnection(wait: 1, retryOnStale: true) { try migrator.counts(on: $0) } : nil
        let stats = pool.statistics
        let status: String
        if !dbUp { status = "down" } else if migrations == nil || migrations!.pending > 0 { status = "degraded" } else { status = "ok" }
        return Self.json(status: status == "down" ? .serviceUnavailable : .ok) { w in
            w.key("status"); w.string(status)
            w.key("uptime_seconds"); w.number(Int64(Date().timeIntervalSince1970) - startedAt)
            w.key("checks"); w.beginObject()
            w.key("database"); w.beginObject()
            w.key("status"); w.string(dbUp ? "up" : "down")
            w.key("mode"); w.string(databaseMode)
            w.key("latency_ms"); w.number((latencyMs * 100).rounded() / 100)
            w.key("pool"); w.beginObject()
            w.key("open"); w.number(Int64(stats.open)); w.key("idle"); w.number(Int64(stats.idle))
            w.key("in_use"); w.number(Int64(stats.inUse)); w.key("waiting"); w.number(Int64(stats.waiting))
            w.endObject()
            w.endObject()
            w.key("migrations"); w.beginObject()
            if let m = migrations {
                w.key("status"); w.string(m.pending == 0 ? "up" : "pending")
                w.key("applied"); w.number(Int64(m.applied)); w.key("pending"); w.number(Int64(m.pending))
            } else {
                w.key("status"); w.string("unknown")
            }
            w.endObject()
            w.key("providers"); w.beginObject()
            let configured = providers.settings.keys.sorted()
            w.key("status"); w.string(configured.isEmpty ? "none_configured" : "up")
            w.key("configured"); w.beginArray(); for p in configured { w.string(p) }; w.endArray()
            w.key("unconfigured"); w.beginArray(); for p in providers.unconfigured.sorted() { w.string(p) }; w.endArray()
            w.key("circuits"); w.beginObject()
            for (p, state) in chain.circuitStates().sorted(by: { $0.key < $1.key }) { w.key(p); w.string(state) }
            w.endObject()
            w.endObject()
            w.endObject()
        }
    }

    /// A JSON object response built by `body`.
    static func json(status: HTTPStatus, _ body: (inout JSONWriter) -> Void) -> Response {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        body(&w)
        w.endObject()
        var r = Response.bytes(w.bytes, contentType: "application/json", status: status)
        r.headers.set("Cache-Control", "no-store")
        return r
    }
}
