import Foundation
@testable import GoldenSignals
import HTTPClient
import Market
import Testing

/// Every route of openapi.yaml, walked without a key, with a read key, a write key and an admin key:
/// 401, 403 or success exactly as each operation's `security` declares.
@Suite struct SecurityWalkTests {
    /// `METHOD /path` → the scope its `security` names (nil: `security: []`, open); the spec's
    /// top-level default (read) for an operation without its own.
    static func specScopes() throws -> [String: Scope?] {
        let text = try String(contentsOfFile: Paths.openAPI, encoding: .utf8)
        var out: [String: Scope?] = [:]
        var inPaths = false
        var path: String?
        var op: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if let path, let m = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }) {
                op = "\(m.uppercased()) \(path)"
                out[op!] = .some(.read)
                continue
            }
            if let op, line.hasPrefix("      security:") {
                let value = line.dropFirst("      security:".count).trimmingCharacters(in: .whitespaces)
                if value == "[]" { out[op] = .some(nil); continue }
                let scope = Scope.allCases.first { value.contains("bearerAuth: [\($0.rawValue)]") }
                out[op] = .some(scope)
            }
        }
        return out
    }

    @Test func everyRouteAnswersAsItsSecurityDeclares() throws {
        let scopes = try Self.specScopes()
        #expect(scopes.count >= 30)
        let receiver = try WebhookReceiver()
        let s = try TestService(label: "walk", environment: ["GS_AUTH": "required", "GS_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                                                                 "GS_BACKTEST_WORKERS": "0"])  // runs stay queued, so DELETE may cancel them
        // Every route must be in the spec with a scope (compared both ways by OpenAPIRoutesTests).
        let served = Set(s.app.makeRouter().routes.map { "\($0.method.rawValue) \($0.pattern)" })
        #expect(served == Set(scopes.keys), "router and spec differ: \(served.symmetricDifference(Set(scopes.keys)).sorted())")
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_MSFT.csv"), symbol: NewSymbol(symbol: "MSFT", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        let signalID = try s.app.pool.withConnection { try $0.query("SELECT id::text FROM signals WHERE published LIMIT 1", [])[0].decode(0, as: String.self) }
        var keys: [Scope: (id: String, key: String)] = [:]
        for scope in Scope.allCases {
            let (record, key) = try s.app.keys.create(NewAPIKey(name: "walk-\(scope.rawValue)", scopes: [scope], rate: 10_000, burst: 10_000))
            keys[scope] = (record.id, key)
        }
        var counter = 0
        /// The path with its parameters filled in for a caller (`owner`: its key id).
        func concrete(_ method: String, _ pattern: String, owner: String?) throws -> String {
            var path = pattern.replacingOccurrences(of: "{symbol}", with: "MSFT")
            if pattern.hasPrefix("/api/v1/signals/") { path = path.replacingOccurrences(of: "{id}", with: signalID) }
            if pattern.hasPrefix("/api/v1/webhooks/") {
                let hook = try s.app.webhooks.create(WebhookSpec(url: receiver.url, events: ["signal.created"]), owner: owner).0
                path = path.replacingOccurrences(of: "{id}", with: hook.id)
            }
            if pattern.hasPrefix("/api/v1/backtests/") {
                let run = try s.app.backtests.store.create(config: #"{"symbols":["MSFT"],"timeframe":"1d"}"#, codeVersion: "walk", owner: owner)
                path = path.replacingOccurrences(of: "{id}", with: run.id)
            }
            if pattern.hasPrefix("/api/v1/datasets/") { path += "?symbols=MSFT&min_quality=0" }
            if pattern.hasPrefix("/api/v1/keys/") {
                path = path.replacingOccurrences(of: "{id}", with: try s.app.keys.create(NewAPIKey(name: "victim", scopes: [.read])).record.id)
            }
            return path
        }
        func body(_ method: String, _ pattern: String) -> String? {
            counter += 1
            switch (method, pattern) {
            case ("POST", "/api/v1/symbols"): return #"{"symbol":"WALK\#(counter)","asset_class":"equity"}"#
            case ("POST", "/api/v1/market-data/{symbol}/bars"):
                return #"{"bars":[{"timestamp":\#(1_900_000_000 + counter * 86_400),"open":10,"high":11,"low":9.5,"close":10.6,"volume":1000}]}"#
            case ("POST", "/api/v1/signals/generate"): return #"{"symbols":["MSFT"]}"#
            case ("POST", "/api/v1/signals/{id}/outcome"): return #"{"result":"win","exit_price":250,"closed_at":"2021-01-04T00:00:00Z"}"#
            case ("POST", "/api/v1/keys"): return #"{"name":"walk","scopes":["read"]}"#
            case ("POST", "/api/v1/backtests"): return #"{"symbols":["MSFT"],"timeframe":"1d"}"#
            case ("POST", "/api/v1/webhooks"): return #"{"url":"\#(receiver.url)","events":["signal.created"]}"#
            case ("PATCH", _): return #"{"enabled":true}"#
            default: return nil
            }
        }
        for (op, required) in scopes.sorted(by: { $0.key < $1.key }) {
            let parts = op.split(separator: " ", maxSplits: 1).map(String.init)
            let (method, pattern) = (parts[0], parts[1])
            for caller in [Scope?.none, .read, .write, .admin] {
                let key = caller.flatMap { keys[$0] }
                let path = try concrete(method, pattern, owner: key?.id)
                var headers = [("Content-Type", "application/json"), ("Idempotency-Key", "walk-\(counter)")]
                if let key { headers.append(("Authorization", "Bearer \(key.key)")) }
                let who = caller?.rawValue ?? "no key"
                let expected: String
                if let required {
                    if let caller { expected = caller >= required ? "success" : "403" } else { expected = "401" }
                } else { expected = "success" }
                let status: Int
                if pattern == "/api/v1/signals/stream", expected == "success" {
                    let client = try SSEClient(port: s.port, path: path, headers: headers.filter { $0.0 != "Content-Type" })
                    status = client.waitForHead()
                } else {
                    status = try s.request(method, path, body: body(method, pattern), headers: headers).status
                }
                switch expected {
                case "401": #expect(status == 401, "\(op) with \(who): \(status), expected 401")
                case "403": #expect(status == 403, "\(op) with \(who): \(status), expected 403")
                default: #expect((200..<300).contains(status), "\(op) with \(who): \(status), expected 2xx")
                }
            }
        }
    }
}
