// libFuzzer entry point for the JSON body checks every upload runs before Foundation parses a body
// (Sources/GoldenSignals/API/JSONScan.swift: the 500,000-bar cap counted while scanning, and NUL
// detection), checked against what JSONSerialization — the parser the routes use — makes of the same bytes.
// Built by Fuzz/run.sh with JSONScan.swift compiled into the harness.
import Foundation

/// Objects nested inside exactly `depth` containers, and whether any string (key or value) holds a NUL.
func walk(_ value: Any, level: Int, depth: Int, objects: inout Int, nul: inout Bool) {
    if let d = value as? [String: Any] {
        if level == depth { objects += 1 }
        for (k, v) in d {
            if k.unicodeScalars.contains("\u{0}") { nul = true }
            walk(v, level: level + 1, depth: depth, objects: &objects, nul: &nul)
        }
    } else if let a = value as? [Any] {
        for v in a { walk(v, level: level + 1, depth: depth, objects: &objects, nul: &nul) }
    } else if let s = value as? String, s.unicodeScalars.contains("\u{0}") {
        nul = true
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let limit = Int(first % 8)
    // The scans never trap, whatever the bytes (they run before anything checks that the body is JSON).
    let exceeds = JSONScan.arrayElementsExceed(body, depth: 2, limit: limit)
    let hasNUL = JSONScan.containsNUL(body)
    guard let parsed = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else { return 0 }
    var objects = 0, nul = false
    walk(parsed, level: 0, depth: 2, objects: &objects, nul: &nul)
    // The scan sees every object written (a repeated key's earlier value too), so it may count more than the
    // parsed tree holds, never fewer: a body over the cap is always refused before parsing.
    precondition(objects <= limit || exceeds, "the cap scan missed objects the parser made")
    // A NUL anywhere in the parsed strings was caught by the scan (libpq would cut the string there).
    precondition(!nul || hasNUL, "a NUL reached the parsed body unseen")
    return 0
}
