import Foundation
import GoldenSignals
import HTTPClient
import Postgres
import Testing

/// Bad input gets 400 (or 413/422), never 500 — through the running service and its database.
@Suite(.serialized) struct HardeningAPITests {
    static func fields(_ r: HTTPClientResponse) -> Set<String> {
        Set((r.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
    }

    /// A cursor as the service encodes them (base64url, no padding) around any text.
    static func cursor(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func bar(_ ts: String) -> String { #"{"timestamp":"\#(ts)","open":1,"high":2,"low":0.5,"close":1.5,"volume":10}"# }

    @Test func aSymbolWithAnEncodedSlashIsRoutedAsOneSegment() throws {
        let s = try TestService(label: "slash")
        let created = try s.postJSON("/api/v1/symbols", #"{"symbol":"BTC/USD","asset_class":"crypto"}"#)
        #expect(created.status == 201, "\(created.text)")
        #expect(created.header("Location") == "/api/v1/symbols/BTC%2FUSD")
        let one = try s.get("/api/v1/symbols/BTC%2FUSD")
        #expect(one.status == 200, "\(one.text)")
        #expect(one.json["symbol"] as? String == "BTC/USD")
        let up = try s.postJSON("/api/v1/market-data/btc%2Fusd/bars", #"{"bars":[\#(Self.bar("2024-01-02T00:00:00Z"))]}"#)
        #expect(up.status == 200, "\(up.text)")
        let page = try s.get("/api/v1/market-data/BTC%2FUSD")
        #expect((page.json["bars"] as? [Any])?.count == 1)
        // Unencoded, the slash separates segments: no such route.
        #expect(try s.get("/api/v1/symbols/BTC/USD").status == 404)
    }

    @Test func yearsOutsideOneToNineThousandNineHundredNinetyNineAre400() throws {
        let s = try TestService(label: "years")
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"YR","asset_class":"equity"}"#).status == 201)
        for (query, field) in [("from=0000-01-01", "from"), ("to=999999999999", "to"), ("from=0001-01-01T00:00:00%2B00:01", "from")] {
            let r = try s.get("/api/v1/market-data/YR?\(query)")
            #expect(r.status == 400, "\(query): \(r.text)")
            #expect(Self.fields(r) == [field], "\(query)")
        }
        #expect(try s.get("/api/v1/market-data/YR?from=0001-01-01&to=9999-12-31T23:59:59Z").status == 200)
        #expect(try s.get("/api/v1/signals?since=0000-12-31").status == 400)
        // In a body, a bar in year 0 is a rejected row; the good one is stored.
        let up = try s.postJSON("/api/v1/market-data/YR/bars", #"{"bars":[\#(Self.bar("0000-06-01T00:00:00Z")),\#(Self.bar("2024-01-02T00:00:00Z"))]}"#)
        #expect(up.status == 200, "\(up.text)")
        #expect(up.json["inserted"] as? Int == 1)
        #expect((up.json["rejected"] as? [[String: Any]])?.first?["row"] as? Int == 1)
    }

    @Test func forgedAndOversizedCursorsAre400() throws {
        let s = try TestService(label: "cursors")
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"CUR","asset_class":"equity"}"#).status == 201)
        let cases = [
            "/api/v1/symbols?cursor=\(Self.cursor("s1:x' OR 1=1 --"))",            // not a ticker
            "/api/v1/quality?cursor=\(Self.cursor("c1:-5"))",                       // a negative offset
            "/api/v1/quality?cursor=\(Self.cursor("c1:9223372036854775807"))",      // offset + limit would overflow
            "/api/v1/market-data/CUR?cursor=\(Self.cursor("c1:999999999999999"))",  // a time beyond year 9999
            "/api/v1/market-data/CUR?cursor=" + String(repeating: "A", count: 200), // oversized
            "/api/v1/market-data/CUR?cursor=YzE6MTA%3D",                            // padding / foreign alphabet
        ]
        for path in cases {
            let r = try s.get(path)
            #expect(r.status == 400, "\(path): \(r.status) \(r.text)")
            #expect(Self.fields(r) == ["cursor"], "\(path)")
        }
        // A cursor the service issued still works.
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"CUS","asset_class":"equity"}"#).status == 201)
        let first = try s.get("/api/v1/symbols?limit=1")
        let next = try #require(first.json["next_cursor"] as? String)
        #expect(try s.get("/api/v1/symbols?limit=1&cursor=\(next)").status == 200)
    }

    @Test func nulBytesInParametersAndBodiesAre400() throws {
        let s = try TestService(label: "nul")
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"NUL","asset_class":"equity"}"#).status == 201)
        let path = try s.get("/api/v1/symbols/NU%00L")
        #expect(path.status == 400)
        #expect(Self.fields(path) == ["symbol"])
        let query = try s.get("/api/v1/market-data/NUL?timeframe=1d%00")
        #expect(query.status == 400)
        #expect(Self.fields(query) == ["timeframe"])
        // libpq would cut the text at the NUL; PostgreSQL refuses it in text: never a 500.
        let escaped = try s.postJSON("/api/v1/symbols", #"{"symbol":"NUM","name":"a\u0000b","asset_class":"equity"}"#)
        #expect(escaped.status == 400, "\(escaped.text)")
        #expect(Self.fields(escaped) == ["body"])
        // An escaped backslash before u0000 is plain text.
        let literal = try s.postJSON("/api/v1/symbols", #"{"symbol":"NUN","name":"a\\u0000b","asset_class":"equity"}"#)
        #expect(literal.status == 201, "\(literal.text)")
        #expect(literal.json["name"] as? String == #"a\u0000b"#)
        let csv = try s.request("POST", "/api/v1/market-data/NUL/bars", body: "date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,1\u{0}0\n",
                                headers: [("Content-Type", "text/csv")])
        #expect(csv.status == 400, "\(csv.text)")
    }

    @Test func injectionPayloadsReachSQLOnlyAsData() throws {
        let s = try TestService(label: "inject")
        let name = "Robert'); DROP TABLE bars; --"
        let exchange = "' OR 1=1 --"
        let body = try JSONSerialization.data(withJSONObject: ["symbol": "INJ", "asset_class": "equity", "name": name, "exchange": exchange])
        let created = try s.postJSON("/api/v1/symbols", String(decoding: body, as: UTF8.self))
        #expect(created.status == 201, "\(created.text)")
        let back = try s.get("/api/v1/symbols/INJ")
        #expect(back.json["name"] as? String == name)
        #expect(back.json["exchange"] as? String == exchange)
        // The bars table is still there and still takes bars.
        let up = try s.postJSON("/api/v1/market-data/INJ/bars", #"{"bars":[\#(Self.bar("2024-01-02T00:00:00Z"))]}"#)
        #expect(up.status == 200, "\(up.text)")
        #expect(up.json["inserted"] as? Int == 1)
        // And only one symbol matched: the OR 1=1 selected nothing else.
        #expect((try s.get("/api/v1/symbols").json["symbols"] as? [Any])?.count == 1)
    }

    @Test func anUploadWhoseEveryRowIsRejectedIs422() throws {
        let s = try TestService(label: "allrej")
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"REJ","asset_class":"equity"}"#).status == 201)
        let json = try s.postJSON("/api/v1/market-data/REJ/bars", #"{"bars":[{"timestamp":"soon"},{"open":1}]}"#)
        #expect(json.status == 422, "\(json.text)")
        #expect(json.header("Content-Type") == "application/problem+json")
        #expect((json.json["errors"] as? [Any])?.count == 2)
        let csv = try s.request("POST", "/api/v1/market-data/REJ/bars", body: "date,open,high,low,close,volume\n2024-01-02,x,2,0.5,1.5,1\n",
                                headers: [("Content-Type", "text/csv")])
        #expect(csv.status == 422, "\(csv.text)")
        #expect(Self.fields(csv) == ["body"])
        #expect((try s.get("/api/v1/market-data/REJ").json["bars"] as? [Any])?.isEmpty == true)
    }

    @Test func theBarCapIsCheckedWhileReadingTheJSON() throws {
        let s = try TestService(label: "cap")
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"CAP","asset_class":"equity"}"#).status == 201)
        // 500,001 (empty) bars, then text that is not JSON at all: the cap answers before the parser gets there.
        var body = #"{"bars":["#
        body += String(repeating: "{},", count: 500_001)
        body += "this is not JSON"
        let r = try s.postJSON("/api/v1/market-data/CAP/bars", body)
        #expect(r.status == 413, "\(r.text.prefix(200))")
        #expect(r.text.contains("500000"))
    }

    @Test func theServiceAppliesItsConfiguredLimits() throws {
        let s = try TestService(label: "limits", environment: ["GS_HTTP_BODY_BUDGET_MB": "1", "GS_DB_STATEMENT_TIMEOUT": "0.5"])
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"BIG","asset_class":"equity"}"#).status == 201)
        // A 2 MiB body cannot fit a 1 MiB budget: 503 with Retry-After, before it is read.
        let big = try s.request("POST", "/api/v1/market-data/BIG/bars", body: String(repeating: " ", count: 2 << 20),
                                headers: [("Content-Type", "application/json")])
        #expect(big.status == 503, "\(big.text)")
        #expect(big.header("Retry-After") == "1")
        let setting = try s.app.pool.withConnection { try $0.query("SHOW statement_timeout").first?.decode(0, as: String.self) }
        #expect(setting == "500ms")
    }

    @Test func limitsAreReadFromTheEnvironment() throws {
        let l = try ServerLimits.fromEnvironment(["GS_HTTP_MAX_CONNECTIONS": "2000", "GS_HTTP_BODY_BUDGET_MB": "64",
                                                  "GS_HTTP_HANDLER_TIMEOUT": "5", "GS_DB_STATEMENT_TIMEOUT": "0"])
        #expect(l.maxConnections == 2_000 && l.bodyBudgetMiB == 64 && l.handlerTimeout == 5 && l.statementTimeout == 0)
        #expect(throws: ConfigurationError.self) { try ServerLimits.fromEnvironment(["GS_HTTP_MIN_BODY_RATE": "fast"]) }
        #expect(throws: ConfigurationError.self) { try ServerLimits.fromEnvironment(["GS_HTTP_BODY_TIMEOUT": "-1"]) }
    }
}
