import Logging
import Testing
@testable import HTTPServer

struct Teapot: HTTPResponseError {
    var status: HTTPStatus { HTTPStatus(418, "I'm a teapot") }
    var headers: HTTPHeaders { HTTPHeaders([("X-Brew", "no")]) }
}

struct SecretFailure: Error, CustomStringConvertible {
    var description: String { "password=hunter2 at db.internal:5432" }
}

func body(_ response: Response) -> String {
    if case .bytes(let b) = response.body { return String(decoding: b, as: UTF8.self) }
    return ""
}

/// Keeps every log record (level, message, metadata) for a test to read.
final class LogRecords: @unchecked Sendable {
    struct Record { let level: Logger.Level; let message: String; let metadata: Logger.Metadata }
    private let lock = ConditionLock()
    private var items: [Record] = []
    func add(_ r: Record) { lock.withLock { items.append(r) } }
    var all: [Record] { lock.withLock { items } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(records: self) }
    }

    struct Handler: LogHandler {
        let records: LogRecords
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            records.add(Record(level: event.level, message: event.message.description,
                               metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}

/// Records middleware order.
final class Trace: @unchecked Sendable {
    private let lock = ConditionLock()
    private var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}

struct Tagging: Middleware {
    let tag: String
    let trace: Trace
    func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        trace.add("in " + tag)
        var r = try next(request)
        trace.add("out " + tag)
        r.headers.add("X-Trace", tag)
        return r
    }
}

@Suite struct RouterTests {
    func makeRouter() -> Router {
        let router = Router()
        router.get("/health") { _ in .text("ok") }
        router.get("/api/v1/signals/{id}") { req in .text("signal \(req.pathParameters["id"] ?? "?") \(req.routePattern ?? "")") }
        router.delete("/api/v1/signals/{id}") { _ in Response(status: .noContent) }
        router.post("/echo") { req in .bytes(req.body, contentType: "application/octet-stream") }
        router.get("/query") { req in .text("\(req.query["q"] ?? "nil")|\(req.query.all("n"))|\(req.query.names)") }
        router.get("/teapot") { _ in throw Teapot() }
        router.get("/invalid") { _ in
            throw HTTPError(.unprocessableEntity, detail: "bad input", errors: [FieldError(field: "from", message: "must be a date")])
        }
        router.get("/secret") { _ in throw SecretFailure() }
        return router
    }

    @Test func staticAndParameterRoutes() {
        let router = makeRouter()
        #expect(body(router.respond(to: Request(method: .GET, target: "/health"))) == "ok")
        let r = router.respond(to: Request(method: .GET, target: "/api/v1/signals/AB%20C?x=1"))
        #expect(r.status == .ok)
        #expect(body(r) == "signal AB C /api/v1/signals/{id}")
        #expect(router.respond(to: Request(method: .GET, target: "/api/v1/signals/")).status == .notFound)
        #expect(router.respond(to: Request(method: .GET, target: "/api/v1/signals/a/b")).status == .notFound)
    }

    /// A request target splits into the decoded path, the raw path and the raw query; a fragment is dropped
    /// and the absolute form keeps only its path.
    @Test func targetsSplitIntoPathAndQuery() {
        let cases: [(String, String, String, String)] = [
            ("/a/b?x=1#frag", "/a/b", "/a/b", "x=1"),
            ("/a#frag?not=query", "/a", "/a", ""),
            ("/", "/", "/", ""),
            ("http://example.com:8080/p/q?z=2", "/p/q", "/p/q", "z=2"),
            ("https://example.com", "/", "/", ""),
            ("/caf%C3%A9/BTC%2FUSD?q", "/café/BTC/USD", "/caf%C3%A9/BTC%2FUSD", "q"),
            ("/httpish/path", "/httpish/path", "/httpish/path", ""),
        ]
        for (target, path, raw, query) in cases {
            let split = Request.splitTarget(target)
            #expect(split.path == path && split.rawPath == raw && split.rawQuery == query, "\(target) → \(split)")
        }
    }

    @Test func queryIsPercentDecoded() {
        let r = makeRouter().respond(to: Request(method: .GET, target: "/query?q=a+b%2Bc%26&n=1&n=2&flag"))
        #expect(body(r) == "a b+c&|[\"1\", \"2\"]|[\"q\", \"n\", \"flag\"]")
    }

    /// The query's edge cases: empty parts skipped, the first `=` splits, a bad escape kept as sent,
    /// decoded bytes that are not UTF-8 read as U+FFFD, raw UTF-8 kept, an escaped NUL reported.
    @Test func queryEdgeCases() {
        func parse(_ q: String) -> [String] { let p = QueryParameters(parsing: q); return p.names.flatMap { [$0] + p.all($0) } }
        #expect(parse("&&a=1&&") == ["a", "1"])
        #expect(parse("a==b=c&=v&k=") == ["a", "=b=c", "", "v", "k", ""])
        #expect(parse("x=%zz%4&y=%41%2b+") == ["x", "%zz%4", "y", "A+ "])
        #expect(parse("b=%FF%C3%A9&c=é") == ["b", "\u{FFFD}é", "c", "é"])
        #expect(parse("n+m%3D=1") == ["n m=", "1"])
        #expect(QueryParameters(parsing: "ok=1&v=a%00b").nameWithNUL == "v")
        #expect(QueryParameters(parsing: "ok=1&%00=b").nameWithNUL == "query")
        #expect(QueryParameters(parsing: "a=%0").nameWithNUL == nil)
    }

    /// Byte-wise query parsing agrees with a plain reading by Characters (split on `&`, then on the first
    /// `=`, then percent-decoded) on random queries of the bytes that matter, escapes and UTF-8 included.
    @Test func queryParsingAgreesWithAPlainReading() {
        func plain(_ q: String) -> [(String, String)] {
            q.split(separator: "&").map { part in
                guard let eq = part.firstIndex(of: "=") else { return (PercentDecoding.decode(part, plusIsSpace: true), "") }
                return (PercentDecoding.decode(part[..<eq], plusIsSpace: true),
                        PercentDecoding.decode(part[part.index(after: eq)...], plusIsSpace: true))
            }
        }
        let alphabet = ["a", "b", "=", "&", "%", "+", "4", "1", "F", "0", "é", "%26", "%3D", "%00", "%e9"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let q = (0..<Int.random(in: 0...14, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            let parsed = QueryParameters(parsing: q)
            let expected = plain(q)
            #expect(parsed.names == expected.map(\.0).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }, "\(q)")
            for name in parsed.names { #expect(parsed.all(name) == expected.filter { $0.0 == name }.map(\.1), "\(q)") }
        }
    }

    @Test func notFoundIsProblemJSON() {
        let r = makeRouter().respond(to: Request(method: .GET, target: "/nope"))
        #expect(r.status.code == 404)
        #expect(r.headers["content-type"] == "application/problem+json")
        #expect(body(r) == #"{"type":"about:blank","title":"Not Found","status":404}"#)
    }

    @Test func methodNotAllowedListsAllow() {
        let r = makeRouter().respond(to: Request(method: .PUT, target: "/api/v1/signals/1"))
        #expect(r.status.code == 405)
        #expect(r.headers["Allow"] == "DELETE, GET, HEAD")
    }

    @Test func headRunsGetWithoutBody() {
        let router = makeRouter()
        let get = router.respond(to: Request(method: .GET, target: "/health"))
        let head = router.respond(to: Request(method: .HEAD, target: "/health"))
        #expect(head.status == .ok)
        #expect(head.headers["Content-Type"] == get.headers["Content-Type"])
        #expect(head.headers["Content-Length"] == "2")
        if case .empty = head.body {} else { Issue.record("HEAD must have no body") }
    }

    @Test func domainErrorChoosesStatusAndHeaders() {
        let r = makeRouter().respond(to: Request(method: .GET, target: "/teapot"))
        #expect(r.status.code == 418)
        #expect(r.headers["X-Brew"] == "no")
        #expect(body(r).contains(#""status":418"#))
    }

    @Test func httpErrorCarriesFieldErrors() {
        let r = makeRouter().respond(to: Request(method: .GET, target: "/invalid"))
        #expect(r.status.code == 422)
        #expect(body(r) == #"{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"bad input","errors":[{"field":"from","message":"must be a date"}]}"#)
    }

    @Test func unknownErrorIs500AndLeaksNothing() {
        let r = makeRouter().respond(to: Request(method: .GET, target: "/secret"))
        #expect(r.status.code == 500)
        #expect(body(r) == #"{"type":"about:blank","title":"Internal Server Error","status":500}"#)
        #expect(!body(r).contains("hunter2"))
    }

    @Test func middlewareRunsOutermostFirstAndWraps404() {
        let router = makeRouter()
        let trace = Trace()
        router.use(Tagging(tag: "a", trace: trace))
        router.use(Tagging(tag: "b", trace: trace))
        let r = router.respond(to: Request(method: .GET, target: "/nope"))
        #expect(r.status.code == 404)
        #expect(trace.all == ["in a", "in b", "out b", "out a"])
        #expect(r.headers.values("X-Trace") == ["b", "a"])
    }

    @Test func requestIDIsEchoedOrGenerated() {
        let router = makeRouter()
        router.use(RequestIDMiddleware())
        let echoed = router.respond(to: Request(method: .GET, target: "/health", headers: HTTPHeaders([("X-Request-ID", "abc-123")])))
        #expect(echoed.headers["x-request-id"] == "abc-123")
        let generated = router.respond(to: Request(method: .GET, target: "/health", headers: HTTPHeaders([("X-Request-ID", "bad id\u{1}")])))
        let id = generated.headers["X-Request-ID"] ?? ""
        #expect(id.count == 32)
        #expect(id != "bad id\u{1}")
    }

    @Test func corsAnswersPreflightAndTagsResponses() {
        let router = makeRouter()
        router.use(CORSMiddleware(allowOrigin: "https://app.example"))
        let preflight = router.respond(to: Request(method: .OPTIONS, target: "/api/v1/signals/1", headers: HTTPHeaders([
            ("Origin", "https://app.example"), ("Access-Control-Request-Method", "DELETE"),
            ("Access-Control-Request-Headers", "content-type"),
        ])))
        #expect(preflight.status == .noContent)
        #expect(preflight.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(preflight.headers["Access-Control-Allow-Headers"] == "content-type")
        let simple = router.respond(to: Request(method: .GET, target: "/health", headers: HTTPHeaders([("Origin", "https://app.example")])))
        #expect(simple.headers["Access-Control-Allow-Origin"] == "https://app.example")
    }

    @Test func metricsSeeRoutePatternAndStatus() {
        let router = makeRouter()
        let trace = Trace()
        router.use(MetricsMiddleware { method, route, status, seconds in
            trace.add("\(method) \(route) \(status) \(seconds >= 0)")
        })
        _ = router.respond(to: Request(method: .GET, target: "/api/v1/signals/7"))
        _ = router.respond(to: Request(method: .GET, target: "/teapot"))
        _ = router.respond(to: Request(method: .GET, target: "/missing"))
        #expect(trace.all == ["GET /api/v1/signals/{id} 200 true", "GET /teapot 418 true", "GET unmatched 404 true"])
    }

    @Test func errorsPassThroughMiddlewareWhichStillTagTheirAnswer() {
        let router = makeRouter()
        let trace = Trace()
        router.use(RequestIDMiddleware())
        router.use(CORSMiddleware())
        router.use(MetricsMiddleware { _, route, status, _ in trace.add("metrics \(route) \(status)") })
        router.use(Tagging(tag: "inner", trace: trace))
        let r = router.respond(to: Request(method: .GET, target: "/secret",
                                           headers: HTTPHeaders([("Origin", "https://a.example"), ("X-Request-ID", "req-1")])))
        #expect(r.status.code == 500)
        #expect(!body(r).contains("hunter2"))
        #expect(r.headers["X-Request-ID"] == "req-1")
        #expect(r.headers["Access-Control-Allow-Origin"] == "*")
        // The inner middleware saw the error go by (no "out"), the metrics saw the real status.
        #expect(trace.all == ["in inner", "metrics /secret 500"])
        let teapot = router.respond(to: Request(method: .GET, target: "/teapot", headers: HTTPHeaders([("X-Request-ID", "req-2")])))
        #expect(teapot.status.code == 418)
        #expect(teapot.headers["X-Brew"] == "no")
        #expect(teapot.headers["X-Request-ID"] == "req-2")
    }

    @Test func accessLogKeepsTheCauseOfA500WithTheRequestID() {
        let router = makeRouter()
        let records = LogRecords()
        router.use(RequestIDMiddleware())
        router.use(AccessLogMiddleware(logger: records.logger))
        let r = router.respond(to: Request(method: .GET, target: "/secret", headers: HTTPHeaders([("X-Request-ID", "req-9")])))
        #expect(r.status.code == 500)
        #expect(!body(r).contains("hunter2"))
        let errors = records.all.filter { $0.level == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("password=hunter2 at db.internal:5432") == true)
        #expect(errors.first?.metadata["request_id"]?.description == "req-9")
        #expect(records.all.contains { $0.level == .info && $0.message == "GET /secret 500" })
        // A client error is in the access log only.
        _ = router.respond(to: Request(method: .GET, target: "/teapot"))
        #expect(records.all.filter { $0.level == .error }.count == 1)
        #expect(records.all.contains { $0.level == .info && $0.message == "GET /teapot 418" })
    }

    @Test func routesAreListed() {
        let router = makeRouter()
        #expect(router.routes.first.map { "\($0.method) \($0.pattern)" } == "GET /health")
        #expect(router.routes.count == 8)
    }
}

@Suite struct HTTPTypesTests {
    @Test func headersAreCaseInsensitiveAndOrdered() {
        var h = HTTPHeaders([("Set-Cookie", "a"), ("X", "1"), ("set-cookie", "b")])
        #expect(h["SET-COOKIE"] == "a")
        #expect(h.values("Set-Cookie") == ["a", "b"])
        h.set("set-cookie", "c")
        #expect(h.map(\.value) == ["c", "1"])
        h.remove("x")
        #expect(h.count == 1)
    }

    @Test func httpDates() {
        #expect(HTTPDate.format(unixSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(unixSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(unixSeconds: 1_709_210_096) == "Thu, 29 Feb 2024 12:34:56 GMT")
    }

    @Test func statusReasons() {
        #expect(HTTPStatus(404).reason == "Not Found")
        #expect(HTTPStatus(299).reason == "")
        #expect(HTTPStatus.tooManyRequests.code == 429)
    }
}

@Suite struct JSONWriterTests {
    @Test func structureAndEscaping() {
        var w = JSONWriter(capacity: 64)
        w.beginObject()
        w.key("s"); w.string("a\"b\\c\n\t\u{1}é😀")
        w.key("list"); w.beginArray(); w.number(Int64(1)); w.null(); w.bool(true); w.bool(false)
        w.beginObject(); w.endObject(); w.beginArray(); w.endArray(); w.endArray()
        w.key("min"); w.number(Int64.min)
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self)
            == #"{"s":"a\"b\\c\n\t\u0001é😀","list":[1,null,true,false,{},[]],"min":-9223372036854775808}"#)
    }

    @Test(arguments: [0.1, 1.0, -0.0, 2.5e-8, 123456.789, 1e21, 5e-324, 1.7976931348623157e308, 0.30000000000000004, -42.0, 1e15, 123456789012345.0])
    func doublesRoundTrip(value: Double) {
        var w = JSONWriter()
        w.number(value)
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(Double(text) == value)
        #expect(Double(text)?.sign == value.sign)
        #expect(text.count <= 24)
    }

    @Test func nonFiniteIsNull() {
        var w = JSONWriter()
        w.beginArray(); w.number(Double.nan); w.number(Double.infinity); w.number(-Double.infinity); w.endArray()
        #expect(String(decoding: w.bytes, as: UTF8.self) == "[null,null,null]")
    }

    @Test func problemShape() {
        let p = Problem(status: .badRequest, detail: "x", errors: [FieldError(field: "f", message: "m")])
        let r = p.response()
        #expect(r.status.code == 400)
        #expect(r.headers["Content-Type"] == "application/problem+json")
    }
}

@Suite struct StreamingTests {
    @Test func serverSentEventFormat() {
        let bytes = ServerSentEvent.format(data: "line1\nline2", event: "signal", id: "7")
        #expect(String(decoding: bytes, as: UTF8.self) == "event: signal\nid: 7\ndata: line1\ndata: line2\n\n")
        #expect(String(decoding: ServerSentEvent.comment("ping"), as: UTF8.self) == ": ping\n\n")
    }

    @Test func streamHandlerRunsInProcess() {
        let router = Router()
        router.get("/events") { _ in
            .eventStream { writer in
                for i in 1...3 { writer.write(ServerSentEvent.format(data: "\(i)")) }
                writer.finish()
            }
        }
        let response = router.respond(to: Request(method: .GET, target: "/events"))
        #expect(response.headers["Content-Type"] == "text/event-stream")
        guard case .stream(let produce) = response.body else {
            Issue.record("expected a stream")
            return
        }
        let collected = Trace()
        let writer = ResponseStreamWriter(write: { collected.add(String(decoding: $0, as: UTF8.self)); return true },
                                          finish: { collected.add("end") })
        produce(writer)
        #expect(collected.all == ["data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "end"])
        #expect(writer.isClosed)
        #expect(!writer.write([1]))
    }

    @Test func writerStopsWhenTheSinkRefuses() {
        let writer = ResponseStreamWriter(write: { _ in false })
        #expect(!writer.write([1]))
        #expect(writer.isClosed)
    }
}

@Suite struct JSONKeyTests {
    @Test func preparedKeysMatchPlainKeys() {
        var a = JSONWriter(), b = JSONWriter()
        a.beginObject(); a.key(JSONKey("plain")); a.number(Int64(1)); a.key(JSONKey("q\"uote")); a.null()
        a.key(JSONKey(string: "dyn\n")); a.bool(true); a.endObject()
        b.beginObject(); b.key("plain"); b.number(Int64(1)); b.key("q\"uote"); b.null(); b.key("dyn\n"); b.bool(true); b.endObject()
        #expect(a.bytes == b.bytes)
        #expect(String(decoding: a.bytes, as: UTF8.self) == #"{"plain":1,"q\"uote":null,"dyn\n":true}"#)
    }
}
