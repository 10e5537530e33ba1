// Pure Swift, no imports: compiled into the libFuzzer harness as well (Fuzz/run.sh).

/// How the body of a request is delimited (RFC 9112 §6.3).
enum BodyFraming: Equatable, Sendable {
    case none
    case length(Int)
    case chunked
}

/// A validated request head as the parser hands it over.
struct ParsedRequestHead: Sendable {
    var method: String
    var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion: Int
    var headers: [HeaderField]
    var framing: BodyFraming
    /// Whether the connection may carry another request after this one.
    var keepAlive: Bool
    /// `Expect: 100-continue` was sent.
    var expectsContinue: Bool
}

/// Limits enforced while parsing; the defaults are the server's.
struct HTTPParserLimits: Sendable {
    var maxRequestLineBytes = 8 * 1024
    var maxHeaderBytes = 16 * 1024
    var maxHeaderCount = 100
    var maxChunkLineBytes = 4 * 1024
}
