// Pure Swift, no imports: compiled into the libFuzzer harness as well (Fuzz/run.sh).

/// An incremental HTTP/1.x request parser (RFC 9112) as a pure state machine.
///
/// The caller keeps the bytes; on every call it passes everything not yet consumed, and the
/// parser says how many bytes it consumed and what happened. A head is consumed only once it
/// is complete; body bytes are consumed (copied into the parser) as they arrive. Scanning
/// for the end of the head resumes where it stopped, so a slow client costs O(n) in total.
struct HTTPRequestParser {
    /// What a call to `parse` produced.
    enum Event {
        /// More bytes are needed.
        case needMore
        /// A complete, validated head. If it announces a body, call `beginBody(maxBytes:)` next.
        case head(ParsedRequestHead)
        /// The body of the current request is complete; the parser waits for the next head.
        case body([UInt8])
        /// The request is invalid; the connection must be closed after answering.
        case error(HTTPParseError)
    }

    enum ChunkPhase {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers(count: Int, bytes: Int)
    }

    enum State {
        case head
        case bodyPending(BodyFraming)
        case fixedBody(remaining: Int)
        case chunked(ChunkPhase)
        case failed
    }

    let limits: HTTPParserLimits
    var state: State = .head
    var body: [UInt8] = []
    var maxBodyBytes = Int.max
    // Resumable scan of the head: bytes scanned, end of the request line, line count.
    private var scanned = 0
    private var requestLineEnd = -1
    private var lineStart = 0
    private var lineCount = 0

    init(limits: HTTPParserLimits = .init()) {
        self.limits = limits
    }

    /// True while no byte of a new request has been consumed or scanned.
    var isIdle: Bool {
        if case .head = state { return scanned == 0 }
        return false
    }

    /// True while a head has been parsed and its body is being read.
    var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunked, .bodyPending: true
        default: false
        }
    }

    /// Starts reading the body announced by the last head, refusing it when it is too large.
    ///
    /// - Returns: `.payloadTooLarge` when a declared `Content-Length` exceeds `maxBytes`.
    mutating func beginBody(maxBytes: Int) -> HTTPParseError? {
        guard case .bodyPending(let framing) = state else { return nil }
        maxBodyBytes = maxBytes
        body = []
        switch framing {
        case .none:
            state = .head
        case .length(let n):
            if n > maxBytes {
                state = .failed
                return .payloadTooLarge
            }
            body.reserveCapacity(n)
            state = .fixedBody(remaining: n)
        case .chunked:
            state = .chunked(.size)
        }
        return nil
    }

    /// Parses as much of `input` as possible.
    mutating func parse(_ input: UnsafeBufferPointer<UInt8>) -> (event: Event, consumed: Int) {
        switch state {
        case .failed:
            return (.error(.badRequest("connection already failed")), 0)
        case .bodyPending:
            // The caller must decide on the body first; treat as a default limit.
            if let error = beginBody(maxBytes: maxBodyBytes) { return (.error(error), 0) }
            return parse(input)
        case .head:
            return parseHead(input)
        case .fixedBody(let remaining):
            let n = min(remaining, input.count)
            body.append(contentsOf: UnsafeBufferPointer(rebasing: input[0..<n]))
            if n == remaining {
                state = .head
                return (.body(takeBody()), n)
            }
            state = .fixedBody(remaining: remaining - n)
            return (.needMore, n)
        case .chunked(let phase):
            return parseChunked(input, phase: phase)
        }
    }

    mutating func takeBody() -> [UInt8] {
        let b = body
        body = []
        maxBodyBytes = Int.max
        return b
    }

    mutating func fail(_ error: HTTPParseError, _ consumed: Int = 0) -> (event: Event, consumed: Int) {
        state = .failed
        return (.error(error), consumed)
    }

    // MARK: Head

    private mutating func parseHead(_ input: UnsafeBufferPointer<UInt8>) -> (event: Event, consumed: Int) {
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        if scanned == 0 {
            var skip = 0
            while skip < input.count, input[skip] == 0x0A || (input[skip] == 0x0D) { skip += 1 }
            if skip > 0 {
                let (event, consumed) = parseHead(UnsafeBufferPointer(rebasing: input[skip...]))
                return (event, consumed + skip)
            }
        }
        var i = scanned
        let count = input.count
        while i < count {
            i = WordScan.firstIndex(of: 0x0A, in: input, from: i, end: count)
            if i == count { break }
            var lineEnd = i
            if lineEnd > lineStart, input[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if requestLineEnd < 0 {
                if i + 1 > limits.maxRequestLineBytes { return fail(.uriTooLong) }
                requestLineEnd = i
                if let error = Self.checkRequestLine(input, end: lineEnd) { return fail(error) }
            } else if lineEnd == lineStart {
                // Empty line: the head is complete.
                let result = finishHead(input, end: i + 1)
                resetScan()
                switch result {
                case .success(let head):
                    state = head.framing == .none ? .head : .bodyPending(head.framing)
                    if head.framing != .none { maxBodyBytes = 8 << 20 }
                    return (.head(head), i + 1)
                case .failure(let error):
                    return fail(error)
                }
            } else {
                lineCount += 1
                if lineCount > limits.maxHeaderCount { return fail(.headerFieldsTooLarge) }
            }
            i += 1
            lineStart = i
            if requestLineEnd >= 0, i - requestLineEnd - 1 > limits.maxHeaderBytes { return fail(.headerFieldsTooLarge) }
        }
        scanned = i
        if requestLineEnd < 0 {
            if count > limits.maxRequestLineBytes { return fail(.uriTooLong) }
        } else if count - requestLineEnd - 1 > limits.maxHeaderBytes {
            return fail(.headerFieldsTooLarge)
        }
        return (.needMore, 0)
    }

    private mutating func resetScan() {
        scanned = 0
        requestLineEnd = -1
        lineStart = 0
        lineCount = 0
    }

    /// Validates the request line as soon as it is complete, so that a wrong version is
    /// answered without waiting for the headers (an HTTP/2 preface gets its 505 at once).
    private static func checkRequestLine(_ p: UnsafeBufferPointer<UInt8>, end: Int) -> HTTPParseError? {
        guard let (_, _, _) = splitRequestLine(p, end: end) else { return .badRequest("malformed request line") }
        let versionStart = lastSpace(p, end: end) + 1
        return checkVersion(p, start: versionStart, end: end).error
    }

    private static func lastSpace(_ p: UnsafeBufferPointer<UInt8>, end: Int) -> Int {
        var i = end - 1
        while i >= 0, p[i] != 0x20 { i -= 1 }
        return i
    }

    /// method SP request-target SP HTTP-version, with single spaces.
    private static func splitRequestLine(_ p: UnsafeBufferPointer<UInt8>, end: Int) -> (Range<Int>, Range<Int>, Range<Int>)? {
        var i = 0
        while i < end, p[i] != 0x20 {
            guard isTokenByte(p[i]) else { return nil }
            i += 1
        }
        guard i > 0, i < end else { return nil }
        let method = 0..<i
        i += 1
        let targetStart = i
        while i < end, p[i] != 0x20 {
            let b = p[i]
            guard b > 0x20, b != 0x7F else { return nil }
            i += 1
        }
        guard i > targetStart, i < end else { return nil }
        let target = targetStart..<i
        i += 1
        guard i < end else { return nil }
        for j in i..<end where p[j] <= 0x20 || p[j] == 0x7F { return nil }
        return (method, target, i..<end)
    }

    private static func checkVersion(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> (minor: Int, error: HTTPParseError?) {
        // "HTTP/" DIGIT "." DIGIT
        let prefix: [UInt8] = [0x48, 0x54, 0x54, 0x50, 0x2F]
        guard end - start == 8 else {
            if end - start > 5, (0..<5).allSatisfy({ p[start + $0] == prefix[$0] }) { return (0, .versionNotSupported) }
            return (0, .badRequest("malformed HTTP version"))
        }
        for k in 0..<5 where p[start + k] != prefix[k] { return (0, .badRequest("malformed HTTP version")) }
        let major = p[start + 5], dot = p[start + 6], minor = p[start + 7]
        guard isDigit(major), dot == 0x2E, isDigit(minor) else { return (0, .badRequest("malformed HTTP version")) }
        guard major == 0x31, minor == 0x30 || minor == 0x31 else { return (0, .versionNotSupported) }
        return (Int(minor - 0x30), nil)
    }

    private enum HeadResult {
        case success(ParsedRequestHead)
        case failure(HTTPParseError)
    }

    private func finishHead(_ p: UnsafeBufferPointer<UInt8>, end: Int) -> HeadResult {
        var lineEnd = requestLineEnd
        if lineEnd > 0, p[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        guard let (m, t, v) = Self.splitRequestLine(p, end: lineEnd) else { return .failure(.badRequest("malformed request line")) }
        let version = Self.checkVersion(p, start: v.lowerBound, end: v.upperBound)
        if let error = version.error { return .failure(error) }
        let method = String(decoding: UnsafeBufferPointer(rebasing: p[m]), as: UTF8.self)
        let target = String(decoding: UnsafeBufferPointer(rebasing: p[t]), as: UTF8.self)

        var headers: [HeaderField] = []
        headers.reserveCapacity(lineCount)
        var i = requestLineEnd + 1
        while i < end {
            let j = WordScan.firstIndex(of: 0x0A, in: p, from: i, end: end)
            var e = j
            if e > i, p[e - 1] == 0x0D { e -= 1 }
            if e == i { break }  // the empty line
            switch Self.parseField(p, start: i, end: e) {
            case .success(let field): headers.append(field)
            case .failure(let error): return .failure(error)
            }
            i = j + 1
        }
        return Self.interpret(method: method, target: target, minor: version.minor, headers: headers)
    }

    enum FieldResult {
        case success(HeaderField)
        case failure(HTTPParseError)
    }

    /// field-name ":" OWS field-value OWS; no obs-fold, no whitespace before the colon.
    static func parseField(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> FieldResult {
        let first = p[start]
        if first == 0x20 || first == 0x09 { return .failure(.badRequest("obsolete line folding")) }
        var i = start
        while i < end, p[i] != 0x3A {
            guard isTokenByte(p[i]) else { return .failure(.badRequest("invalid header field name")) }
            i += 1
        }
        guard i < end, i > start else { return .failure(.badRequest("invalid header field")) }
        let nameEnd = i
        i += 1
        var vs = i, ve = end
        while vs < ve, p[vs] == 0x20 || p[vs] == 0x09 { vs += 1 }
        while ve > vs, p[ve - 1] == 0x20 || p[ve - 1] == 0x09 { ve -= 1 }
        guard WordScan.allFieldValueBytes(p, from: vs, end: ve) else { return .failure(.badRequest("invalid byte in header field value")) }
        let nameBytes = UnsafeBufferPointer(rebasing: p[start..<nameEnd])
        let name = String(decoding: nameBytes, as: UTF8.self)
        let value = String(decoding: UnsafeBufferPointer(rebasing: p[vs..<ve]), as: UTF8.self)
        return .success(HeaderField(name: name, value: value, print: HeaderField.fingerprint(nameBytes)))
    }

    /// Applies the message-framing rules of RFC 9112 §6 and the Host rule of §3.2.
    private static func interpret(method: String, target: String, minor: Int,
                                  headers: [HeaderField]) -> HeadResult {
        var hostCount = 0
        var contentLength: Int? = nil
        var transferCodings: [String] = []
        var sawTransferEncoding = false
        var keepAlive = minor == 1
        var expectsContinue = false
        var unknownExpectation = false
        for field in headers {
            let (name, value) = (field.name, field.value)
            switch name.utf8.count {
            case 4 where asciiEqual(name, "host"):
                hostCount += 1
            case 14 where asciiEqual(name, "content-length"):
                for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let digits = trimOWS(part)
                    guard !digits.isEmpty, digits.utf8.count <= 18, digits.utf8.allSatisfy(isDigit), let n = Int(digits) else {
                        return .failure(.badRequest("invalid Content-Length"))
                    }
                    if let existing = contentLength, existing != n { return .failure(.badRequest("conflicting Content-Length")) }
                    contentLength = n
                }
            case 17 where asciiEqual(name, "transfer-encoding"):
                sawTransferEncoding = true
                for part in value.split(separator: ",") {
                    let coding = trimOWS(part.split(separator: ";", maxSplits: 1).first ?? "").lowercased()
                    if !coding.isEmpty { transferCodings.append(coding) }
                }
            case 10 where asciiEqual(name, "connection"):
                for part in value.split(separator: ",") {
                    let token = trimOWS(part)
                    if asciiEqual(token, "close") { keepAlive = false }
                    else if asciiEqual(token, "keep-alive"), minor == 0 { keepAlive = true }
                }
            case 6 where asciiEqual(name, "expect"):
                // RFC 9110 §10.1.1: 100-continue is the only expectation; HTTP/1.0 expectations are ignored.
                if asciiEqual(trimOWS(Substring(value)), "100-continue") { expectsContinue = true }
                else if minor == 1 { unknownExpectation = true }
            default:
                break
            }
        }
        if minor == 1, hostCount != 1 {
            return .failure(.badRequest(hostCount == 0 ? "missing Host header" : "multiple Host headers"))
        }
        if unknownExpectation { return .failure(.expectationFailed) }
        var framing = BodyFraming.none
        if sawTransferEncoding {
            if contentLength != nil { return .failure(.badRequest("both Content-Length and Transfer-Encoding")) }
            if minor == 0 { return .failure(.badRequest("Transfer-Encoding in an HTTP/1.0 request")) }
            if let unknown = transferCodings.first(where: { $0 != "chunked" }) {
                return .failure(.unsupportedTransferCoding("transfer coding '\(unknown.prefix(32))' is not supported"))
            }
            guard transferCodings.count == 1 else { return .failure(.badRequest("invalid Transfer-Encoding")) }
            framing = .chunked
        } else if let n = contentLength, n > 0 {
            framing = .length(n)
        }
        // A request that cannot be read to its end cannot be followed by another.
        return .success(ParsedRequestHead(method: method, target: target, minorVersion: minor, headers: headers,
                                          framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue))
    }
}
