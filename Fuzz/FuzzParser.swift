// libFuzzer entry point for the HTTP/1.1 request parser (Sources/HTTPServer/Parser).
// Built by Fuzz/run.sh with `swiftc -sanitize=fuzzer,address -parse-as-library`.

/// Feeds `bytes` to a parser in pieces of `piece` bytes, like a connection does, and checks
/// the parser's contract: it never consumes more than it was given, never stalls on a full
/// buffer it could parse, and stops for good after an error.
func drive(_ bytes: [UInt8], piece: Int, maxBody: Int) {
    var parser = HTTPRequestParser()
    var buffer: [UInt8] = []
    var fed = 0
    var failed = false
    while fed < bytes.count, !failed {
        let n = min(piece, bytes.count - fed)
        buffer.append(contentsOf: bytes[fed..<(fed + n)])
        fed += n
        var rounds = 0
        while !buffer.isEmpty {
            rounds += 1
            precondition(rounds < 100_000, "parser made no progress")
            let (event, consumed) = buffer.withUnsafeBufferPointer { parser.parse($0) }
            precondition(consumed >= 0 && consumed <= buffer.count, "consumed more than given")
            buffer.removeFirst(consumed)
            var again = false
            switch event {
            case .head(let head):
                precondition(!head.method.isEmpty && !head.target.isEmpty)
                precondition(head.minorVersion == 0 || head.minorVersion == 1)
                if head.framing != .none, parser.beginBody(maxBytes: maxBody) != nil { failed = true }
                again = true
            case .body(let body):
                precondition(body.count <= maxBody)
                again = true
            case .error(let error):
                precondition([400, 413, 414, 417, 431, 501, 505].contains(error.statusCode))
                failed = true
            case .needMore:
                again = false
            }
            if failed || !again { break }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    drive(rest, piece: .max, maxBody: 1 << 16)
    drive(rest, piece: Int(first % 17) + 1, maxBody: Int(first) * 8)
    return 0
}
