/// A sentence written into one byte buffer: literal pieces copied, numbers written as digits in place, one
/// `String` made at the end (`text`). A run writes a reason and eight layer details for every candidate, tens
/// of thousands per history; with `String` interpolation they were about 40% of the engine's time (a string
/// per number, a growing copy per piece).
///
///     let detail: Sentence = "ATR(14) \(price: atr): reward/risk \(rr, digits: 2)"
///
/// Numbers read as `Format` writes them: `\(x, digits: d)` is `Format.number(x, digits: d)`, `\(price: x)` is
/// `Format.price(x)`, `\(money: x)` is dollars with a k/M/B suffix.
struct Sentence: ExpressibleByStringInterpolation, Sendable {
    private(set) var bytes: [UInt8]

    init(stringLiteral value: StaticString) {
        bytes = []
        value.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    init(stringInterpolation: Interpolation) { bytes = stringInterpolation.bytes }

    init(_ text: String) { bytes = Array(text.utf8) }

    /// The sentence as a `String`.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    static func + (lhs: Sentence, rhs: Sentence) -> Sentence {
        var joined = lhs
        joined.bytes.append(contentsOf: rhs.bytes)
        return joined
    }

    struct Interpolation: StringInterpolationProtocol {
        fileprivate var bytes: [UInt8] = []

        init(literalCapacity: Int, interpolationCount: Int) {
            bytes.reserveCapacity(literalCapacity + 12 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: StaticString) {
            literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func appendInterpolation(_ text: String) { bytes.append(contentsOf: text.utf8) }

        mutating func appendInterpolation(_ sentence: Sentence) { bytes.append(contentsOf: sentence.bytes) }

        mutating func appendInterpolation(_ n: Int) {
            Format.appendNumber(Double(n), digits: 0, to: &bytes)
        }

        mutating func appendInterpolation(_ x: Double, digits: Int) { Format.appendNumber(x, digits: digits, to: &bytes) }

        mutating func appendInterpolation(price x: Double) { Format.appendNumber(x, digits: Format.priceDigits(x), to: &bytes) }

        /// `$5.8M`: billions, millions and thousands with one decimal, dollars below.
        mutating func appendInterpolation(money x: Double) {
            bytes.append(0x24)   // "$"
            switch x {
            case 1e9...: Format.appendNumber(x / 1e9, digits: 1, to: &bytes); bytes.append(0x42)   // "B"
            case 1e6...: Format.appendNumber(x / 1e6, digits: 1, to: &bytes); bytes.append(0x4D)   // "M"
            case 1e3...: Format.appendNumber(x / 1e3, digits: 1, to: &bytes); bytes.append(0x6B)   // "k"
            default: Format.appendNumber(x, digits: 0, to: &bytes)
            }
        }
    }
}
