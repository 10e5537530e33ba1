import CZlib

/// gzip content coding (RFC 9110 §8.4.1.3) through zlib, and what a request's `Accept-Encoding` allows.
public enum Gzip {
    /// Bodies smaller than this are sent as they are: the gzip header and a round trip of decoding
    /// cost more than the bytes saved.
    public static let minimumSize = 1_024

    /// The gzip member of `bytes` at `level` (1 fastest … 9 smallest), or nil should zlib fail.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        guard gs_deflate_init_gzip(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let status: Int32 = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = uInt(output.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }

    /// The bytes a gzip member decodes to, or nil when it is not valid gzip or would exceed `limit`.
    public static func decompress(_ bytes: [UInt8], limit: Int = 1 << 30) -> [UInt8]? {
        var stream = z_stream()
        guard gs_inflate_init_gzip(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        return bytes.withUnsafeBufferPointer { input -> [UInt8]? in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, buffer.count - Int(stream.avail_out))
                }
                out.append(contentsOf: chunk[..<produced])
                guard out.count <= limit else { return nil }
                if status == Z_STREAM_END { return out }
                guard status == Z_OK, produced > 0 || stream.avail_in > 0 else { return nil }
            }
        }
    }

    /// Whether the request's `Accept-Encoding` accepts gzip: `gzip` (or `x-gzip`) or `*` listed with a
    /// non-zero weight, and not refused by a more specific `gzip;q=0`.
    public static func accepted(by request: Request) -> Bool {
        guard let header = request.headers["Accept-Encoding"] else { return false }
        return accepted(header)
    }

    static func accepted(_ header: String) -> Bool {
        var header = header
        // Bytes, not Characters: a header value is ASCII, and this runs on every cached page served.
        return header.withUTF8 { h in
            var named: Bool?
            var wildcard: Bool?
            var start = 0
            while start < h.count {
                var end = start
                while end < h.count, h[end] != 0x2C { end += 1 }   // ,
                var cut = start
                while cut < end, h[cut] != 0x3B { cut += 1 }       // ;
                let coding = trimmed(h, start, cut)
                var allowed = true
                var p = cut
                while p < end {   // parameters: the last q decides
                    var q = p + 1
                    while q < end, h[q] != 0x3B { q += 1 }
                    let param = trimmed(h, p + 1, q)
                    if param.count > 2, h[param.lowerBound] | 0x20 == 0x71, h[param.lowerBound + 1] == 0x3D {
                        let number = String(decoding: UnsafeBufferPointer(rebasing: h[(param.lowerBound + 2)..<param.upperBound]), as: UTF8.self)
                        allowed = (Double(number) ?? 0) > 0
                    }
                    p = q
                }
                if equalsFolded(h, coding, "gzip") || equalsFolded(h, coding, "x-gzip") { named = allowed }
                else if coding.count == 1, h[coding.lowerBound] == 0x2A { wildcard = allowed }
                start = end + 1
            }
            return named ?? wildcard ?? false
        }
    }

    /// `start..<end` without the spaces and tabs at either end.
    private static func trimmed(_ h: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int> {
        var s = start, e = end
        while s < e, h[s] == 0x20 || h[s] == 0x09 { s += 1 }
        while e > s, h[e - 1] == 0x20 || h[e - 1] == 0x09 { e -= 1 }
        return s..<e
    }

    /// Whether the bytes in `r` are `lower` (a lower-case literal), ignoring ASCII case.
    private static func equalsFolded(_ h: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ lower: StaticString) -> Bool {
        guard r.count == lower.utf8CodeUnitCount else { return false }
        for (i, k) in r.enumerated() {
            let c = h[k]
            if (c >= 0x41 && c <= 0x5A ? c | 0x20 : c) != lower.utf8Start[i] { return false }
        }
        return true
    }
}
