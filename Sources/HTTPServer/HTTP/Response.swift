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
    /// For `.stream` bodies: what happens when the client reads slower than the handler writes.
    public var streamFlow: StreamFlow = .dropSlowClients

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = .init(), body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A streamed download: `produce` runs on a worker thread and `write` blocks it while more than
    /// `bound` bytes wait for the client, so a slow client gets everything and the server's memory stays bounded.
    public static func download(contentType: String, headers: HTTPHeaders = .init(), bound: Int = StreamFlow.defaultBound,
                                _ produce: @escaping @Sendable (ResponseStreamWriter) -> Void) -> Response {
        var h = headers
        h.set("Content-Type", contentType)
        var r = Response(status: .ok, headers: h, body: .stream(produce))
        r.streamFlow = .waitForClient(bound: bound)
        return r
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

/// Flow control of a streamed body.
public enum StreamFlow: Sendable, Hashable {
    /// Writes never block; a client more than 8 MiB behind is disconnected (event streams: a stalled
    /// subscriber must not hold the producer).
    case dropSlowClients
    /// `write` blocks the producing thread while more than `bound` bytes are queued for the client and
    /// resumes as the socket drains (downloads: every byte arrives, memory stays bounded). A client
    /// that reads nothing for the idle timeout is disconnected.
    case waitForClient(bound: Int)

    /// 1 MiB.
    public static let defaultBound = 1 << 20
}
