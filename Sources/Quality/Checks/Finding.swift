/// What a check found, with the values its message needs (messages are written only for the
/// issues a report lists). Timestamps are Unix seconds UTC; days are days since 1970-01-01.
enum Finding {
    case highBelowLow(high: Double, low: Double)
    case nonPositivePrice(open: Double, high: Double, low: Double, close: Double)
    case negativeVolume(volume: Double)
    case futureTimestamp(now: Int64)
    case openOutsideRange(open: Double, low: Double, high: Double)
    case closeOutsideRange(close: Double, low: Double, high: Double)
    /// A bar with the timestamp of the bar before it.
    case duplicateTimestamp(previousVolume: Double, volume: Double)
    /// A bar earlier than the bar before it, at `previous`.
    case outOfOrder(previous: Int64)
    /// A calendar session with no bar (the finding's time is the session's start, or its date's midnight).
    case missingSession
    case missingOpen(low: Double)
    /// `count` bars missing from the finding's time up to `until`.
    case missingBars(count: Int64, until: Int64)
    /// A daily bar on a day without a session; `closure` is the calendar's reason, if it has one.
    case outsideDailySession(closure: String?)
    /// An intraday bar on a day the market is closed (`closure`: why).
    case onClosedDay(closure: String)
    /// An intraday bar outside its day's session, `open` to `close`.
    case outsideSession(open: Int64, close: Int64)
    /// A timestamp `offset` seconds past the interval grid.
    case misalignedTimestamp(offset: Int64)
    /// `missed` sessions closed after the last bar, the latest on day `latestDay`.
    case staleData(missed: Int64, latestDay: Int64)
    /// Today's session is open and the last bar lags well behind `now`.
    case stalledSession(now: Int64)
    case zeroVolume
    /// A close-to-close log return `deviations` robust σ from the median; `reverts` when the next bar takes it back.
    case outlierReturn(logReturn: Double, deviations: Double, sigma: Double, reverts: Bool)
    /// `length` flat bars at `close`, the last at `until`.
    case flatRun(length: Int64, close: Double, until: Int64)
    /// `zeroBars` of `bars` bars have no volume.
    case volumeNotReported(zeroBars: Int64, bars: Int64)
    /// A jump from `previousClose` to `price` near a split `factor`, with volume at `volumeRatio` × its recent median.
    case corporateAction(previousClose: Double, price: Double, factor: Double, volumeRatio: Double)

    var check: Check {
        switch self {
        case .highBelowLow: .highBelowLow
        case .nonPositivePrice: .nonPositivePrice
        case .negativeVolume: .negativeVolume
        case .futureTimestamp: .futureTimestamp
        case .openOutsideRange: .openOutsideRange
        case .closeOutsideRange: .closeOutsideRange
        case .duplicateTimestamp: .duplicateTimestamp
        case .outOfOrder: .outOfOrder
        case .missingSession: .missingSession
        case .missingOpen: .missingOpen
        case .missingBars: .missingBars
        case .outsideDailySession, .onClosedDay, .outsideSession: .outsideSession
        case .misalignedTimestamp: .misalignedTimestamp
        case .staleData, .stalledSession: .staleData
        case .zeroVolume: .zeroVolume
        case .outlierReturn: .outlierReturn
        case .flatRun: .flatRun
        case .volumeNotReported: .volumeNotReported
        case .corporateAction: .corporateAction
        }
    }
}

/// The findings of one report so far, with a count and a rate per check.
struct Findings {
    /// A finding at a time.
    struct Entry {
        var timestamp: Int64
        var finding: Finding
    }

    private(set) var entries: [Entry] = []
    private var counts = [Int](repeating: 0, count: Check.allCases.count)
    /// The share of bars (or sessions, or returns) each check flags; see `QualityChecker`.
    var rates = [Double](repeating: 0, count: Check.allCases.count)

    mutating func add(_ timestamp: Int64, _ finding: Finding) {
        entries.append(Entry(timestamp: timestamp, finding: finding))
        counts[finding.check.rawValue] += 1
    }

    /// `count` findings of one kind listed once, at the first one's time (a long gap's missing sessions).
    mutating func add(_ timestamp: Int64, _ finding: Finding, count: Int) {
        guard count > 0 else { return }
        entries.append(Entry(timestamp: timestamp, finding: finding))
        counts[finding.check.rawValue] += count
    }

    mutating func removeAll(_ check: Check) {
        entries.removeAll { $0.finding.check == check }
        counts[check.rawValue] = 0
    }

    func count(_ check: Check) -> Int { counts[check.rawValue] }

    func rate(_ check: Check) -> Double { rates[check.rawValue] }

    mutating func setRate(_ check: Check, _ rate: Double) { rates[check.rawValue] = rate }
}
