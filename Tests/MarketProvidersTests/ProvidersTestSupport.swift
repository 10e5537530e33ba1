import Foundation
import HTTPClient
import Testing
import Market
@testable import MarketProviders

/// Reads recorded provider bodies from `<repo>/../shared/provider-samples` (never copied into the repository).
enum ProviderSamples {
    static let directory: URL = {
        URL(fileURLWithPath: #filePath)            // <repo>/Tests/MarketProvidersTests/ProvidersTestSupport.swift
            .deletingLastPathComponent()           // MarketProvidersTests
            .deletingLastPathComponent()           // Tests
            .deletingLastPathComponent()           // <repo>
            .deletingLastPathComponent()           // parent of the checkout
            .appendingPathComponent("shared/provider-samples")
    }()

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func response(_ name: String, status: Int = 200, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        HTTPClientResponse(status: status, headers: headers, body: try bytes(name))
    }

    /// The first half of a sample: a truncated body.
    static func truncated(_ name: String, status: Int = 200) throws -> HTTPClientResponse {
        let b = try bytes(name)
        return HTTPClientResponse(status: status, body: Array(b.prefix(b.count / 2)))
    }
}

/// Expects `body` to throw a `ProviderError` of `kind`; returns it.
@discardableResult
func expectProviderError(_ kind: ProviderError.Kind, sourceLocation: SourceLocation = #_sourceLocation,
                         _ body: () throws -> Any) -> ProviderError? {
    do {
        _ = try body()
        Issue.record("expected ProviderError.\(kind), got a result", sourceLocation: sourceLocation)
        return nil
    } catch let e as ProviderError {
        #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
        return e
    } catch {
        Issue.record("expected ProviderError.\(kind), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
