import Glibc
import Testing
@testable import HTTPServer

/// Downloads (`Response.download`) wait for a slow client; event streams keep dropping clients that fall behind.
@Suite(.serialized) struct StreamBackpressureTests {
    static let total = 32 << 20
    static let chunk = 64 << 10
    static let bound = 256 << 10

    final class Outcome: @unchecked Sendable {
        let lock = ConditionLock()
        var written = 0
        var writeFailed = false
        var peak: Int?
        var done = false
        func set(_ body: (Outcome) -> Void) { lock.withLock { body(self); done = true; lock.broadcast() } }
        func wait(seconds: Double) -> Bool {
            lock.lock(); defer { lock.unlock() }
            let deadline = monotonicNow() + seconds
            while !done, monotonicNow() < deadline { lock.wait(untilMonotonic: deadline) }
            return done
        }
    }

    static let pattern: [UInt8] = (0..<(chunk + 251)).map { UInt8($0 % 251) }

    /// Bytes 0, 1, … 250, 0, 1, … so that a lost or repeated chunk shows.
    static func produce(_ writer: ResponseStreamWriter, _ outcome: Outcome) {
        var sent = 0
        var ok = true
        while sent < total {
            let part = Array(pattern[(sent % 251)..<(sent % 251 + chunk)])
            if !writer.write(part) { ok = false; break }
            sent += chunk
        }
        writer.finish()
        let peak = writer.peakPendingBytes
        outcome.set { $0.written = sent; $0.writeFailed = !ok; $0.peak = peak }
    }

    static func router(_ outcome: Outcome) -> Router {
        let router = Router()
        router.get("/download") { _ in
            .download(contentType: "application/octet-stream", bound: bound) { produce($0, outcome) }
        }
        router.get("/flood") { _ in
            Response(headers: HTTPHeaders([("Content-Type", "text/event-stream")]), body: .stream { produce($0, outcome) })
        }
        return router
    }

    /// A client with a small receive buffer that reads nothing for `pause`, then reads everything slowly.
    static func slowRead(port: Int, path: String, pause: Double) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var small: Int32 = 64 << 10
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, 4)
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(rc == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        sleep(seconds: pause)
        var received: [UInt8] = []
        received.reserveCapacity(total + (1 << 20))
        var buffer = [UInt8](repeating: 0, count: 32 << 10)
        var reads = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
            reads += 1
            if reads % 16 == 0 { usleep(1000) }   // about 1 ms per 512 KiB at most: slower than the producer
        }
        return received
    }

    /// The body of a chunked response (head skipped); stops at the last chunk or where the bytes end.
    static func dechunk(_ raw: [UInt8]) -> (body: [UInt8], complete: Bool) {
        var i = 0
        while i + 3 < raw.count, !(raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10) { i += 1 }
        i += 4
        var body: [UInt8] = []
        body.reserveCapacity(raw.count)
        while i < raw.count {
            var size = 0
            while i < raw.count, raw[i] != 13 {
                let c = raw[i]
                size = size * 16 + Int(c <= 57 ? c - 48 : (c | 0x20) - 87)
                i += 1
            }
            i += 2
            if size == 0 { return (body, true) }
            guard i + size <= raw.count else { body.append(contentsOf: raw[i...]); return (body, false) }
            body.append(contentsOf: raw[i..<(i + size)])
            i += size + 2
        }
        return (body, false)
    }

    @Test func aDownloadWaitsForASlowClientAndKeepsItsBufferBounded() throws {
        let outcome = Outcome()
        let live = try LiveServer(router: Self.router(outcome))
        defer { live.stop() }
        let raw = try Self.slowRead(port: live.port, path: "/download", pause: 1.0)
        let (body, complete) = Self.dechunk(raw)
        #expect(outcome.wait(seconds: 10))
        #expect(complete, "the last chunk arrived")
        #expect(body.count == Self.total, "every byte arrived: \(body.count) of \(Self.total)")
        var wrong = 0
        for (k, b) in body.enumerated() where b != UInt8(k % 251) { wrong += 1 }
        #expect(wrong == 0)
        outcome.lock.withLock {
            #expect(!outcome.writeFailed)
            #expect(outcome.written == Self.total)
            // The bound plus the one chunk a producer may add once under it.
            #expect((outcome.peak ?? .max) <= Self.bound + Self.chunk + 64, "peak pending \(outcome.peak ?? -1)")
        }
    }

    @Test func anEventStreamStillDropsAClientFarBehind() throws {
        let outcome = Outcome()
        let live = try LiveServer(router: Self.router(outcome))
        defer { live.stop() }
        let raw = try Self.slowRead(port: live.port, path: "/flood", pause: 2.0)
        let (body, complete) = Self.dechunk(raw)
        #expect(outcome.wait(seconds: 10))
        #expect(!complete)
        #expect(body.count < Self.total, "the client was disconnected before the end: \(body.count) bytes")
    }
}
