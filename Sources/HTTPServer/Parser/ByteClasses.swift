// Pure Swift, no imports: compiled into the libFuzzer harness as well (Fuzz/run.sh).

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

@inline(__always) func hexValue(_ b: UInt8) -> Int? {
    switch b {
    case 0x30...0x39: Int(b - 0x30)
    case 0x41...0x46: Int(b - 0x41 + 10)
    case 0x61...0x66: Int(b - 0x61 + 10)
    default: nil
    }
}

/// tchar (RFC 9110 §5.6.2).
@inline(__always) func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
    case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
    default: false
    }
}

/// ASCII case-insensitive comparison with a lowercase literal.
func asciiEqual<S: StringProtocol>(_ s: S, _ lower: StaticString) -> Bool {
    let a = s.utf8
    guard a.count == lower.utf8CodeUnitCount else { return false }
    var p = lower.utf8Start
    for c in a {
        let l = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
        if l != p.pointee { return false }
        p += 1
    }
    return true
}

func trimOWS<S: StringProtocol>(_ s: S) -> String {
    var u = Substring(s).utf8[...]
    while let f = u.first, f == 0x20 || f == 0x09 { u = u.dropFirst() }
    while let l = u.last, l == 0x20 || l == 0x09 { u = u.dropLast() }
    return String(Substring(u))
}

/// Eight bytes at a time (a head's lines are scanned byte by byte otherwise, and a credential makes a
/// request several times longer).
enum WordScan {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first `byte` in `p[from..<end]`, or `end`.
    @inline(__always)
    static func firstIndex(of byte: UInt8, in p: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        if let base = p.baseAddress {
            let raw = UnsafeRawPointer(base)
            let pattern = UInt64(byte) &* ones
            while i + 8 <= end {
                // A zero byte of w marks a match: (w − 1…1) & ~w & 80…80 sets the high bit of the lowest
                // zero byte exactly (bits above it may be set by the borrow: only the lowest counts).
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ pattern
                let found = (w &- ones) & ~w & highs
                if found != 0 { return i + found.trailingZeroBitCount / 8 }
                i += 8
            }
        }
        while i < end, p[i] != byte { i += 1 }
        return i
    }

    /// Whether every byte of `p[from..<end]` may stand in a field value: HTAB, SP through `~`, and
    /// obs-text (0x80–0xFF); not other controls or DEL.
    @inline(__always)
    static func allFieldValueBytes(_ p: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Bool {
        @inline(__always) func valid(_ b: UInt8) -> Bool { !((b < 0x20 && b != 0x09) || b == 0x7F) }
        var i = from
        if let base = p.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= end {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                // Bytes below 0x80 only: adding 0x80 − k sets a byte's high bit iff it is ≥ k, without
                // a carry into the next byte. All of 0x20…0x7E: the common case, decided per word.
                let atLeastSpace = (w &+ (0x80 &- 0x20) &* ones) & highs
                let atLeastDel = (w &+ (0x80 &- 0x7F) &* ones) & highs
                if w & highs != 0 || atLeastSpace != highs || atLeastDel != 0 {
                    for k in i..<(i + 8) where !valid(p[k]) { return false }   // tabs, obs-text or a bad byte
                }
                i += 8
            }
        }
        while i < end {
            if !valid(p[i]) { return false }
            i += 1
        }
        return true
    }
}
