/// An error that chooses its own response; any domain error may adopt it.
public protocol HTTPResponseError: Error {
    var status: HTTPStatus { get }
    var problem: Problem { get }
    /// Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`).
    var headers: HTTPHeaders { get }
}

extension HTTPResponseError {
    public var headers: HTTPHeaders { .init() }
    public var problem: Problem { Problem(status: status) }
}

/// A plain error with a status, an optional detail and field errors.
public struct HTTPError: HTTPResponseError {
    public let status: HTTPStatus
    public let problem: Problem
    public let headers: HTTPHeaders

    public init(_ status: HTTPStatus, detail: String? = nil, errors: [FieldError] = [], headers: HTTPHeaders = .init()) {
        self.status = status
        self.problem = Problem(status: status, detail: detail, errors: errors)
        self.headers = headers
    }
}

/// A thrown error on its way out through middleware, with the changes a middleware makes to every
/// response it passes (`X-Request-ID`, CORS headers). The router answers for `original`, then
/// applies `edits` in the order they were added (innermost middleware first).
public struct EditedHTTPError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    public let original: any Error
    public let edits: [@Sendable (inout Response) -> Void]

    /// `error` with `edit` added; an error that is already edited keeps its earlier edits.
    public init(_ error: any Error, edit: @escaping @Sendable (inout Response) -> Void) {
        if let edited = error as? EditedHTTPError {
            original = edited.original
            edits = edited.edits + [edit]
        } else {
            original = error
            edits = [edit]
        }
    }

    public var description: String { "\(original)" }
    public var debugDescription: String { String(reflecting: original) }
}
