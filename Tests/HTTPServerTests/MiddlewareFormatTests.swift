@testable import HTTPServer
import Testing

@Suite struct MiddlewareFormatTests {
    @Test func requestIDsAre32LowercaseHexDigits() {
        let ids = (0..<1_000).map { _ in RequestIDMiddleware.generate() }
        #expect(Set(ids).count == 1_000)
        for id in ids {
            #expect(id.utf8.count == 32)
            #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            #expect(RequestIDMiddleware.isAcceptable(id))
        }
    }

    @Test func accessLogDurationsHaveThreeDecimals() {
        #expect(AccessLogMiddleware.milliseconds(0) == "0.000")
        #expect(AccessLogMiddleware.milliseconds(5) == "0.005")
        #expect(AccessLogMiddleware.milliseconds(1_234) == "1.234")
        #expect(AccessLogMiddleware.milliseconds(120_050) == "120.050")
    }
}
