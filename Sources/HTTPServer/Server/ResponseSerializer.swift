import Primitives

/// Writes status line and header fields; framing headers are the server's, not the handler's.
enum ResponseSerializer {
    /// How the body that follows the head is framed.
    enum Framing {
        case length(Int)
        case chunked
        /// HTTP/1.0 streaming: the body ends when the connection closes.
        case untilClose
        /// 1xx, 204, 304: no body and no framing fields.
        case noBody
        /// A `HEAD` answer to an empty body whose handler set its own `Content-Length`.
        case handlerLength
    }

    static func appendHead(status: HTTPStatus, headers: HTTPHeaders, framing: Framing, close: Bool,
                           http10KeepAlive: Bool, date: [UInt8], into out: inout [UInt8]) {
        appendStatusLine(status, into: &out)
        let fields = headers.fields
        for i in fields.indices {
            // Framing fields are the server's (a HEAD answer may keep the handler's Content-Length).
            let print = fields[i].print
            if print == Self.contentLength, asciiEqual(fields[i].name, "content-length") {
                if case .handlerLength = framing {} else { continue }
            } else if print == Self.transferEncoding && asciiEqual(fields[i].name, "transfer-encoding")
                        || print == Self.connection && asciiEqual(fields[i].name, "connection")
                        || print == Self.date && asciiEqual(fields[i].name, "date") {
                continue
            }
            appendField(fields[i].name, fields[i].value, into: &out)
        }
        out.append(contentsOf: date)
        switch framing {
        case .length(let n):
            out.append(contentsOf: contentLengthPrefix)
            DecimalText.append(Int64(n), to: &out)
            out.append(0x0D)
            out.append(0x0A)
        case .chunked:
            out.append(contentsOf: chunkedField)
        case .untilClose, .noBody, .handlerLength:
            break
        }
        if close {
            out.append(contentsOf: connectionClose)
        } else if http10KeepAlive {
            out.append(contentsOf: connectionKeepAlive)
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    /// Fingerprints of the framing fields' names.
    private static let contentLength = HeaderField.fingerprint("content-length")
    private static let transferEncoding = HeaderField.fingerprint("transfer-encoding")
    private static let connection = HeaderField.fingerprint("connection")
    private static let date = HeaderField.fingerprint("date")

    /// `name: value` and CRLF, copied where the strings' bytes are (the caller reads fields by index: a
    /// loop over copies of them retained and released both strings of each). Never lets a handler's
    /// field split the response: an empty or non-token name, or CR, LF or NUL in the value, is left out.
    static func appendField(_ name: String, _ value: String, into out: inout [UInt8]) {
        guard !name.isEmpty, isToken(name), isFieldValue(value) else { return }
        appendBytes(of: name, to: &out)
        out.append(0x3A)
        out.append(0x20)
        appendBytes(of: value, to: &out)
        out.append(0x0D)
        out.append(0x0A)
    }

    private static func appendBytes(of s: String, to out: inout [UInt8]) {
        if s.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil { out.append(contentsOf: s.utf8) }
    }

    static func isToken(_ s: String) -> Bool {
        s.utf8.withContiguousStorageIfAvailable { u in
            for b in u where !isTokenByte(b) { return false }
            return true
        } ?? s.utf8.allSatisfy(isTokenByte)
    }

    /// No CR, LF or NUL (which would end the field or the head early).
    static func isFieldValue(_ s: String) -> Bool {
        s.utf8.withContiguousStorageIfAvailable { u in
            for b in u where b == 0x0D || b == 0x0A || b == 0 { return false }
            return true
        } ?? !s.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
    }

    /// Whether a status forbids a body (RFC 9110 §6.4.1).
    static func forbidsBody(_ code: Int) -> Bool {
        code < 200 || code == 204 || code == 304
    }

    static func appendHex(_ value: Int, into out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            out.append(hex.utf8Start[(value >> shift) & 0xF])
            shift -= 4
        }
    }

    private static let contentLengthPrefix = Array("Content-Length: ".utf8)
    private static let chunkedField = Array("Transfer-Encoding: chunked\r\n".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    static let lastChunk = Array("0\r\n\r\n".utf8)
    private static let okLine = Array("HTTP/1.1 200 OK\r\n".utf8)

    /// `HTTP/1.1 <code> <reason>` and CRLF, written in place (a reason holding CR or LF is left out).
    private static func appendStatusLine(_ status: HTTPStatus, into out: inout [UInt8]) {
        if status.code == 200, status.reason == "OK" { out.append(contentsOf: okLine); return }
        out.append(contentsOf: okLine.prefix(9))   // "HTTP/1.1 "
        DecimalText.append(Int64(status.code), to: &out)
        out.append(0x20)
        if !status.reason.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) { out.append(contentsOf: status.reason.utf8) }
        out.append(0x0D)
        out.append(0x0A)
    }
}
