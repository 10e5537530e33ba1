/// Server-Sent Events (HTML Living Standard §9.2) over a streamed response.
public enum ServerSentEvent {
    /// One event as bytes: `event:`, `id:` and one `data:` line per line of `data`, then a blank line.
    public static func format(data: String, event: String? = nil, id: String? = nil, retryMilliseconds: Int? = nil) -> [UInt8] {
        var text = ""
        if let event { text += "event: \(singleLine(event))\n" }
        if let id { text += "id: \(singleLine(id))\n" }
        if let retryMilliseconds { text += "retry: \(retryMilliseconds)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line.last == "\r" ? line.dropLast() : line)\n"
        }
        text += "\n"
        return Array(text.utf8)
    }

    /// A comment line, for keep-alive pings that clients ignore.
    public static func comment(_ text: String = "") -> [UInt8] {
        Array(": \(singleLine(text))\n\n".utf8)
    }

    private static func singleLine(_ s: String) -> String {
        String(s.filter { $0 != "\n" && $0 != "\r" })
    }
}

extension Response {
    /// A `text/event-stream` response whose events `produce` writes (off the event loop).
    public static func eventStream(headers: HTTPHeaders = .init(),
                                   _ produce: @escaping @Sendable (ResponseStreamWriter) -> Void) -> Response {
        var h = headers
        h.set("Content-Type", "text/event-stream")
        h.set("Cache-Control", "no-cache")
        return Response(status: .ok, headers: h, body: .stream(produce))
    }
}
