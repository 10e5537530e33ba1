import Foundation
import GoldenSignals
import HTTPServer
import Logging
import Testing

/// The buffered access log: batched, flushed on a timer, on demand, and at once for errors.
@Suite struct BufferedLogTests {
    /// A temporary file and its descriptor.
    static func tempFile() throws -> (String, Int32) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gs-log-\(UUID().uuidString)").path
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        #expect(fd >= 0)
        return (path, fd)
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func linesWaitForAFlushAndNoneIsLost() throws {
        let (path, fd) = try Self.tempFile()
        defer { close(fd); unlink(path) }
        let buffer = LogBuffer(fd: fd, flushInterval: 0)  // no timer: only explicit flushes
        let logger = Logger(label: "access") { BufferedLogHandler(label: $0, format: .text, buffer: buffer) }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for i in 0..<2_500 { logger.info("GET /health/live 200", metadata: ["n": "\(t)-\(i)"]) }
        }
        #expect(Self.lines(path).isEmpty)
        buffer.flush()
        let lines = Self.lines(path)
        #expect(lines.count == 10_000)
        #expect(Set(lines.compactMap { $0.split(separator: " ").first { $0.hasPrefix("n=") } }).count == 10_000)
        #expect(lines.first?.contains(" info access : n=") == true)
        // The timestamp is UTC now, to the millisecond.
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let stamp = lines.first.flatMap { $0.split(separator: " ").first }.flatMap { iso.date(from: String($0)) }
        #expect(stamp.map { abs($0.timeIntervalSinceNow) < 60 } == true, "\(lines.first ?? "")")
        #expect(lines.first?.hasSuffix("] GET /health/live 200") == true, "\(lines.first ?? "")")
    }

    @Test func aLineBreakInAMessageOrMetadataCannotForgeALine() throws {
        let (path, fd) = try Self.tempFile()
        defer { close(fd); unlink(path) }
        let buffer = LogBuffer(fd: fd, flushInterval: 0)
        let logger = Logger(label: "access") { BufferedLogHandler(label: $0, format: .text, buffer: buffer) }
        logger.info("GET /x\n2026-01-01T00:00:00.000Z info access : [GoldenSignals] forged 200", metadata: ["path": "/a\r\nb"])
        buffer.flush()
        let lines = Self.lines(path)
        #expect(lines.count == 1)
        #expect(lines.first?.contains(#"path=/a\r\nb"#) == true, "\(lines)")
        #expect(lines.first?.hasSuffix(#"] GET /x\n2026-01-01T00:00:00.000Z info access : [GoldenSignals] forged 200"#) == true)
    }

    /// The access middleware's direct line (no message string or metadata dictionary per request) is the
    /// line the general path writes for the same message and metadata, line-break escaping included; JSON
    /// lines take the general path.
    @Test func theAccessLineIsTheLineLoggerInfoWrites() throws {
        let (path, fd) = try Self.tempFile()
        defer { close(fd); unlink(path) }
        let buffer = LogBuffer(fd: fd, flushInterval: 0)
        let text = BufferedLogHandler(label: "access", format: .text, buffer: buffer)
        let logger = Logger(label: "access") { _ in text }
        for (rawPath, status, micros) in [("/api/v1/signals?x=1", 304, 1_234), ("/a\r\nforged", 404, 5), ("/", 200, 120_050_000)] {
            #expect(text.writeAccessLine(method: "GET", rawPath: rawPath, status: status, micros: micros,
                                         requestID: "0123abcd", remote: "127.0.0.1:5000"))
            logger.info("GET \(rawPath) \(status)", metadata: [
                "duration_ms": .string(AccessLogMiddleware.milliseconds(micros)),
                "request_id": "0123abcd", "remote": "127.0.0.1:5000",
            ], source: "HTTPServer")
        }
        buffer.flush()
        let lines = Self.lines(path).map { $0.drop { $0 != " " } }   // without the timestamps
        #expect(lines.count == 6)
        for i in stride(from: 0, to: lines.count - 1, by: 2) { #expect(lines[i] == lines[i + 1]) }
        #expect(lines.first == " info access : duration_ms=1.234 remote=127.0.0.1:5000 request_id=0123abcd [HTTPServer] GET /api/v1/signals?x=1 304")
        #expect(lines[2].hasSuffix(#"GET /a\r\nforged 404"#))
        #expect(lines[4].contains("duration_ms=120050.000 "))
        let json = BufferedLogHandler(label: "access", format: .json, buffer: buffer)
        #expect(!json.writeAccessLine(method: "GET", rawPath: "/", status: 200, micros: 1, requestID: "r", remote: "a"))
        var quiet = text
        quiet.logLevel = .warning
        #expect(!quiet.writeAccessLine(method: "GET", rawPath: "/", status: 200, micros: 1, requestID: "r", remote: "a"))
    }

    /// A CR or LF at any position of a line (the check reads eight bytes at a time) is escaped, and a
    /// line without one is written as it is.
    @Test func aLineBreakAnywhereIsEscaped() throws {
        let (path, fd) = try Self.tempFile()
        defer { close(fd); unlink(path) }
        let buffer = LogBuffer(fd: fd, flushInterval: 0)
        let logger = Logger(label: "t") { BufferedLogHandler(label: $0, format: .text, buffer: buffer) }
        var expected: [String] = []
        for length in [1, 7, 8, 9, 31, 64] {
            for position in 0..<length {
                for (byte, escaped) in [("\n", #"\n"#), ("\r", #"\r"#), ("-", "-")] {
                    var message = Array(repeating: "x", count: length)
                    message[position] = byte
                    logger.info("\(message.joined())")
                    expected.append(message.joined().replacingOccurrences(of: byte, with: escaped))
                }
            }
        }
        buffer.flush()
        let lines = Self.lines(path)
        #expect(lines.count == expected.count)
        for (line, message) in zip(lines, expected) { #expect(line.hasSuffix("] " + message), "\(line)") }
    }

    @Test func theTimerFlushesAndErrorsAreWrittenAtOnce() throws {
        let (path, fd) = try Self.tempFile()
        defer { close(fd); unlink(path) }
        let buffer = LogBuffer(fd: fd, flushInterval: 0.05)
        buffer.start()
        let logger = Logger(label: "t") { BufferedLogHandler(label: $0, format: .json, buffer: buffer) }
        logger.info("one", metadata: ["quote": "a\"b"])
        var waited = 0.0
        while Self.lines(path).isEmpty, waited < 5 { Thread.sleep(forTimeInterval: 0.02); waited += 0.02 }
        let first = Self.lines(path)
        #expect(first.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(first[0].utf8)) as? [String: String]
        #expect(object?["message"] == "one" && object?["quote"] == "a\"b" && object?["level"] == "info" && object?["label"] == "t")

        let quiet = LogBuffer(fd: fd, flushInterval: 0)
        let errors = Logger(label: "e") { BufferedLogHandler(label: $0, format: .text, buffer: quiet) }
        errors.info("held")
        errors.error("written now")
        let after = Self.lines(path)
        #expect(after.count == 3 && after.last?.hasSuffix("written now") == true)
    }
}
