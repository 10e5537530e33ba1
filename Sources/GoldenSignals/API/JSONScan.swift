/// One pass over JSON text without parsing it: checks that must come before `JSONSerialization` builds
/// objects for the whole body.
enum JSONScan {
    /// Whether more than `limit` objects open at bracket depth `depth` (2: the objects in an array that is
    /// a member of the top-level object, as in `{"bars": [{…}, {…}]}`). Stops at the first object over the limit.
    static func arrayElementsExceed(_ bytes: [UInt8], depth target: Int, limit: Int) -> Bool {
        var depth = 0
        var count = 0
        var inString = false
        var escaped = false
        for b in bytes {
            if inString {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                continue
            }
            switch b {
            case 0x22: inString = true
            case 0x7B:  // {
                if depth == target {
                    count += 1
                    if count > limit { return true }
                }
                depth += 1
            case 0x5B: depth += 1  // [
            case 0x7D, 0x5D: depth -= 1  // } ]
            default: break
            }
        }
        return false
    }

    /// Whether the text holds a NUL character: a raw 0x00 byte or a `\u0000` escape (libpq would cut a
    /// string there). An escaped backslash before `u0000` (`\\u0000`) is literal text, not a NUL.
    static func containsNUL(_ bytes: [UInt8]) -> Bool {
        let n = bytes.count
        var i = 0
        var backslashes = 0
        while i < n {
            let b = bytes[i]
            if b == 0 { return true }
            if b == 0x5C {
                backslashes += 1
                i += 1
                continue
            }
            if b == 0x75, backslashes % 2 == 1, i + 4 < n,
               bytes[i + 1] == 0x30, bytes[i + 2] == 0x30, bytes[i + 3] == 0x30, bytes[i + 4] == 0x30 {
                return true
            }
            backslashes = 0
            i += 1
        }
        return false
    }
}
