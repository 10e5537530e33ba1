// libFuzzer entry point for the OHLCV CSV reader (Sources/Market/Import), the parser every upload and
// file import goes through. Built by Fuzz/run.sh against the `Market` and `Primitives` modules compiled
// with the fuzzer and address sanitizer.
import Market

/// The reader's contract on any bytes: it returns or throws `CSVFormatError`, never traps; every bar it
/// keeps is finite and non-negative (inconsistent highs and lows are the quality checks' business, not
/// the reader's), in strictly increasing time; rejections come in line order, each with a reason; and
/// no more bars come out than data rows went in.
func check(_ bytes: [UInt8], _ options: CSVImportOptions) {
    let result: CSVParseResult
    do {
        result = try OHLCVCSVReader.parse(bytes, options: options)
    } catch is CSVFormatError {
        return
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    var previous = Int64.min
    for bar in result.bars {
        precondition(bar.timestamp > previous, "bars out of order")
        previous = bar.timestamp
        for x in [bar.open, bar.high, bar.low, bar.close, bar.volume] {
            precondition(x.isFinite && x >= 0, "non-finite or negative field")
        }
    }
    var lastLine = 0
    for row in result.rejected {
        precondition(row.line > lastLine && !row.reason.isEmpty, "rejections out of order or without a reason")
        lastLine = row.line
    }
    precondition(result.bars.count + result.duplicatesReplaced <= result.dataRows, "more bars than rows")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let timeframes = Timeframe.allCases
    let zones = LocalTimeZone.allCases
    let options = CSVImportOptions(timeframe: timeframes[Int(first) % timeframes.count],
                                   localTimeZone: zones[Int(first >> 4) % zones.count])
    check(Array(bytes.dropFirst()), options)
    return 0
}
