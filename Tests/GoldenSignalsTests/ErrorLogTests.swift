import Foundation
import GoldenSignals
import Testing

/// An unexpected failure answers a bare 500, and leaves its cause in the log and its status in the metrics.
@Suite struct ErrorLogTests {
    @Test func aFailedRequestLogsItsCauseWithTheRequestIDAndCountsAs500() throws {
        let records = LogRecords()
        let s = try TestService(label: "errlog", logger: records.logger)
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"ERR","asset_class":"equity"}"#).status == 201)
        // Break the schema under the running service: every bar query now fails in PostgreSQL.
        try s.app.pool.withConnection { try $0.execute("ALTER TABLE bars RENAME TO bars_elsewhere") }

        let r = try s.get("/api/v1/market-data/ERR?timeframe=1d", headers: [("X-Request-ID", "cause-test-1")])
        #expect(r.status == 500)
        #expect(!r.text.contains("bars"), "the client must not see SQL or server text: \(r.text)")

        let errors = records.all.filter { $0.level == .error }
        #expect(errors.count == 1)
        let cause = errors.first
        #expect(cause?.metadata["request_id"]?.description == "cause-test-1")
        #expect(cause?.message.contains("relation \"bars\" does not exist") == true, "\(cause?.message ?? "no error logged")")
        #expect(records.all.contains { $0.level == .info && $0.message == "GET /api/v1/market-data/ERR 500" })

        let metrics = try s.get("/metrics").text
        #expect(metrics.contains(#"gs_http_requests_total{method="GET",route="/api/v1/market-data/{symbol}",status="500"} 1"#))
    }
}
