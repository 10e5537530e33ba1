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
