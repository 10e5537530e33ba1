import Foundation
import Glibc
import Testing

@Suite struct HealthTests {
    /// A temporary folder holding a copy of the project's migrations.
    static func copyOfMigrations() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gs-migrations-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in try FileManager.default.contentsOfDirectory(atPath: Paths.migrations) {
            try FileManager.default.copyItem(atPath: Paths.migrations + "/" + f, toPath: dir + "/" + f)
        }
        return dir
    }

    @Test func probesReportAMigratedDatabase() throws {
        let service = try TestService(label: "health")
        let live = try service.get("/health/live")
        #expect(live.status == 200)
        let ready = try service.get("/health/ready")
        #expect(ready.status == 200, "\(ready.text)")
        let health = try service.get("/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        let checks = health.json["checks"] as? [String: Any]
        let db = checks?["database"] as? [String: Any]
        #expect(db?["status"] as? String == "up")
        let migrations = checks?["migrations"] as? [String: Any]
        #expect(migrations?["pending"] as? Int == 0)
        #expect((migrations?["applied"] as? Int ?? 0) >= 3)
        let providers = checks?["providers"] as? [String: Any]
        #expect(providers?["unconfigured"] is [String])
    }

    @Test func metricsAndSpecAreServed() throws {
        let service = try TestService(label: "metrics")
        _ = try service.get("/api/v1/symbols")
        let metrics = try service.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
        #expect(metrics.text.contains("gs_http_requests_total{method=\"GET\",route=\"/api/v1/symbols\",status=\"200\"} 1"))
        // A malformed request never reaches a route, but it is counted.
        let raw = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(service.port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(raw, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0)
        let bad = Array("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".utf8)
        _ = bad.withUnsafeBytes { send(raw, $0.baseAddress, $0.count, 0) }
        var reply = [UInt8](repeating: 0, count: 512)
        let n = recv(raw, &reply, reply.count, 0)
        close(raw)
        #expect(String(decoding: reply.prefix(max(0, n)), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        let after = try service.get("/metrics")
        #expect(after.text.contains("gs_http_rejected_requests_total{reason=\"malformed\"} 1"))

        let spec = try service.get("/openapi.yaml")
        #expect(spec.status == 200)
        #expect(spec.header("Content-Type") == "application/yaml")
        #expect(spec.text.hasPrefix("openapi: 3.1"))
        // The same document as text/yaml to a client that asks for that (generated clients read text/* as text).
        let text = try service.get("/openapi.yaml", headers: [("Accept", "text/yaml")])
        #expect(text.header("Content-Type") == "text/yaml")
        #expect(text.text == spec.text)
    }

    @Test func readinessFailsWhenAMigrationIsPending() throws {
        // Apply the real migrations, then point a service at a directory with one more file.
        let url = try TestDatabase.fresh("pending")
        defer { TestDatabase.drop(url) }
        _ = try TestService(label: "pending", databaseURL: url)
        let dir = try Self.copyOfMigrations()
        try "CREATE TABLE later_table (id int);".write(toFile: dir + "/9999_later.sql", atomically: true, encoding: .utf8)
        var config = GoldenSignals.AppConfiguration()
        config.databaseURL = url
        config.migrationsDirectory = dir
        config.openAPIPath = Paths.openAPI
        config.ingestInterval = 0
        let app = try GoldenSignals.Application(configuration: config, logger: .init(label: "t"), migrate: false)
        defer { app.close() }
        let port = try app.start(host: "127.0.0.1", port: 0)
        let client = HTTPClient()
        let ready = try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/ready"))
        #expect(ready.status == 503)
        #expect(ready.text.contains("1 migration(s) pending"))
        let health = try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"))
        #expect(health.json["status"] as? String == "degraded")
    }

    @Test func aChangedMigrationStopsStartWithTheFileNamed() throws {
        let url = try TestDatabase.fresh("drift")
        defer { TestDatabase.drop(url) }
        _ = try TestService(label: "drift", databaseURL: url)
        let dir = try Self.copyOfMigrations()
        let edited = dir + "/0002_market_data.sql"
        try (String(contentsOfFile: edited, encoding: .utf8) + "\n-- edited after it was applied\n").write(toFile: edited, atomically: true, encoding: .utf8)
        var config = GoldenSignals.AppConfiguration()
        config.databaseURL = url
        config.migrationsDirectory = dir
        config.ingestInterval = 0
        #expect {
            _ = try GoldenSignals.Application(configuration: config, logger: .init(label: "t"))
        } throws: { error in
            "\(error)".contains("0002_market_data.sql")
        }
    }
}
import GoldenSignals
import HTTPClient
