import Foundation
import HTTPServer
import Postgres

/// `/health`, `/health/live`, `/health/ready`, `/metrics`, `/api/v1/monitoring/metrics`, `/openapi.yaml`.
struct HealthRoutes {
    let app: Application

    func register(on router: Router) {
        let app = self.app
        router.get("/health/live", options: RouteOptions(runsOnLoop: true)) { _ in
            Self.json(status: .ok) { w in w.key("status"); w.string("ok") }
        }
        router.get("/health/ready") { _ in
            let (ok, reason) = Self.readiness(app)
            return Self.json(status: ok ? .ok : .serviceUnavailable) { w in
                w.key("status"); w.string(ok ? "ready" : "not_ready")
                if let reason { w.key("reason"); w.string(reason) }
            }
        }
        router.get("/health") { _ in Self.health(app) }
        router.get("/metrics", options: RouteOptions(runsOnLoop: true)) { _ in
            var r = Response.bytes(app.metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            r.headers.set("Cache-Control", "no-store")
            return r
        }
        // The same figures as JSON: families with their type, help and series.
        router.get("/api/v1/monitoring/metrics", options: RouteOptions(runsOnLoop: true)) { _ in
            var r = Response.bytes(MetricsSnapshot.json(MetricsSnapshot.parse(app.metrics.render())), contentType: "application/json")
            r.headers.set("Cache-Control", "no-store")
            return r
        }
        let spec = FileManager.default.contents(atPath: app.configuration.openAPIPath).map { [UInt8]($0) }
        router.get("/openapi.yaml", options: RouteOptions(runsOnLoop: true)) { _ in
            guard let spec else { throw HTTPError(.serviceUnavailable, detail: "openapi.yaml was not found at \(app.configuration.openAPIPath)") }
            return .bytes(spec, contentType: "application/yaml")
        }
    }

    /// Ready when the database answers within a second and no migration is pending.
    static func readiness(_ app: Application) -> (Bool, String?) {
        guard app.pool.ping(timeout: 1) else { return (false, "database unreachable") }
        do {
            let counts = try app.migrationCounts()
            if counts.pending > 0 { return (false, "\(counts.pending) migration(s) pending") }
        } catch {
            return (false, "migration state unknown")
        }
        return (true, nil)
    }

    static func health(_ app: Application) -> Response {
        let started = DispatchTime.now()
        let dbUp = app.pool.ping(timeout: 1)
        let latencyMs = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        let migrations = dbUp ? try? app.migrationCounts() : nil
        let stats = app.pool.statistics
        let status: String
        if !dbUp { status = "down" } else if migrations == nil || migrations!.pending > 0 { status = "degraded" } else { status = "ok" }
        return json(status: status == "down" ? .serviceUnavailable : .ok) { w in
            w.key("status"); w.string(status)
            w.key("uptime_seconds"); w.number(Int64(Date().timeIntervalSince1970) - app.startedAt)
            w.key("checks"); w.beginObject()
            w.key("database"); w.beginObject()
            w.key("status"); w.string(dbUp ? "up" : "down")
            w.key("mode"); w.string(app.embedded == nil ? "external" : "embedded")
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
            let configured = app.providers.settings.keys.sorted()
            w.key("status"); w.string(configured.isEmpty ? "none_configured" : "up")
            w.key("configured"); w.beginArray(); for p in configured { w.string(p) }; w.endArray()
            w.key("unconfigured"); w.beginArray(); for p in app.providers.unconfigured.sorted() { w.string(p) }; w.endArray()
            w.key("circuits"); w.beginObject()
            for (p, state) in app.chain.circuitStates().sorted(by: { $0.key < $1.key }) { w.key(p); w.string(state) }
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
