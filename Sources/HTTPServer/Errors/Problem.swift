/// One invalid field of a request, reported in a problem's `errors`.
public struct FieldError: Sendable, Hashable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// A problem details object (RFC 9457), the body of every error response.
public struct Problem: Sendable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var errors: [FieldError]

    /// A problem for `status`, titled with its reason phrase.
    public init(status: HTTPStatus, detail: String? = nil, errors: [FieldError] = [], type: String = "about:blank") {
        self.type = type
        self.title = status.reason
        self.status = status.code
        self.detail = detail
        self.errors = errors
    }

    /// The JSON text: `{"type","title","status","detail"?,"errors"?}`.
    public var json: [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.key("type")
        w.string(type)
        w.key("title")
        w.string(title)
        w.key("status")
        w.number(status)
        if let detail {
            w.key("detail")
            w.string(detail)
        }
        if !errors.isEmpty {
            w.key("errors")
            w.beginArray()
            for e in errors {
                w.beginObject()
                w.key("field")
                w.string(e.field)
                w.key("message")
                w.string(e.message)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        return w.bytes
    }

    /// The response carrying this problem, `Content-Type: application/problem+json`.
    public func response(headers: HTTPHeaders = .init()) -> Response {
        var h = headers
        h.set("Content-Type", "application/problem+json")
        // The status line carries the standard phrase; a custom title stays in the body.
        let standard = HTTPStatus(status)
        return Response(status: standard.reason.isEmpty ? HTTPStatus(status, title) : standard, headers: h, body: .bytes(json))
    }
}
