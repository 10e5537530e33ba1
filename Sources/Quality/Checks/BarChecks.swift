extension QualityChecker {
    /// Checks each bar on its own: timestamps in the future or off the interval grid, negative
    /// volume, prices of zero or below, a missing open, high below low, open or close outside the
    /// range, and runs of flat bars (O = H = L = C). Sets the flat-run rate.
    /// - Returns: the number of bars with zero volume (for the volume checks).
    static func checkBars(_ series: Series, into findings: inout Findings) -> Int {
        let bars = series.bars, n = series.count, now = series.input.now
        let flatMinimum = series.intraday ? flatRunMinimum.intraday : flatRunMinimum.daily
        let alignStep = series.intraday ? series.step : 86_400
        var zeroVolume = 0
        var flatRun = 0
        var flatBars = 0
        for i in 0..<n {
            let b = bars[i]
            let t = b.timestamp
            if t > now { findings.add(t, .futureTimestamp(now: now)) }
            let rem = t % alignStep
            if rem != 0 { findings.add(t, .misalignedTimestamp(offset: rem < 0 ? rem + alignStep : rem)) }
            if b.volume < 0 { findings.add(t, .negativeVolume(volume: b.volume)) }
            if b.volume == 0 { zeroVolume += 1 }
            if b.open < 0 || b.high <= 0 || b.low <= 0 || b.close <= 0 {
                findings.add(t, .nonPositivePrice(open: b.open, high: b.high, low: b.low, close: b.close))
            } else {
                if b.open == 0 { findings.add(t, .missingOpen(low: b.low)) }
                if b.high < b.low {
                    findings.add(t, .highBelowLow(high: b.high, low: b.low))
                } else {
                    if b.open != 0 && (b.open < b.low || b.open > b.high) {
                        findings.add(t, .openOutsideRange(open: b.open, low: b.low, high: b.high))
                    }
                    if b.close < b.low || b.close > b.high {
                        findings.add(t, .closeOutsideRange(close: b.close, low: b.low, high: b.high))
                    }
                }
            }
            let flat = b.close > 0 && b.open == b.high && b.high == b.low && b.low == b.close
            if flat { flatRun += 1 }
            if (!flat || i == n - 1) && flatRun > 0 {
                if flatRun >= flatMinimum {
                    let last = flat ? i : i - 1
                    let first = last - flatRun + 1
                    findings.add(bars[first].timestamp, .flatRun(length: Int64(flatRun), close: bars[first].close,
                                                                 until: bars[last].timestamp))
                    flatBars += flatRun
                }
                flatRun = 0
            }
        }
        findings.setRate(.flatRun, Double(flatBars) / Double(n))
        return zeroVolume
    }

    /// "Volume not reported", once, when (nearly) every bar has zero volume.
    /// - Returns: whether volume is reported, i.e. whether zero volume in a session is a finding of its own.
    static func checkVolumeReported(_ series: Series, zeroVolumeBars: Int, into findings: inout Findings) -> Bool {
        let n = series.count
        guard zeroVolumeBars * 100 >= n * 95 else { return true }
        findings.add(series.bars[0].timestamp, .volumeNotReported(zeroBars: Int64(zeroVolumeBars), bars: Int64(n)))
        return false
    }
}
