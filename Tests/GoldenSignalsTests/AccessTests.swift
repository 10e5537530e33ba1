import Foundation
@testable import GoldenSignals
import HTTPClient
import Logging
import Testing

/// API keys, scopes and rate limits over real sockets.
@Suite struct AccessTests {
    @Test func keysAreRequiredAndScopesChecked() throws {
        let logs = LogRecords()
        let s = try TestService(label: "access", environment: ["GS_AUTH": "required"], logger: logs.logger)
        let read = try s.app.keys.create(NewAPIKey(name: "reader", scopes: [.read])).key
        let write = try s.app.keys.create(NewAPIKey(name: "writer", scopes: [.write])).key
        let admin = try s.app.keys.create(NewAPIKey(name: "admin", scopes: [.admin])).key
        var used = [read, write, admin]

        // Missing, malformed and wrong keys: 401 alike, with WWW-Authenticate, problem+json.
        let none = try s.get("/api/v1/symbols")
        #expect(none.status == 401)
        #expect(none.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(none.header("Content-Type") == "application/problem+json")
        let wrongSecret = String(read.prefix(16)) + String(repeating: "0", count: 64)
        let unknownID = "gs_000000000000_" + String(read.suffix(64))
        let bad1 = try s.get("/api/v1/symbols", headers: [("Authorization", "Bearer \(wrongSecret)")])
        let bad2 = try s.get("/api/v1/symbols", headers: [("Authorization", "Bearer \(unknownID)")])
        let bad3 = try s.get("/api/v1/symbols", headers: [("X-API-Key", "nonsense")])
        // Another scheme is not a key, even with a valid key beside it in X-API-Key (Authorization decides).
        let bad4 = try s.get("/api/v1/symbols", headers: [("Authorization", "Basic \(read)"), ("X-API-Key", read)])
        let bad5 = try s.get("/api/v1/symbols", headers: [("Authorization", "Bearer")])
        for r in [bad1, bad2, bad3, bad4, bad5] {
            #expect(r.status == 401)
            #expect(r.header("WWW-Authenticate") != nil)
        }
        #expect(bad1.json["detail"] as? String == bad2.json["detail"] as? String)

        // Scopes: read for GET, write for generate, admin for symbols and keys.
        let ok = try s.get("/api/v1/symbols", headers: [("Authorization", "Bearer \(read)")])
        #expect(ok.status == 200)
        #expect(ok.header("RateLimit-Policy") == "\"default\";q=100;w=2")
        #expect(ok.header("RateLimit")?.hasPrefix("\"default\";r=99;t=") == true)
        let viaHeader = try s.get("/api/v1/symbols", headers: [("X-API-Key", write)])
        #expect(viaHeader.status == 200)
        // The scheme's case and the spaces around the key do not matter (RFC 9110: the scheme is case-insensitive).
        #expect(try s.get("/api/v1/symbols", headers: [("Authorization", "bEARER   \(read)\t")]).status == 200)
        let generate = try s.request("POST", "/api/v1/signals/generate", body: "{}",
                                     headers: [("Authorization", "Bearer \(read)"), ("Content-Type", "application/json")])
        #expect(generate.status == 403)
        #expect((generate.json["detail"] as? String)?.contains("write") == true)
        #expect(generate.header("Content-Type") == "application/problem+json")
        let symbol = #"{"symbol":"ACME","asset_class":"equity"}"#
        let byWriter = try s.request("POST", "/api/v1/symbols", body: symbol,
                                     headers: [("Authorization", "Bearer \(write)"), ("Content-Type", "application/json")])
        #expect(byWriter.status == 403)
        #expect((byWriter.json["detail"] as? String)?.contains("admin") == true)
        let byAdmin = try s.request("POST", "/api/v1/symbols", body: symbol,
                                    headers: [("Authorization", "Bearer \(admin)"), ("Content-Type", "application/json")])
        #expect(byAdmin.status == 201)
        #expect(try s.get("/api/v1/keys", headers: [("Authorization", "Bearer \(write)")]).status == 403)

        // Keys through the API: created once with the secret, listed without, revoked.
        let created = try s.request("POST", "/api/v1/keys", body: #"{"name":"bot","scopes":["read"],"rate":5,"burst":10}"#,
                                    headers: [("Authorization", "Bearer \(admin)"), ("Content-Type", "application/json")])
        #expect(created.status == 201)
        let newKey = try #require(created.json["key"] as? String)
        let newID = try #require(created.json["id"] as? String)
        used.append(newKey)
        #expect(newKey.hasPrefix("gs_\(newID)_"))
        let withNew = try s.get("/api/v1/symbols", headers: [("Authorization", "Bearer \(newKey)")])
        #expect(withNew.status == 200)
        #expect(withNew.header("RateLimit-Policy") == "\"default\";q=10;w=2")
        let listed = try s.get("/api/v1/keys", headers: [("Authorization", "Bearer \(admin)")])
        #expect(listed.status == 200)
        #expect((listed.json["keys"] as? [[String: Any]])?.count == 4)
        for k in used { #expect(!listed.text.contains(String(k.suffix(64)))) }
        #expect(try s.request("DELETE", "/api/v1/keys/\(newID)", headers: [("Authorization", "Bearer \(admin)")]).status == 204)
        #expect(try s.get("/api/v1/symbols", headers: [("Authorization", "Bearer \(newKey)")]).status == 401)

        // Probes stay open.
        #expect(try s.get("/health/live").status == 200)
        #expect(try s.get("/metrics").status == 200)

        // last_used_at is kept.
        try s.app.keyVerifier.flush()
        let keys = try s.app.keys.list()
        #expect(keys.first { $0.name == "reader" }?.lastUsedAt != nil)
        #expect(keys.first { $0.name == "bot" }?.revokedAt != nil)

        // Secrets never reach logs, metrics or health.
        let metrics = try s.get("/metrics").text + (try s.get("/health").text)
        let logText = logs.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!logText.isEmpty)
        for k in used {
            let secret = String(k.suffix(64))
            #expect(!logText.contains(secret), "a key's secret reached the log")
            #expect(!metrics.contains(secret))
        }
    }

    @Test func loopbackIsOpenByDefaultAndOtherAddressesRequireKeys() throws {
        let s = try TestService(label: "access_open")
        #expect(try s.get("/api/v1/symbols").status == 200)
        var settings = AccessSettings()
        #expect(!settings.required(host: "127.0.0.1"))
        #expect(!settings.required(host: "localhost"))
        #expect(settings.required(host: "0.0.0.0"))
        #expect(settings.required(host: "10.1.2.3"))
        settings.mode = .off
        #expect(!settings.required(host: "0.0.0.0"))
        settings.mode = .required
        #expect(settings.required(host: "127.0.0.1"))
        #expect(throws: ConfigurationError.self) { try AccessSettings.fromEnvironment(["GS_AUTH": "maybe"]) }
        #expect(AccessSettings.parseRate("600/m") == 10)
    }

    @Test func overTheRateLimitIs429WithRetryAfter() throws {
        let s = try TestService(label: "access_rate", environment: ["GS_AUTH": "required", "GS_ANON_RATE": "1/s", "GS_ANON_BURST": "2"])
        let key = try s.app.keys.create(NewAPIKey(name: "slow", scopes: [.read], rate: 0.5, burst: 3)).key
        let auth = [("Authorization", "Bearer \(key)")]
        for i in 0..<3 {
            let r = try s.get("/api/v1/symbols", headers: auth)
            #expect(r.status == 200)
            #expect(r.header("RateLimit")?.hasPrefix("\"default\";r=\(2 - i);") == true)
        }
        let refused = try s.get("/api/v1/symbols", headers: auth)
        #expect(refused.status == 429)
        #expect(Int(refused.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(refused.header("RateLimit-Policy") == "\"default\";q=3;w=6")
        #expect(refused.header("RateLimit")?.hasPrefix("\"default\";r=0;t=") == true)
        #expect(refused.header("Content-Type") == "application/problem+json")
        // Probes are not limited.
        for _ in 0..<5 { #expect(try s.get("/health/live").status == 200) }

        // Anonymous clients, per address, when auth is optional.
        let open = try TestService(label: "access_anon", environment: ["GS_ANON_RATE": "1/s", "GS_ANON_BURST": "2"])
        #expect(try open.get("/api/v1/symbols").status == 200)
        #expect(try open.get("/api/v1/symbols").status == 200)
        let third = try open.get("/api/v1/symbols")
        #expect(third.status == 429)
        #expect(third.header("Retry-After") == "1")
    }

    @Test func tokenBucketRefills() {
        let limiter = RateLimiter()
        #expect(limiter.take("k", rate: 2, burst: 2, now: 100).allowed)
        #expect(limiter.take("k", rate: 2, burst: 2, now: 100).allowed)
        let refused = limiter.take("k", rate: 2, burst: 2, now: 100)
        #expect(!refused.allowed && refused.reset == 1)
        #expect(limiter.take("k", rate: 2, burst: 2, now: 100.5).allowed)
        #expect(Crypto.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(Crypto.hex(Crypto.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// A key's bucket (GCRA on one atomic): the burst at once, then one token per 1/rate seconds;
    /// threads racing for it never get more than it holds.
    @Test func keyBucketsHoldTheirBurstUnderConcurrency() async {
        let u = KeyUsage()
        let t0: Int64 = 1_000_000_000_000
        let cell = KeyUsage.cell(rate: 0.5, burst: 3)
        for i in 0..<3 {
            let d = u.take(cell, now: t0)
            #expect(d.allowed && d.remaining == 2 - i)
        }
        let refused = u.take(cell, now: t0)
        #expect(!refused.allowed && refused.remaining == 0 && refused.reset == 2)
        #expect(u.take(cell, now: t0 + 2_000_000_000).allowed)   // one token back after 2 s
        #expect(!u.take(cell, now: t0 + 2_000_000_000).allowed)
        let full = u.take(cell, now: t0 + 60_000_000_000)       // idle for long: full again
        #expect(full.allowed && full.remaining == 2)

        // Rates and bursts at the ends of what a key may be given never overflow the bucket's arithmetic.
        for (rate, burst) in [(1e-300, 10_000_000), (1e-6, 1), (1_000_000.0, 10_000_000), (Double.leastNonzeroMagnitude, 2)] {
            let edge = KeyUsage(), edgeCell = KeyUsage.cell(rate: rate, burst: burst)
            #expect(edge.take(edgeCell, now: t0).allowed)
            for _ in 0..<3 { _ = edge.take(edgeCell, now: t0) }
            _ = edge.take(edgeCell, now: Int64.max / 4)
        }

        let shared = KeyUsage(), sharedCell = KeyUsage.cell(rate: 0.001, burst: 100)
        let now = monotonicNanoseconds()
        let allowed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<1_000).reduce(0) { n, _ in n + (shared.take(sharedCell, now: now).allowed ? 1 : 0) } }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 100)
    }

    @Test func presentedKeysAreParsedStrictly() throws {
        let id = "0123456789ab", secret = String(repeating: "0f", count: 32)
        let key = try #require(PresentedKey("gs_\(id)_\(secret)"))
        #expect(key.id == id && key.idBits == 0x0123456789ab)
        #expect(key.secret.bytes == Array(secret.utf8))
        #expect(key.secret.equals(try #require(PresentedKey("gs_ffffffffffff_\(secret)")).secret))
        #expect(!key.secret.equals(try #require(PresentedKey("gs_\(id)_\(String(secret.dropLast()))e")).secret))
        for bad in ["gs_\(id)_\(secret)0", "gs_\(id)-\(secret)", "GS_\(id)_\(secret)", "gs_0123456789AB_\(secret)",
                    "gs_\(id)_\(String(secret.dropLast()))g", "gs_\(id)_\(String(secret.dropLast()))é", ""] {
            #expect(PresentedKey(bad) == nil, "\(bad)")
        }
    }

    /// Every byte value at every position of the id and the secret: accepted exactly where it is a
    /// lower-case hex digit, and the id read right wherever the digit stands.
    @Test func everyByteOfAKeyIsCheckedAtEveryPosition() throws {
        let valid = Array("gs_0123456789ab_\(String(repeating: "0f1e2d3c4b5a6978", count: 4))".utf8)
        let hexDigits = Set("0123456789abcdef".utf8)
        var wrong: [String] = []
        for position in Array(3..<15) + Array(16..<80) {
            for byte in 0...255 {
                var text = valid
                text[position] = UInt8(byte)
                let key = text.withUnsafeBufferPointer { PresentedKey(utf8: $0) }
                let expected = hexDigits.contains(UInt8(byte))
                if (key != nil) != expected { wrong.append("byte \(byte) at \(position)") }
                guard let key, position < 15 else { continue }
                let id = String(decoding: text[3..<15], as: UTF8.self)
                if key.idBits != UInt64(id, radix: 16) || key.id != id { wrong.append("id \(id) read as \(key.id)") }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }
}
