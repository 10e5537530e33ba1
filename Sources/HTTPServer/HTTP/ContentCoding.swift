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
        var named: Bool?
        var wildcard: Bool?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let coding = parts.first?.trimmingASCIISpaces().lowercased() else { continue }
            var allowed = true
            for parameter in parts.dropFirst() {
                let p = parameter.trimmingASCIISpaces()
                guard p.count > 2, p.first == "q" || p.first == "Q", p[p.index(after: p.startIndex)] == "=" else { continue }
                allowed = (Double(p.dropFirst(2)) ?? 0) > 0
            }
            if coding == "gzip" || coding == "x-gzip" { named = allowed } else if coding == "*" { wildcard = allowed }
        }
        return named ?? wildcard ?? false
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
