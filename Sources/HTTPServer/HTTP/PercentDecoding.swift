/// Percent-decoding of URI components (RFC 3986 §2.1).
enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`); invalid escapes are kept
    /// literally, and invalid UTF-8 becomes U+FFFD.
    static func decode<S: StringProtocol>(_ s: S, plusIsSpace: Bool) -> String {
        let utf8 = s.utf8
        if !utf8.contains(where: { $0 == 0x25 || (plusIsSpace && $0 == 0x2B) }) { return String(s) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == 0x25 {
                let h1 = utf8.index(after: i)
                if h1 != utf8.endIndex {
                    let h2 = utf8.index(after: h1)
                    if h2 != utf8.endIndex, let hi = hexValue(utf8[h1]), let lo = hexValue(utf8[h2]) {
                        out.append(UInt8(hi << 4 | lo))
                        i = utf8.index(after: h2)
                        continue
                    }
                }
                out.append(b)
            } else if b == 0x2B, plusIsSpace {
                out.append(0x20)
            } else {
                out.append(b)
            }
            i = utf8.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
