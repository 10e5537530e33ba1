import Foundation
import GoldenSignals
import Testing

/// The spec and the router must describe the same routes, method by method.
@Suite struct OpenAPIRoutesTests {
    /// `(METHOD, /path)` pairs from openapi.yaml's `paths` (a line-based reading of our own file's layout).
    static func specRoutes() throws -> Set<String> {
        let text = try String(contentsOfFile: Paths.openAPI, encoding: .utf8)
        var out: Set<String> = []
        var inPaths = false
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") { current = String(line.dropFirst(2).dropLast()); continue }
            let methods = ["get", "post", "put", "patch", "delete"]
            if let current, line.hasPrefix("    "), !line.hasPrefix("     "),
               let m = methods.first(where: { line == "    \($0):" }) {
                out.insert("\(m.uppercased()) \(current)")
            }
        }
        return out
    }

    @Test func everyRouteIsInTheSpecAndEverySpecRouteIsServed() throws {
        let s = try TestService(label: "spec")
        let served = Set(s.app.makeRouter().routes.map { "\($0.method.rawValue) \($0.pattern)" })
        let spec = try Self.specRoutes()
        #expect(!spec.isEmpty)
        #expect(served.subtracting(spec).isEmpty, "served but not in openapi.yaml: \(served.subtracting(spec).sorted())")
        #expect(spec.subtracting(served).isEmpty, "in openapi.yaml but not served: \(spec.subtracting(served).sorted())")
    }
}
