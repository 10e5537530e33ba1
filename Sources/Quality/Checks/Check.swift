/// The checks, in the fixed order of a report's results.
enum Check: Int, CaseIterable {
    case highBelowLow, nonPositivePrice, negativeVolume, futureTimestamp
    case openOutsideRange, closeOutsideRange, duplicateTimestamp, outOfOrder, missingSession
    case missingOpen, missingBars, outsideSession, misalignedTimestamp, staleData
    case zeroVolume, outlierReturn, flatRun
    case volumeNotReported, corporateAction

    /// The stable name reports and the API use.
    var name: String {
        switch self {
        case .highBelowLow: "high_below_low"
        case .nonPositivePrice: "non_positive_price"
        case .negativeVolume: "negative_volume"
        case .futureTimestamp: "future_timestamp"
        case .openOutsideRange: "open_outside_range"
        case .closeOutsideRange: "close_outside_range"
        case .duplicateTimestamp: "duplicate_timestamp"
        case .outOfOrder: "out_of_order"
        case .missingSession: "missing_session"
        case .missingOpen: "missing_open"
        case .missingBars: "missing_bars"
        case .outsideSession: "outside_session"
        case .misalignedTimestamp: "misaligned_timestamp"
        case .staleData: "stale_data"
        case .zeroVolume: "zero_volume"
        case .outlierReturn: "outlier_return"
        case .flatRun: "flat_run"
        case .volumeNotReported: "volume_not_reported"
        case .corporateAction: "corporate_action"
        }
    }

    var severity: QualitySeverity {
        switch self {
        case .highBelowLow, .nonPositivePrice, .negativeVolume, .futureTimestamp: .critical
        case .openOutsideRange, .closeOutsideRange, .duplicateTimestamp, .outOfOrder, .missingSession: .high
        case .missingOpen, .missingBars, .outsideSession, .misalignedTimestamp, .staleData: .medium
        case .zeroVolume, .outlierReturn, .flatRun: .low
        case .volumeNotReported, .corporateAction: .info
        }
    }

    /// The check's weight in the score (0 = informational only).
    var weight: Double {
        switch self {
        case .nonPositivePrice: 0.6
        case .highBelowLow, .futureTimestamp: 0.5
        case .missingSession: 0.4
        case .negativeVolume, .openOutsideRange, .closeOutsideRange, .duplicateTimestamp, .outOfOrder, .missingOpen: 0.3
        case .missingBars, .outsideSession, .misalignedTimestamp: 0.2
        case .zeroVolume, .outlierReturn: 0.1
        // Freshness is not correctness: a clean historical series stays above 0.95. The check still
        // fails with its own issue, and consumers that need fresh data read its status directly.
        case .staleData: 0.04
        case .flatRun: 0.05
        case .volumeNotReported, .corporateAction: 0
        }
    }

    /// Checks whose rate is their share of the bars (the others compute their own rate).
    static let perBar: [Check] = [.highBelowLow, .nonPositivePrice, .negativeVolume, .futureTimestamp, .openOutsideRange,
                                  .closeOutsideRange, .duplicateTimestamp, .outOfOrder, .missingOpen, .outsideSession,
                                  .misalignedTimestamp, .zeroVolume]
}
