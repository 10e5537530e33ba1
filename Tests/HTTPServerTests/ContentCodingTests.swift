import Foundation
@testable import HTTPServer
import Testing

/// gzip through zlib, and reading `Accept-Encoding` as RFC 9110 §12.5.3 says.
@Suite struct ContentCodingTests {
    @Test func gzipRoundTripsAndShrinksJSON() throws {
        let json = Array(String(repeating: #"{"layer":"liquidity","passed":true,"detail":"average dollar volume $3.8M"},"#, count: 400).utf8)
        let packed = try #require(Gzip.compress(json))
        #expect(packed.count < json.count / 10)
        #expect(packed.prefix(2) == [0x1f, 0x8b])   // a gzip member, not raw deflate
        #expect(Gzip.decompress(packed) == json)
        #expect(Gzip.decompress(Gzip.compress([], level: 1) ?? [0]) == [])
        // Not gzip, truncated, or larger than allowed: nil, never a crash.
        #expect(Gzip.decompress(Array("plain text".utf8)) == nil)
        #expect(Gzip.decompress(Array(packed.prefix(packed.count / 2))) == nil)
        #expect(Gzip.decompress(packed, limit: 100) == nil)
    }

    /// The byte-wise reading of `Accept-Encoding` agrees with a plain one by Characters on random headers
    /// of codings, weights, spaces and stray separators.
    @Test func acceptEncodingAgreesWithAPlainReading() {
        func plain(_ header: String) -> Bool {
            func trim(_ s: Substring) -> Substring { s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed().reduce(into: Substring()) { $0.append($1) } }
            var named: Bool?, wildcard: Bool?
            for item in header.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = item.split(separator: ";", omittingEmptySubsequences: false)
                let coding = trim(parts[0]).lowercased()
                var allowed = true
                for parameter in parts.dropFirst() {
                    let p = trim(parameter)
                    guard p.count > 2, p.first == "q" || p.first == "Q", p[p.index(after: p.startIndex)] == "=" else { continue }
                    allowed = (Double(p.dropFirst(2)) ?? 0) > 0
                }
                if coding == "gzip" || coding == "x-gzip" { named = allowed } else if coding == "*" { wildcard = allowed }
            }
            return named ?? wildcard ?? false
        }
        let parts = ["gzip", "GZip", "x-gzip", "*", "br", "deflate", ",", ";", " ", "\t", "q=0", "Q=0.5", "q=1", "q=", "q=x", "=", "gz"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let h = (0..<Int.random(in: 0...10, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined()
            #expect(Gzip.accepted(h) == plain(h), "\(h)")
        }
    }

    @Test func acceptEncodingIsReadWithWeights() {
        #expect(Gzip.accepted("gzip"))
        #expect(Gzip.accepted("gzip, deflate, br"))
        #expect(Gzip.accepted("br;q=1.0, GZIP;q=0.5"))
        #expect(Gzip.accepted("x-gzip"))
        #expect(Gzip.accepted("*"))
        #expect(Gzip.accepted("deflate, *;q=0.1"))
        #expect(!Gzip.accepted("identity"))
        #expect(!Gzip.accepted("deflate, br"))
        #expect(!Gzip.accepted("gzip;q=0"))
        #expect(!Gzip.accepted("gzip; q=0.000"))
        #expect(Gzip.accepted(" ,, GzIp ;\tQ=0.5 , br"))
        #expect(!Gzip.accepted("gzip;q=0, *"))
        #expect(Gzip.accepted("x-gzip;q=0, gzip"))
        #expect(!Gzip.accepted("gzipx, *;q=0, q=1"))
        #expect(!Gzip.accepted("*, gzip;q=0"))       // the named coding wins over the wildcard
        #expect(Gzip.accepted("*;q=0, gzip"))
        #expect(!Gzip.accepted(""))
        #expect(!Gzip.accepted("gzip;q=nonsense"))
        #expect(!Gzip.accepted(Request(method: .GET, target: "/")))
    }
}

extension Gzip {
    static func accepted(_ request: Request) -> Bool { accepted(by: request) }
}
