import Foundation
import Glibc

/// Where webhooks may go: http(s) URLs whose host resolves only to public addresses, unless the host
/// is allow-listed. The checked addresses are pinned for the request (no second lookup to rebind).
public struct DestinationPolicy: Sendable {
    public let allowedHosts: Set<String>

    public init(allowedHosts: Set<String>) { self.allowedHosts = allowedHosts }

    /// Why a destination is refused.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The URL's shape alone: http or https, a host, no credentials.
    public static func checkShape(_ text: String) -> String? {
        guard text.utf8.count <= 2_000, let url = URL(string: text), let scheme = url.scheme?.lowercased() else { return "must be an absolute URL" }
        guard scheme == "http" || scheme == "https" else { return "must be http or https" }
        guard let host = url.host, !host.isEmpty else { return "must name a host" }
        guard url.user == nil, url.password == nil else { return "must not carry credentials" }
        return nil
    }

    /// The `CURLOPT_RESOLVE` entries pinning the URL's host to the addresses checked.
    /// - Throws: `Refusal` when the URL is not allowed or the host does not resolve.
    public func check(_ text: String) throws -> [String] {
        if let problem = Self.checkShape(text) { throw Refusal(description: "the URL \(problem)") }
        let url = URL(string: text)!
        var host = url.host!.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        let allowed = allowedHosts.contains(host) || allowedHosts.contains("[\(host)]")
        let addresses = try Self.resolve(host)
        guard !addresses.isEmpty else { throw Refusal(description: "the host \(host) does not resolve") }
        if !allowed, let bad = addresses.first(where: { !Self.isPublic($0) }) {
            throw Refusal(description: "the host \(host) resolves to a private, loopback or link-local address (\(bad.text)); list it in GS_WEBHOOK_ALLOWED_HOSTS to allow it")
        }
        if Self.isNumeric(host) { return [] }
        return ["\(url.host!):\(port):" + addresses.map { $0.isV6 ? "[\($0.text)]" : $0.text }.joined(separator: ",")]
    }

    struct Address { var bytes: [UInt8]; var text: String; var isV6: Bool { bytes.count == 16 } }

    static func isNumeric(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func resolve(_ host: String) throws -> [Address] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        guard rc == 0, let first = result else { throw Refusal(description: "the host \(host) does not resolve") }
        defer { freeaddrinfo(first) }
        var out: [Address] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let ai = p {
            if ai.pointee.ai_family == AF_INET, let sa = ai.pointee.ai_addr {
                var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                let bytes = withUnsafeBytes(of: &a) { Array($0) }
                var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
                out.append(Address(bytes: bytes, text: String(cString: buf)))
            } else if ai.pointee.ai_family == AF_INET6, let sa = ai.pointee.ai_addr {
                var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                let bytes = withUnsafeBytes(of: &a) { Array($0) }
                var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                out.append(Address(bytes: bytes, text: String(cString: buf)))
            }
            p = ai.pointee.ai_next
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.text).inserted }
    }

    /// Not private, loopback, link-local, unspecified, shared (CGNAT), multicast or reserved.
    static func isPublic(_ a: Address) -> Bool {
        let b = a.bytes
        if b.count == 4 { return isPublicV4(b) }
        guard b.count == 16 else { return false }
        if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF { return isPublicV4(Array(b[12...])) }  // ::ffff:a.b.c.d
        if b.allSatisfy({ $0 == 0 }) { return false }                                   // ::
        if b[0..<15].allSatisfy({ $0 == 0 }), b[15] == 1 { return false }               // ::1
        if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return false }                           // fe80::/10
        if b[0] & 0xFE == 0xFC { return false }                                         // fc00::/7
        if b[0] == 0xFF { return false }                                                // multicast
        if b[0..<12].allSatisfy({ $0 == 0 }) { return false }                           // ::a.b.c.d (deprecated)
        return true
    }

    static func isPublicV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return false
        case (100, 64...127): return false
        case (169, 254): return false
        case (172, 16...31): return false
        case (192, 168): return false
        case (192, 0) where b[2] == 0: return false
        case (198, 18...19): return false
        default: return b[0] < 224
        }
    }
}
