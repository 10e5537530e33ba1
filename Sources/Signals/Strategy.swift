/// Which way a signal points.
public enum Direction: String, Sendable, CaseIterable, Codable {
    case long, short

    /// The frontend's name for it.
    public var action: String { self == .long ? "BUY" : "SELL" }
    /// +1 for long, −1 for short.
    public var sign: Double { self == .long ? 1 : -1 }
}

/// One named indicator value a strategy or layer read, recorded on the signal.
public struct IndicatorValue: Sendable, Hashable {
    public var name: String
    public var value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}

/// What a strategy proposes about one bar, before any filter layer.
public struct Candidate: Sendable {
    /// The bar the candidate is about (index into the series).
    public var index: Int
    public var direction: Direction
    /// In [0, 1], from the formula in the strategy's documentation.
    public var strength: Double
    public var indicators: [IndicatorValue]
    /// One sentence a person can check against a chart.
    public var reason: String
    /// Distance from entry to the take-profit in ATRs, where the strategy has its own target (mean
    /// reversion aims at the mean); nil takes the risk layer's default.
    public var targetATR: Double?

    public init(index: Int, direction: Direction, strength: Double, indicators: [IndicatorValue], reason: String,
                targetATR: Double? = nil) {
        self.index = index
        self.direction = direction
        self.strength = min(1, max(0, strength.isFinite ? strength : 0))
        self.indicators = indicators
        self.reason = reason
        self.targetATR = targetATR
    }
}

/// A signal strategy: a pure function from the bars up to and including each bar `i` (through the
/// shared indicator cache, whose values at `i` depend only on bars ≤ `i`) to at most one candidate
/// about `i`. `scan` fetches its indicator lines once and walks the bars; what it proposes about bar
/// `i` reads nothing after `i` and does not depend on `start`.
public protocol Strategy: Sendable {
    /// Stable name on the wire (`rsi_reversion`).
    var name: String { get }
    /// The parameter set, in a fixed order; part of every signal's identity.
    var parameters: [(name: String, value: Double)] { get }
    /// How many bars a signal of this strategy is given to work (used for expiry and outcome scoring).
    var horizonBars: Int { get }
    /// The candidates about the bars from index `start` on, in bar order (at most one per bar).
    func scan(_ ind: IndicatorCache, from start: Int) -> [Candidate]
}

extension Strategy {
    /// The canonical text of the parameter set (`fast=20,slow=50`).
    public var parameterKey: String {
        parameters.map { "\($0.name)=\(Format.number($0.value))" }.joined(separator: ",")
    }
}

/// Reads a value of a line, or nil while it is still warming up (or at a negative index).
@inline(__always)
func value(_ line: [Double], _ i: Int) -> Double? {
    guard i >= 0, i < line.count else { return nil }
    let v = line[i]
    return v.isNaN ? nil : v
}

/// Number formatting for reasons and keys, without Foundation.
public enum Format {
    /// `x` with at most `digits` decimals, trailing zeros dropped (`31.4`, `20`, `-0.35`).
    public static func number(_ x: Double, digits: Int = 2) -> String {
        withText(x, digits: digits) { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends what `number(x, digits:)` returns to `out`, with no `String` in between.
    public static func appendNumber(_ x: Double, digits: Int = 2, to out: inout [UInt8]) {
        withText(x, digits: digits) { out.append(contentsOf: $0) }
    }

    /// Calls `body` with the UTF-8 of `number(x, digits:)`, written right to left into a stack buffer (at most
    /// a sign, 16 digits and a point); beyond 9e15 and for non-finite values, Swift's own text of `x`.
    @inline(__always)
    static func withText<R>(_ x: Double, digits: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard x.isFinite, scaled < 9e15 else {
            var text = "\(x)"
            return text.withUTF8(body)
        }
        let n = Int64(scaled)
        let s = Int64(scale)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            var p = buf.count
            func put(_ c: UInt8) { p -= 1; buf[p] = c }
            var frac = n % s
            if digits > 0 && frac > 0 {
                var width = digits
                while frac % 10 == 0 { frac /= 10; width -= 1 }   // trailing zeros dropped
                while width > 0 { put(UInt8(48 + frac % 10)); frac /= 10; width -= 1 }
                put(46)   // "."
            }
            var whole = n / s
            repeat { put(UInt8(48 + whole % 10)); whole /= 10 } while whole > 0
            if x < 0 && n != 0 { put(45) }   // "-"
            return body(UnsafeBufferPointer(rebasing: buf[p...]))
        }
    }

    /// The number of decimals `price` shows: 4 below 1, else 2.
    static func priceDigits(_ x: Double) -> Int { abs(x) < 1 ? 4 : 2 }

    /// A price with sensible precision for its size (4 significant decimals below 1).
    public static func price(_ x: Double) -> String { number(x, digits: priceDigits(x)) }
}
