/// The body of a response.
public enum ResponseBody: Sendable {
    case empty
    case bytes([UInt8])
    /// Produced over time; sent with `Transfer-Encoding: chunked` to HTTP/1.1 clients (HTTP/1.0
    /// clients get the bytes until the connection closes). The closure runs off the event loop.
    case stream(@Sendable (ResponseStreamWriter) -> Void)
}

/// A response: status, headers and body. `Content-Length`, `Date` and framing are added by the server.
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: ResponseBody

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = .init(), body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with the given bytes and `Content-Type`.
    public static func bytes(_ bytes: [UInt8], contentType: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: .bytes(bytes))
    }

    /// A text response (UTF-8).
    public static func text(_ text: String, contentType: String = "text/plain; charset=utf-8",
                            status: HTTPStatus = .ok) -> Response {
        bytes(Array(text.utf8), contentType: contentType, status: status)
    }
}
