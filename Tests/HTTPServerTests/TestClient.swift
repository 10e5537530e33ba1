import Glibc
import Logging
@testable import HTTPServer

/// A parsed response as a test sees it.
struct TestResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP client with a receive timeout, speaking just enough HTTP to check the server.
final class TestConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemError(function: "socket", errno: errno) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw SystemError(function: "connect", errno: e)
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads more bytes; false on end of stream, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readLine() -> String? {
        while true {
            if let lf = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<lf])
                if line.last == 0x0D { line.removeLast() }
                buffer.removeFirst(lf + 1)
                return String(decoding: line, as: UTF8.self)
            }
            if !fill() { return nil }
        }
    }

    private func readExactly(_ n: Int) -> [UInt8]? {
        while buffer.count < n { if !fill() { return nil } }
        let out = Array(buffer[..<n])
        buffer.removeFirst(n)
        return out
    }

    /// Reads one response; `head` for responses to HEAD (no body whatever the framing says).
    func readResponse(head: Bool = false) -> TestResponse? {
        guard let statusLine = readLine() else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers = HTTPHeaders()
        while let line = readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        if status < 200 || head || status == 204 || status == 304 { return TestResponse(status: status, headers: headers, body: []) }
        if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            guard let body = readExactly(length) else { return nil }
            return TestResponse(status: status, headers: headers, body: body)
        }
        if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
            var body: [UInt8] = []
            while true {
                guard let sizeLine = readLine(), let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { return nil }
                if size == 0 {
                    while let trailer = readLine(), !trailer.isEmpty {}
                    return TestResponse(status: status, headers: headers, body: body)
                }
                guard let data = readExactly(size + 2) else { return nil }
                body.append(contentsOf: data[0..<size])
            }
        }
        while fill() {}
        let body = buffer
        buffer = []
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Waits for the server to send something (kept for the next read); false on end of stream or timeout.
    func awaitData() -> Bool { !buffer.isEmpty || fill() }

    /// True when the server has closed the connection (end of stream within the timeout).
    func isClosedByPeer() -> Bool {
        if !buffer.isEmpty { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        if n == 1 { buffer.append(byte) }
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }
}

/// A server on an ephemeral port for one test; shut down by `stop()`.
final class LiveServer: @unchecked Sendable {
    let server: HTTPServer
    var port: Int { server.localPort }

    init(router: Router, configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.eventLoops = 2
        configuration.workerThreads = 4
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        server = HTTPServer(configuration: configuration, router: router, logger: logger)
        try server.start()
    }

    func connect(timeout: Double = 5) throws -> TestConnection {
        try TestConnection(port: port, timeout: timeout)
    }

    /// One request on a fresh connection.
    func get(_ path: String) throws -> TestResponse? {
        let c = try connect()
        c.send("GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        return c.readResponse()
    }

    func stop() { server.shutdown() }
}

/// Sleeps without blocking other threads more than needed.
func sleep(seconds: Double) {
    usleep(UInt32(seconds * 1_000_000))
}
