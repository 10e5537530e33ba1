import Foundation
import Glibc

/// A blocking Server-Sent-Events reader over a raw socket: sends one GET and parses events from the
/// chunked body as they arrive.
final class SSEClient {
    struct Event { var id: String?; var event: String?; var data: String }

    let fd: Int32
    private var pending = ""      // de-chunked text not yet parsed into events
    private var raw: [UInt8] = []  // bytes not yet de-chunked
    private var headerDone = false
    private(set) var status = 0

    init(port: Int, path: String, headers: [(String, String)] = [], timeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { Glibc.close(fd); throw POSIXError(.ECONNREFUSED) }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    deinit { Glibc.close(fd) }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        raw.append(contentsOf: chunk[0..<n])
        if !headerDone, let end = raw.firstRange(of: Array("\r\n\r\n".utf8)) {
            let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
            status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            raw.removeSubrange(..<end.upperBound)
            headerDone = true
        }
        guard headerDone else { return true }
        // De-chunk every complete chunk.
        while let lineEnd = raw.firstRange(of: [13, 10]) {
            guard let size = Int(String(decoding: raw[..<lineEnd.lowerBound], as: UTF8.self), radix: 16) else { return false }
            let start = lineEnd.upperBound
            guard raw.count >= start + size + 2 else { break }
            pending += String(decoding: raw[start..<start + size], as: UTF8.self)
            raw.removeSubrange(..<(start + size + 2))
        }
        return true
    }

    /// The next event (comments skipped), or nil when none arrives before the socket's timeout.
    func next() -> Event? {
        while true {
            if let range = pending.range(of: "\n\n") {
                let block = String(pending[..<range.lowerBound])
                pending.removeSubrange(..<range.upperBound)
                var e = Event(data: "")
                var data: [String] = []
                for line in block.split(separator: "\n") {
                    if line.hasPrefix(":") { continue }
                    if line.hasPrefix("id: ") { e.id = String(line.dropFirst(4)) }
                    else if line.hasPrefix("event: ") { e.event = String(line.dropFirst(7)) }
                    else if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
                }
                if data.isEmpty { continue }
                e.data = data.joined(separator: "\n")
                return e
            }
            if !fill() { return nil }
        }
    }

    /// Reads until the response head has arrived (the subscription is registered right after it).
    func waitForHead() -> Int {
        while !headerDone { if !fill() { break } }
        return status
    }
}
