// Pure Swift, no imports: compiled into the libFuzzer harness as well (Fuzz/run.sh).

/// The chunked transfer coding (RFC 9112 §7.1): sizes, data, and trailer fields (validated, then dropped).
extension HTTPRequestParser {
    mutating func parseChunked(_ p: UnsafeBufferPointer<UInt8>, phase start: ChunkPhase) -> (event: Event, consumed: Int) {
        var phase = start
        var i = 0
        let count = p.count
        while true {
            switch phase {
            case .size:
                guard let lf = Self.findLF(p, from: i, limit: limits.maxChunkLineBytes) else {
                    if count - i > limits.maxChunkLineBytes { return fail(.badRequest("chunk size line too long"), i) }
                    state = .chunked(phase)
                    return (.needMore, i)
                }
                guard let size = Self.parseChunkSize(p, start: i, end: lf) else { return fail(.badRequest("invalid chunk size"), i) }
                i = lf + 1
                if size == 0 {
                    phase = .trailers(count: 0, bytes: 0)
                } else {
                    if body.count + size > maxBodyBytes { return fail(.payloadTooLarge, i) }
                    phase = .data(remaining: size)
                }
            case .data(let remaining):
                let n = min(remaining, count - i)
                if n > 0 { body.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<(i + n)])) }
                i += n
                if n < remaining {
                    state = .chunked(.data(remaining: remaining - n))
                    return (.needMore, i)
                }
                phase = .dataEnd
            case .dataEnd:
                if i >= count { state = .chunked(phase); return (.needMore, i) }
                if p[i] == 0x0A {
                    i += 1
                } else if p[i] == 0x0D {
                    if i + 1 >= count { state = .chunked(phase); return (.needMore, i) }
                    guard p[i + 1] == 0x0A else { return fail(.badRequest("missing CRLF after chunk data"), i) }
                    i += 2
                } else {
                    return fail(.badRequest("missing CRLF after chunk data"), i)
                }
                phase = .size
            case .trailers(let fields, let bytes):
                guard let lf = Self.findLF(p, from: i, limit: limits.maxHeaderBytes) else {
                    if count - i + bytes > limits.maxHeaderBytes { return fail(.headerFieldsTooLarge, i) }
                    state = .chunked(phase)
                    return (.needMore, i)
                }
                var e = lf
                if e > i, p[e - 1] == 0x0D { e -= 1 }
                let lineBytes = lf + 1 - i
                if e == i {
                    i = lf + 1
                    state = .head
                    return (.body(takeBody()), i)
                }
                // Trailer fields are validated like header fields and then discarded.
                if case .failure(let error) = Self.parseField(p, start: i, end: e) { return fail(error, i) }
                if fields + 1 > limits.maxHeaderCount || bytes + lineBytes > limits.maxHeaderBytes {
                    return fail(.headerFieldsTooLarge, i)
                }
                i = lf + 1
                phase = .trailers(count: fields + 1, bytes: bytes + lineBytes)
            }
        }
    }

    private static func findLF(_ p: UnsafeBufferPointer<UInt8>, from: Int, limit: Int) -> Int? {
        let end = min(p.count, from + limit + 1)
        var i = from
        while i < end {
            if p[i] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    /// chunk-size [ BWS ";" chunk-ext ] CRLF; the extension is ignored.
    private static func parseChunkSize(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Int? {
        var e = end
        if e > start, p[e - 1] == 0x0D { e -= 1 }
        var i = start
        var size = 0
        var digits = 0
        while i < e, let v = hexValue(p[i]) {
            digits += 1
            if digits > 15 { return nil }  // would overflow what anyone may send
            size = size << 4 | v
            i += 1
        }
        guard digits > 0 else { return nil }
        while i < e, p[i] == 0x20 || p[i] == 0x09 { i += 1 }
        if i == e { return size }
        guard p[i] == 0x3B else { return nil }
        for k in (i + 1)..<e {
            let b = p[k]
            if (b < 0x20 && b != 0x09) || b == 0x7F { return nil }
        }
        return size
    }
}
