// Pure Swift, no imports: compiled into the libFuzzer harness as well (Fuzz/run.sh).

/// Why a request could not be parsed; each case maps to the status the client receives.
///
/// Every error ends the connection: once the framing is in doubt nothing after it can be trusted.
enum HTTPParseError: Error, Equatable, Sendable {
    /// 400: malformed syntax or ambiguous framing.
    case badRequest(String)
    /// 413: the declared or received body exceeds the route's limit.
    case payloadTooLarge
    /// 414: the request line exceeds the limit.
    case uriTooLong
    /// 417: an `Expect` other than `100-continue`.
    case expectationFailed
    /// 431: the header section exceeds the byte or field-count limit.
    case headerFieldsTooLarge
    /// 501: a transfer coding other than `chunked`.
    case unsupportedTransferCoding(String)
    /// 505: an HTTP version other than 1.0 and 1.1 (including the HTTP/2 preface).
    case versionNotSupported

    /// The status code sent to the client.
    var statusCode: Int {
        switch self {
        case .badRequest: 400
        case .payloadTooLarge: 413
        case .uriTooLong: 414
        case .expectationFailed: 417
        case .headerFieldsTooLarge: 431
        case .unsupportedTransferCoding: 501
        case .versionNotSupported: 505
        }
    }

    /// A short description safe to send to the client.
    var detail: String {
        switch self {
        case .badRequest(let why): why
        case .payloadTooLarge: "request body too large"
        case .uriTooLong: "request line too long"
        case .expectationFailed: "the only expectation supported is 100-continue"
        case .headerFieldsTooLarge: "header section too large"
        case .unsupportedTransferCoding(let why): why
        case .versionNotSupported: "HTTP version not supported"
        }
    }
}
