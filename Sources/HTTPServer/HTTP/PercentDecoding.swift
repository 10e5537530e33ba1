/// Percent-decoding of URI components (RFC 3986 §2.1).
enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`); invalid escapes are kept
    /// literally, and invalid UTF-8 becomes U+FFFD.
    static func decode<S: StringProtocol>(_ s: S, plusIsSpace: Bool) -> String {
        let utf8 = s.utf8
        if !utf8.contains(where: { $0 == 0x25 || (plusIsSpace && $0 == 0x2B) }) { return String(s) }
        return utf8.withContiguousStorageIfAvailable { decode($0, plusIsSpace: plusIsSpace) }
            ?? Array(utf8).withUnsafeBufferPointer { decode($0, plusIsSpace: plusIsSpace) }
    }

    /// `decode` over bytes.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, plusIsSpace: Bool) -> String {
        if !bytes.contains(where: { $0 == 0x25 || (plusIsSpace && $0 == 0x2B) }) { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x25, i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                out.append(UInt8(hi << 4 | lo))
                i += 3
                continue
            }
            out.append(b == 0x2B && plusIsSpace ? 0x20 : b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
