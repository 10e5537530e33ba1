import Foundation
import HTTPServer
import Postgres

/// `GET /api/v1/monitoring/anomalies`, `GET /api/v1/monitoring/dashboard` and the page `GET /dashboard`.
struct MonitoringRoutes {
    let pool: PostgresPool
    let anomalies: AnomalyStore
    let dashboard: DashboardService

    static let maxLimit = 500

    func register(on router: Router) {
        let routes = self
        router.get("/api/v1/monitoring/anomalies") { request in try routes.list(request) }
        router.get("/api/v1/monitoring/dashboard") { _ in
            var r = Response.bytes(try routes.dashboard.render(), contentType: "application/json")
            r.headers.set("Cache-Control", "no-store")
            return r
        }
        let page = Array(DashboardPage.html.utf8)
        router.get("/dashboard", options: RouteOptions(runsOnLoop: true)) { _ in
            var r = Response.bytes(page, contentType: "text/html; charset=utf-8")
            // The page loads nothing from elsewhere: its script and style are inline, its data from this origin.
            r.headers.set("Content-Security-Policy",
                          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
            r.headers.set("X-Content-Type-Options", "nosniff")
            r.headers.set("Referrer-Policy", "no-referrer")
            r.headers.set("Cache-Control", "no-cache")
            return r
        }
    }

    /// `?status=open|resolved|all&kind=&limit=&cursor=`, newest `last_seen` first.
    func list(_ request: Request) throws -> Response {
        var q = QueryReader(request)
        let status = AnomalyStore.Status(rawValue: q.choice("status", AnomalyStore.Status.allCases.map(\.rawValue), default: "open")) ?? .open
        var kind: String?
        if let k = request.query["kind"], !k.isEmpty {
            if AnomalyKind(rawValue: k) != nil { kind = k } else {
                q.fail("kind", "must be one of \(AnomalyKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let limit = q.int("limit", default: 50, range: 1...Self.maxLimit)
        var before: (Int64, Int64)?
        if let c = request.query["cursor"], !c.isEmpty {
            if let text = Cursor.decode("a1", c), let dot = text.firstIndex(of: "."),
               let t = Int64(text[..<dot]), let id = Int64(text[text.index(after: dot)...]) {
                before = (t, id)
            } else { q.fail("cursor", "is not a cursor this service issued; pass next_cursor back unchanged") }
        }
        try q.validate()
        var w = JSONWriter(capacity: 4_096)
        w.beginObject()
        w.key("status"); w.string(status.rawValue)
        w.key("anomalies")
        let next = try pool.withConnection { conn in
            try anomalies.list(status: status, kind: kind, limit: limit, before: before, into: &w, on: conn)
        }
        w.key("next_cursor"); if let next { w.string(Cursor.encode("a1", "\(next.0).\(next.1)")) } else { w.null() }
        w.endObject()
        var r = Response.bytes(w.bytes, contentType: "application/json")
        r.headers.set("Cache-Control", "no-store")
        return r
    }
}
