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
