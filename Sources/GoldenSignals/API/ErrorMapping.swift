import Foundation
import HTTPServer
import Postgres

/// Database trouble as a client sees it: 503 with Retry-After when the database cannot be reached
/// or the pool is exhausted, a bare 500 otherwise. Neither carries SQL or data.
extension PostgresError: HTTPResponseError {
    public var status: HTTPStatus {
        isConnectionProblem || code == .poolTimeout || code == .poolClosed ? .serviceUnavailable : .internalServerError
    }

    public var problem: Problem {
        status == .serviceUnavailable
            ? Problem(status: status, detail: "the database is unavailable or busy; retry shortly")
            : Problem(status: status, detail: "an internal error occurred")
    }

    public var headers: HTTPHeaders {
        status == .serviceUnavailable ? HTTPHeaders([("Retry-After", "2")]) : HTTPHeaders()
    }
}

/// Problems reading a JSON request body.
enum JSONBody {
    /// The body as a JSON object.
    /// - Throws: 400 (`body`) when it is not JSON, not an object, or holds a NUL character; 415 when the
    ///   content type is not JSON.
    static func object(_ request: Request) throws -> [String: Any] {
        if let type = request.headers["Content-Type"]?.lowercased(), !type.hasPrefix("application/json"), !type.contains("+json") {
            throw HTTPError(HTTPStatus(415), detail: "send application/json", errors: [FieldError(field: "Content-Type", message: "must be application/json")])
        }
        guard !request.body.isEmpty else {
            throw HTTPError(.badRequest, detail: "the request body is empty", errors: [FieldError(field: "body", message: "a JSON object is required")])
        }
        if JSONScan.containsNUL(request.body) {
            throw HTTPError(.badRequest, detail: "the request body contains a NUL character",
                            errors: [FieldError(field: "body", message: "must not contain NUL characters (\\u0000)")])
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(request.body), options: [.fragmentsAllowed])
        } catch {
            throw HTTPError(.badRequest, detail: "the request body is not valid JSON", errors: [FieldError(field: "body", message: "not valid JSON")])
        }
        guard let object = parsed as? [String: Any] else {
            throw HTTPError(.badRequest, detail: "the request body must be a JSON object", errors: [FieldError(field: "body", message: "must be a JSON object")])
        }
        return object
    }

    /// A JSON number as Double (rejecting booleans, which Foundation also bridges to NSNumber).
    static func number(_ value: Any?) -> Double? {
        guard let n = value as? NSNumber else { return nil }
        // Foundation bridges true/false to NSNumber too; its objCType "c" tells a boolean apart.
        if String(cString: n.objCType) == "c" { return nil }
        return n.doubleValue
    }
}
