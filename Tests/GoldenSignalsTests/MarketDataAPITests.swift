import Foundation
import GoldenSignals
import HTTPClient
import Testing

@Suite struct MarketDataAPITests {
    static func createSymbol(_ s: TestService, _ symbol: String, _ assetClass: String = "equity") throws {
        let r = try s.postJSON("/api/v1/symbols", #"{"symbol":"\#(symbol)","name":"Test \#(symbol)","asset_class":"\#(assetClass)","exchange":"NYSE"}"#)
        #expect(r.status == 201, "\(r.text)")
        #expect(r.header("Location") == "/api/v1/symbols/\(symbol)")
    }

    @Test func symbolsAreCreatedValidatedAndPaged() throws {
        let s = try TestService(label: "symbols")
        try Self.createSymbol(s, "AAPL")
        let one = try s.get("/api/v1/symbols/aapl")
        #expect(one.status == 200)
        #expect(one.json["asset_class"] as? String == "equity")
        #expect(one.json["calendar"] as? String == "XNYS")
        #expect(one.json["time_zone"] as? String == "America/New_York")
        let btc = try s.postJSON("/api/v1/symbols", #"{"symbol":"BTC-USD","asset_class":"crypto"}"#)
        #expect(btc.json["calendar"] as? String == "24x7")
        #expect(btc.json["time_zone"] as? String == "UTC")
        #expect(try s.get("/api/v1/symbols/ZZZZ").status == 404)
        let dup = try s.postJSON("/api/v1/symbols", #"{"symbol":"aapl","asset_class":"equity"}"#)
        #expect(dup.status == 409)
        #expect(dup.header("Content-Type") == "application/problem+json")

        let bad = try s.postJSON("/api/v1/symbols", #"{"symbol":"bad symbol!","asset_class":"stonks","currency":"DOLLARS"}"#)
        #expect(bad.status == 422)
        let fields = (bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(Set(fields) == ["symbol", "asset_class", "currency"])

        let notJSON = try s.request("POST", "/api/v1/symbols", body: "{nope", headers: [("Content-Type", "application/json")])
        #expect(notJSON.status == 400)

        for t in ["MSFT", "PG", "JPM"] { try Self.createSymbol(s, t) }
        let first = try s.get("/api/v1/symbols?limit=3")
        let page1 = (first.json["symbols"] as? [[String: Any]] ?? []).compactMap { $0["symbol"] as? String }
        #expect(page1 == ["AAPL", "BTC-USD", "JPM"])
        let cursor = try #require(first.json["next_cursor"] as? String)
        let second = try s.get("/api/v1/symbols?limit=3&cursor=\(cursor)")
        #expect((second.json["symbols"] as? [[String: Any]] ?? []).compactMap { $0["symbol"] as? String } == ["MSFT", "PG"])
        #expect(second.json["next_cursor"] is NSNull)

        let badCursor = try s.get("/api/v1/symbols?cursor=%27%3B%20DROP%20TABLE%20symbols%3B--")
        #expect(badCursor.status == 400)
        #expect((badCursor.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "cursor")
        #expect(try s.app.symbols.count() == 5)
    }

    @Test func uploadsKeepGoodRowsAndAreIdempotent() throws {
        let s = try TestService(label: "upload")
        try Self.createSymbol(s, "TEST")
        let body = """
        {"bars":[
          {"timestamp":"2024-03-01T00:00:00Z","open":10,"high":11,"low":9.5,"close":10.5,"volume":1000},
          {"timestamp":"2024-03-04T00:00:00Z","open":10.5,"high":12,"low":10,"close":11.75,"volume":2500.5},
          {"timestamp":"2024-03-05T00:00:00Z","open":"x","high":12,"low":10,"close":11,"volume":1},
          {"timestamp":"not a time","open":1,"high":1,"low":1,"close":1,"volume":1},
          {"timestamp":"2024-03-06T00:00:00Z","open":11,"high":12,"low":10,"close":-1,"volume":1},
          {"timestamp":"2024-03-07T00:00:00Z","open":11,"high":10,"low":12,"close":11,"volume":1}
        ]}
        """
        let first = try s.postJSON("/api/v1/market-data/TEST/bars?timeframe=1d", body)
        #expect(first.status == 200, "\(first.text)")
        #expect(first.json["received"] as? Int == 6)
        #expect(first.json["inserted"] as? Int == 3)   // High < Low is kept for the quality report
        let rejected = first.json["rejected"] as? [[String: Any]] ?? []
        #expect(rejected.compactMap { $0["row"] as? Int } == [3, 4, 5])
        #expect((rejected.first?["reason"] as? String)?.contains("open") == true)

        let again = try s.postJSON("/api/v1/market-data/TEST/bars?timeframe=1d", body)
        #expect(again.json["inserted"] as? Int == 0)
        #expect(again.json["updated"] as? Int == 0)

        let revised = try s.postJSON("/api/v1/market-data/TEST/bars", #"{"bars":[{"timestamp":1709251200,"open":10,"high":11,"low":9.5,"close":10.6,"volume":1000}]}"#)
        #expect(revised.json["updated"] as? Int == 1)

        let got = try s.get("/api/v1/market-data/test?timeframe=1d")
        #expect(got.status == 200)
        #expect(got.json["source"] as? String == "upload")
        #expect(got.header("X-Data-Source") == "upload")
        let bars = got.json["bars"] as? [[String: Any]] ?? []
        #expect(bars.count == 3)
        #expect(bars.first?["timestamp"] as? String == "2024-03-01T00:00:00Z")
        #expect(bars.first?["close"] as? Double == 10.6)
        #expect(bars[1]["volume"] as? Double == 2500.5)
    }

    @Test func readsPageFilterEtagAndCSV() throws {
        let s = try TestService(label: "read")
        try Self.createSymbol(s, "PAGE")
        var items: [String] = []
        for i in 0..<25 {
            let ts = 1_704_067_200 + Int64(i) * 86_400
            items.append(#"{"timestamp":\#(ts),"open":\#(100 + i),"high":\#(101 + i),"low":\#(99 + i),"close":\#(Double(100 + i) + 0.25),"volume":\#(1000 * i)}"#)
        }
        let up = try s.postJSON("/api/v1/market-data/PAGE/bars", #"{"bars":[\#(items.joined(separator: ","))]}"#)
        #expect(up.json["inserted"] as? Int == 25)

        var seen: [String] = []
        var path = "/api/v1/market-data/PAGE?limit=10"
        for _ in 0..<5 {
            let r = try s.get(path)
            seen += (r.json["bars"] as? [[String: Any]] ?? []).compactMap { $0["timestamp"] as? String }
            guard let next = r.json["next_cursor"] as? String else { break }
            path = "/api/v1/market-data/PAGE?limit=10&cursor=\(next)"
        }
        #expect(seen.count == 25)
        #expect(seen == seen.sorted())

        let ranged = try s.get("/api/v1/market-data/PAGE?from=2024-01-05&to=2024-01-07")
        #expect((ranged.json["bars"] as? [[String: Any]])?.count == 3)

        let desc = try s.get("/api/v1/market-data/PAGE?order=desc&limit=1")
        #expect((desc.json["bars"] as? [[String: Any]])?.first?["timestamp"] as? String == "2024-01-25T00:00:00Z")

        let r = try s.get("/api/v1/market-data/PAGE")
        let etag = try #require(r.header("ETag"))
        let cached = try s.get("/api/v1/market-data/PAGE", headers: [("If-None-Match", etag)])
        #expect(cached.status == 304)
        #expect(cached.body.isEmpty)

        let csv = try s.get("/api/v1/market-data/PAGE?limit=2", headers: [("Accept", "text/csv")])
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.text == "timestamp,open,high,low,close,volume,source\n2024-01-01T00:00:00Z,100,101,99,100.25,0,upload\n2024-01-02T00:00:00Z,101,102,100,101.25,1000,upload\n")
        // A client that cannot set Accept asks with format=csv; format=json wins over Accept.
        let asked = try s.get("/api/v1/market-data/PAGE?limit=2&format=csv")
        #expect(asked.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(asked.text == csv.text)
        let json = try s.get("/api/v1/market-data/PAGE?limit=2&format=json", headers: [("Accept", "text/csv")])
        #expect(json.header("Content-Type") == "application/json")
        #expect(try s.get("/api/v1/market-data/PAGE?format=xml").status == 400)

        let empty = try s.get("/api/v1/market-data/PAGE?timeframe=1m")
        #expect((empty.json["bars"] as? [Any])?.isEmpty == true)
        #expect((empty.json["reason"] as? String)?.contains("no 1m bars") == true)
    }

    @Test func badParametersAreNamedAndUnknownSymbolsAre404() throws {
        let s = try TestService(label: "params")
        try Self.createSymbol(s, "PRM")
        let bad = try s.get("/api/v1/market-data/PRM?timeframe=2d&from=yesterday&limit=0")
        #expect(bad.status == 400)
        #expect(bad.header("Content-Type") == "application/problem+json")
        let fields = (bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(Set(fields) == ["timeframe", "from", "limit"])

        let tooMany = try s.get("/api/v1/market-data/PRM?limit=10001")
        #expect(tooMany.status == 400)

        let unknown = try s.get("/api/v1/market-data/NOPE")
        #expect(unknown.status == 404)

        let injection = try s.get("/api/v1/market-data/AAPL'%3B%20DROP%20TABLE%20bars%3B--")
        #expect(injection.status == 400)
        #expect(try s.app.symbols.find("PRM") != nil)

        let notJSON = try s.request("POST", "/api/v1/market-data/PRM/bars", body: "[1,2", headers: [("Content-Type", "application/json")])
        #expect(notJSON.status == 400)
        let emptyBars = try s.postJSON("/api/v1/market-data/PRM/bars", #"{"bars":[]}"#)
        #expect(emptyBars.status == 400)
    }

    @Test func csvUploadReportsRejectedLines() throws {
        let s = try TestService(label: "csvup")
        try Self.createSymbol(s, "CSVU")
        let csv = "Date,Open,High,Low,Close,Adj Close,Volume\r\n2020-01-02,1,2,0.5,1.5,1.5,100\r\n2020-01-03,null,null,null,null,null,null\r\n2020-01-06,1.5,2.5,1,2,2,200"
        let r = try s.request("POST", "/api/v1/market-data/CSVU/bars?timeframe=1d", body: csv, headers: [("Content-Type", "text/csv")])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["inserted"] as? Int == 2)
        #expect((r.json["rejected"] as? [[String: Any]])?.first?["row"] as? Int == 3)
        // The same file as the bytes of a file (what clients generated from the spec send) is read the same way.
        let revised = csv.replacingOccurrences(of: "2020-01-06,1.5,2.5,1,2,2,200", with: "2020-01-06,1.5,2.5,1,2.25,2.25,200")
        let asFile = try s.request("POST", "/api/v1/market-data/CSVU/bars?timeframe=1d", body: revised,
                                   headers: [("Content-Type", "application/octet-stream")])
        #expect(asFile.status == 200, "\(asFile.text)")
        #expect(asFile.json["unchanged"] as? Int == 1 && asFile.json["updated"] as? Int == 1)
    }
}
