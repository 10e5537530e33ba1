import Dispatch
import Foundation
import HTTPClient
import Testing

/// A python3 `http.server` on 127.0.0.1 (an ephemeral port), started per test and stopped afterwards.
/// Temporary: the integrator will replace it with our own HTTPServer.
final class PythonTestServer {
    let process = Process()
    let port: Int

    static let script = #"""
import http.server, socketserver, sys, time
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a): pass
    def send(self, status, body, length=True, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Test", "yes")
        for k, v in extra: self.send_header(k, v)
        if length: self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path
        if p == "/ok": self.send(200, b"hello")
        elif p == "/slow":
            # Answers only when the client hangs up (or after 30 s): a client whose timeout works never sees it.
            self.connection.settimeout(30)
            try: self.rfile.read(1)
            except Exception: pass
            try: self.send(200, b"late")
            except Exception: pass
        elif p == "/big": self.send(200, b"x" * 100000)
        elif p == "/big-unsized":
            self.send_response(200); self.end_headers()
            for _ in range(100): self.wfile.write(b"y" * 1000)
        elif p == "/500": self.send(500, b"boom", extra=[("Retry-After", "3")])
        elif p == "/redirect": self.send(302, b"", extra=[("Location", "/ok")])
        elif p == "/ua": self.send(200, (self.headers.get("User-Agent", "") + "|" + self.headers.get("X-Custom", "")).encode())
        else: self.send(404, b"nope")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.send(201, self.rfile.read(n))
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""#

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", PythonTestServer.script]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = [UInt8]()
        while true {
            let b = out.fileHandleForReading.readData(ofLength: 1)
            guard let c = b.first else { break }
            if c == 10 { break }
            line.append(c)
        }
        guard let p = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HTTPClientError(kind: .other, message: "python test server did not start")
        }
        port = p
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    deinit {
        // SIGKILL: the child may inherit a blocked SIGTERM from the test runner's thread.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

private func expectClientError(_ kind: HTTPClientError.Kind, _ body: () throws -> Any) {
    do {
        _ = try body()
        Issue.record("expected HTTPClientError.\(kind)")
    } catch let e as HTTPClientError {
        #expect(e.kind == kind, "\(e)")
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Suite struct HTTPClientTests {
    let client = HTTPClient(userAgent: "GoldenSignalsTest/1")

    @Test func okBodyAndHeaders() throws {
        let server = try PythonTestServer()
        let r = try client.send(HTTPClientRequest(url: server.url("/ok")))
        #expect(r.status == 200)
        #expect(r.body == Array("hello".utf8))
        #expect(r.header("x-test") == "yes" && r.header("CONTENT-LENGTH") == "5")
        let ua = try client.send(HTTPClientRequest(url: server.url("/ua"), headers: [("X-Custom", "v1")]))
        #expect(String(decoding: ua.body, as: UTF8.self) == "GoldenSignalsTest/1|v1")
    }

    @Test func serverErrorIsAResponseNotAnError() throws {
        let server = try PythonTestServer()
        let r = try client.send(HTTPClientRequest(url: server.url("/500")))
        #expect(r.status == 500 && r.body == Array("boom".utf8) && r.header("Retry-After") == "3")
    }

    @Test func redirectsAreNotFollowed() throws {
        let server = try PythonTestServer()
        let r = try client.send(HTTPClientRequest(url: server.url("/redirect")))
        #expect(r.status == 302 && r.header("location") == "/ok")
    }

    @Test func totalTimeout() throws {
        let server = try PythonTestServer()
        var req = HTTPClientRequest(url: server.url("/slow"))
        req.timeout = 0.5
        // The server never answers while the client waits, so only the client's own timeout can end the call.
        expectClientError(.timeout) { try client.send(req) }
    }

    @Test func tooLargeBodyIsAborted() throws {
        let server = try PythonTestServer()
        for path in ["/big", "/big-unsized"] {
            var req = HTTPClientRequest(url: server.url(path))
            req.maxResponseBytes = 10_000
            expectClientError(.tooLarge) { try client.send(req) }
            req.maxResponseBytes = 200_000
            #expect(try client.send(req).body.count == 100_000)
        }
    }

    @Test func connectionRefused() throws {
        var req = HTTPClientRequest(url: "http://127.0.0.1:1/")
        req.connectTimeout = 1
        expectClientError(.connect) { try client.send(req) }
    }

    @Test func postBody() throws {
        let server = try PythonTestServer()
        let r = try client.send(HTTPClientRequest(url: server.url("/echo"), method: "POST",
                                                  headers: [("Content-Type", "application/json")], body: Array(#"{"a":1}"#.utf8)))
        #expect(r.status == 201 && r.body == Array(#"{"a":1}"#.utf8))
    }

    @Test func concurrentCallsFromSeveralThreads() throws {
        let server = try PythonTestServer()
        let url = server.url("/ok")
        let ok = LockedCounter()
        let c = client
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if let r = try? c.send(HTTPClientRequest(url: url)), r.status == 200, r.body == Array("hello".utf8) { ok.increment() }
        }
        #expect(ok.value == 16)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var v = 0
    func increment() { lock.lock(); v += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return v }
}
