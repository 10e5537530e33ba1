import Market

extension QualityChecker {
    /// Order and duplicates, on the series as handed in: bars earlier than the bar before them and
    /// repeated timestamps. Returns the bars sorted by time (stable), in which case repeated
    /// timestamps are found again on the sorted series (they may have been apart).
    static func checkOrder(_ bars: [Bar], into findings: inout Findings) -> [Bar] {
        var sorted = true
        if bars.count > 1 {
            for i in 1..<bars.count {
                let t = bars[i].timestamp, p = bars[i - 1].timestamp
                if t == p {
                    findings.add(t, .duplicateTimestamp(previousVolume: bars[i - 1].volume, volume: bars[i].volume))
                } else if t < p {
                    sorted = false
                    findings.add(t, .outOfOrder(previous: p))
                }
            }
        }
        if sorted { return bars }
        let ordered = bars.indices.sorted { (bars[$0].timestamp, $0) < (bars[$1].timestamp, $1) }.map { bars[$0] }
        findings.removeAll(.duplicateTimestamp)
        for i in 1..<ordered.count where ordered[i].timestamp == ordered[i - 1].timestamp {
            findings.add(ordered[i].timestamp, .duplicateTimestamp(previousVolume: ordered[i - 1].volume, volume: ordered[i].volume))
        }
        return ordered
    }
}
