// Uses the library only through its public API (no @testable), the way the application does.
import Logging
import Testing
import HTTPServer

struct NotFoundSignal: HTTPResponseError {
    let id: String
    var status: HTTPStatus { .notFound }
    var problem: Problem { Problem(status: .notFound, detail: "no signal \(id)", type: "https://goldensignals.example/problems/no-signal") }
}

@Suite struct PublicAPITests {
    @Test func applicationShapedUsage() throws {
        let router = Router()
        router.use(RequestIDMiddleware())
        router.use(AccessLogMiddleware(logger: Logger(label: "access")))
        router.use(CORSMiddleware())
        router.use(MetricsMiddleware { _, _, _, _ in })
        router.get("/health", options: RouteOptions(runsOnLoop: true)) { _ in .text("ok") }
        router.get("/api/v1/signals/{id}") { request in
            guard let id = request.pathParameters["id"], id == "1" else { throw NotFoundSignal(id: request.pathParameters["id"] ?? "") }
            var w = JSONWriter(capacity: 64)
            w.beginObject(); w.key("id"); w.string(id); w.key("score"); w.number(0.25); w.endObject()
            return .bytes(w.bytes, contentType: "application/json")
        }
        router.post("/api/v1/signals", options: RouteOptions(maxBodyBytes: 1 << 16)) { request in
            guard !request.body.isEmpty else {
                throw HTTPError(.unprocessableEntity, errors: [FieldError(field: "body", message: "required")])
            }
            return Response(status: .created, headers: HTTPHeaders([("Location", "/api/v1/signals/2")]))
        }
        router.put("/x") { _ in Response() }
        router.patch("/x") { _ in Response() }
        router.delete("/x") { _ in Response(status: .noContent) }
        #expect(router.routes.count == 6)

        let ok = router.respond(to: Request(method: .GET, target: "/api/v1/signals/1", headers: HTTPHeaders(), body: [],
                                            remoteAddress: "10.0.0.1:5000"))
        #expect(ok.status == .ok)
        let missing = router.respond(to: Request(method: .GET, target: "/api/v1/signals/9", headers: .init(), body: [], remoteAddress: ""))
        #expect(missing.status.code == 404)
        if case .bytes(let b) = missing.body {
            #expect(String(decoding: b, as: UTF8.self).contains("no signal 9"))
        }
        let created = router.respond(to: Request(method: .POST, target: "/api/v1/signals", headers: .init(), body: [1], remoteAddress: ""))
        #expect(created.status == .created)

        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.eventLoops = 1
        configuration.workerThreads = 2
        configuration.workerQueueDepth = 8
        configuration.maxConnections = 100
        let server = HTTPServer(configuration: configuration, router: router, logger: Logger(label: "server"))
        try server.start()
        #expect(server.localPort > 0)
        server.shutdown()
        server.wait()
        #expect(HTTPMethod.GET.description == "GET")
        #expect(QueryParameters(parsing: "a=1").names == ["a"])
        #expect(HTTPDate.format(unixSeconds: 0).hasSuffix("GMT"))
    }
}

@Suite struct HeaderFieldsTests {
    /// Lookups ignore ASCII case only, for short and long names alike, and keep the order of the fields.
    @Test func namesMatchIgnoringASCIICaseOnly() {
        let names = ["A", "ETag", "Accept", "X-Req-Id", "Authorization", "If-None-Match", "X-Padding-Field-With-A-Long-Name",
                     "^_`|~", "~_`|^", "a^b", "a~b", "x_y", "x\u{7F}y"]
        var headers = HTTPHeaders()
        for (i, name) in names.enumerated() { headers.add(name, "v\(i)") }
        for (i, name) in names.enumerated() {
            for spelling in [name, name.uppercased(), name.lowercased()] {
                #expect(headers[spelling] == "v\(i)", "\(spelling)")
                #expect(headers.contains(spelling))
            }
        }
        // Characters that differ only in bit 0x20 but are not letters are different names.
        #expect(HTTPHeaders([("a^b", "1")])["a~b"] == nil)
        #expect(HTTPHeaders([("x_y", "1")])["x\u{7F}y"] == nil)
        #expect(HTTPHeaders([("Content-Type", "1")])["Content-Typf"] == nil)
        #expect(HTTPHeaders([("Content-Type", "1")])["Content-Length"] == nil)
        #expect(headers["Authorizatio"] == nil && headers["Authorizationn"] == nil)

        var repeated = HTTPHeaders([("Vary", "a"), ("X-One", "1"), ("VARY", "b"), ("vary", "c")])
        #expect(repeated.values("Vary") == ["a", "b", "c"])
        repeated.set("vAry", "d")
        #expect(repeated.map(\.name) == ["vAry", "X-One"] && repeated["VARY"] == "d")
        repeated.remove("x-one")
        #expect(repeated.count == 1 && !repeated.contains("X-One"))
    }
}
