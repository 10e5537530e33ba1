/// Reads OHLCV bars from CSV bytes, byte by byte (no per-row strings).
///
/// Accepted dialects: any order of case-insensitive columns `date`/`datetime`/`timestamp`/`time`
/// (or separate `date` and `time` columns), `open`, `high`, `low`, `close` and optional `volume`
/// (a file without one gets volume 0); other columns (`Adj Close`, `OpenInterest`, a pandas index)
/// are ignored. Delimiter `,` `;` or tab (from the header); LF or CRLF; a final newline is optional;
/// fields may be double-quoted (no delimiters inside quotes). A header that lacks the `Time` name while every row has one more
/// field with a time after the date (backtrader's 1-minute files) is read as `Date,Time,…`.
/// Dates: `YYYY-MM-DD` (or `/`), `YYYYMMDD`, `M/D/YYYY`, each with an optional ` H:MM[:SS[.f]]` or
/// `THH:MM…` and an optional `Z` / `±HH:MM` offset; unix seconds (9–11 digits) or milliseconds
/// (12–14 digits). Close is used, never Adj Close.
public enum OHLCVCSVReader {
    /// Parses a whole file. Throws `CSVFormatError` when the header is unusable.
    public static func parse(_ bytes: [UInt8], options: CSVImportOptions) throws -> CSVParseResult {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0, options: options) }
    }

    // MARK: - Header

    struct Layout {
        var fieldCount: Int
        var date: Int
        var time: Int = -1
        var open = -1, high = -1, low = -1, close = -1, volume = -1
        var notes: [String] = []
    }

    static func headerNames(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ delim: UInt8) -> [String] {
        var names: [String] = []
        var s = start
        var i = start
        while true {
            if i == end || buf[i] == delim {
                var a = s, b = i
                while a < b, buf[a] == 0x20 || buf[a] == 0x22 || buf[a] == 0x09 { a += 1 }
                while b > a, buf[b - 1] == 0x20 || buf[b - 1] == 0x22 || buf[b - 1] == 0x09 { b -= 1 }
                names.append(String(decoding: UnsafeBufferPointer(rebasing: buf[a..<b]), as: UTF8.self).lowercased())
                if i == end { break }
                s = i + 1
            }
            i += 1
        }
        return names
    }

    static func layout(names: [String], headerText: String) throws -> Layout {
        func index(_ options: [String]) -> Int { names.firstIndex { options.contains($0) } ?? -1 }
        var l = Layout(fieldCount: names.count, date: -1)
        let date = index(["date", "day", "trade_date", "tradedate"])
        let time = index(["time"])
        let dateTime = index(["datetime", "timestamp", "date/time", "date_time", "time_stamp", "dt", "unix", "gmt time"])
        if date >= 0 && time >= 0 {
            l.date = date; l.time = time
        } else if dateTime >= 0 {
            l.date = dateTime
        } else if date >= 0 {
            l.date = date
        } else if time >= 0 {
            l.date = time
        }
        l.open = index(["open", "o", "open price"])
        l.high = index(["high", "h", "high price"])
        l.low = index(["low", "l", "low price"])
        l.close = index(["close", "c", "close price", "last"])
        l.volume = index(["volume", "vol", "v", "volume (shares)"])
        let missing: [(String, Int)] = [("date (or datetime/timestamp/time)", l.date), ("open", l.open),
                                        ("high", l.high), ("low", l.low), ("close", l.close)]
        for (name, i) in missing where i < 0 {
            throw CSVFormatError("missing column '\(name)' in header: \(headerText)")
        }
        return l
    }

    // MARK: - Fields

    enum Number { case value(Double), empty, null, invalid }

    static let pow10: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                                  1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// Parses a decimal number. Fast path (Clinger): ≤ 15 significant digits and a power of ten
    /// ≤ 22 give a correctly rounded result with one division or multiplication; otherwise the
    /// standard library parser is used.
    @inline(__always)
    static func number(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Number {
        var a = start, b = end
        while a < b, p[a] == 0x20 || p[a] == 0x22 { a += 1 }
        while b > a, p[b - 1] == 0x20 || p[b - 1] == 0x22 { b -= 1 }
        if a == b { return .empty }
        var i = a
        var negative = false
        if p[i] == 0x2D { negative = true; i += 1 } else if p[i] == 0x2B { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fracDigits = 0
        var sawDigit = false
        while i < b, p[i] &- 0x30 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(p[i] &- 0x30)
            if mantissa != 0 { digits += 1 }
            sawDigit = true
            i += 1
        }
        if i < b, p[i] == 0x2E {
            i += 1
            while i < b, p[i] &- 0x30 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(p[i] &- 0x30)
                if mantissa != 0 { digits += 1 }
                fracDigits += 1
                sawDigit = true
                i += 1
            }
        }
        if i == b && sawDigit && digits <= 15 && fracDigits <= 22 {
            let v = fracDigits == 0 ? Double(mantissa) : Double(mantissa) / pow10[fracDigits]
            return .value(negative ? -v : v)
        }
        // Slow path: exponents, long mantissas, words.
        let text = String(decoding: UnsafeBufferPointer(rebasing: p[a..<b]), as: UTF8.self)
        if let v = Double(text) { return .value(v) }
        let lower = text.lowercased()
        if ["null", "none", "na", "n/a", "-", "#n/a"].contains(lower) { return .null }
        return .invalid
    }

    static func text(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        let n = min(end - start, 40)
        return String(decoding: UnsafeBufferPointer(rebasing: p[start..<(start + n)]), as: UTF8.self)
    }

    struct DateTime {
        var date: CivilDate
        var seconds: Int? = nil
        var offset: Int? = nil
        var unix: Int64? = nil
    }

    @inline(__always)
    static func digits(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int, max: Int) -> Int? {
        var v = 0, n = 0
        while i < end, n < max, p[i] &- 0x30 < 10 {
            v = v * 10 + Int(p[i] &- 0x30)
            i += 1; n += 1
        }
        return n == 0 ? nil : v
    }

    static func validDate(_ y: Int, _ m: Int, _ d: Int) -> CivilDate? {
        guard (1...12).contains(m), d >= 1, y >= 1000, y <= 9999 else { return nil }
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let maxDay = m == 2 && leap ? 29 : lengths[m - 1]
        return d <= maxDay ? CivilDate(year: y, month: m, day: d) : nil
    }

    /// Parses `H:MM[:SS[.fff]]` or `HHMM[SS]` at `i`; returns seconds of day.
    static func timeOfDay(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) -> Int? {
        let start = i
        guard let h = digits(p, &i, end, max: 6) else { return nil }
        var hour = h, minute = 0, second = 0
        let n = i - start
        if i < end, p[i] == 0x3A {
            guard n <= 2 else { return nil }
            i += 1
            guard let m = digits(p, &i, end, max: 2) else { return nil }
            minute = m
            if i < end, p[i] == 0x3A {
                i += 1
                guard let s = digits(p, &i, end, max: 2) else { return nil }
                second = s
                if i < end, p[i] == 0x2E || p[i] == 0x2C {
                    i += 1
                    _ = digits(p, &i, end, max: 12)
                }
            }
        } else if n == 4 {
            hour = h / 100; minute = h % 100
        } else if n == 6 {
            hour = h / 10_000; minute = h / 100 % 100; second = h % 100
        } else {
            return nil
        }
        guard hour <= 24, minute <= 59, second <= 60, hour < 24 || (minute == 0 && second == 0) else { return nil }
        return hour * 3_600 + minute * 60 + second
    }

    static func dateTime(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> DateTime? {
        var a = start, b = end
        while a < b, p[a] == 0x20 || p[a] == 0x22 { a += 1 }
        while b > a, p[b - 1] == 0x20 || p[b - 1] == 0x22 { b -= 1 }
        var i = a
        guard let first = digits(p, &i, b, max: 14) else { return nil }
        let n = i - a
        var result: DateTime
        if i == b || (i < b && p[i] == 0x2E && n >= 9) {
            // All digits: YYYYMMDD or unix time.
            switch n {
            case 8:
                guard let d = validDate(first / 10_000, first / 100 % 100, first % 100) else { return nil }
                return DateTime(date: d)
            case 9...11:
                let t = Int64(first)
                return DateTime(date: CivilDate(unixSeconds: t), unix: t)
            case 12...14:
                let t = Int64(first) / 1_000
                return DateTime(date: CivilDate(unixSeconds: t), unix: t)
            default:
                return nil
            }
        }
        guard i < b else { return nil }
        let sep = p[i]
        if n == 4 && (sep == 0x2D || sep == 0x2F || sep == 0x2E) {
            i += 1
            guard let m = digits(p, &i, b, max: 2), i < b, p[i] == sep else { return nil }
            i += 1
            guard let d = digits(p, &i, b, max: 2), let date = validDate(first, m, d) else { return nil }
            result = DateTime(date: date)
        } else if n <= 2 && sep == 0x2F {
            i += 1
            guard let d = digits(p, &i, b, max: 2), i < b, p[i] == 0x2F else { return nil }
            i += 1
            let ys = i
            guard let y = digits(p, &i, b, max: 4), i - ys == 4, let date = validDate(y, first, d) else { return nil }
            result = DateTime(date: date)
        } else {
            return nil
        }
        if i == b { return result }
        // Time part.
        guard p[i] == 0x20 || p[i] == 0x54 || p[i] == 0x74 else { return nil }
        while i < b, p[i] == 0x20 || p[i] == 0x54 || p[i] == 0x74 { i += 1 }
        guard let secs = timeOfDay(p, &i, b) else { return nil }
        result.seconds = secs
        while i < b, p[i] == 0x20 { i += 1 }
        if i == b { return result }
        if p[i] == 0x5A || p[i] == 0x7A {
            result.offset = 0
            return i + 1 == b ? result : nil
        }
        if b - i >= 3 && (b - i == 3 || b - i == 6 || b - i == 5) && (p[i] == 0x2B || p[i] == 0x2D) {
            let sign = p[i] == 0x2D ? -1 : 1
            i += 1
            guard let hh = digits(p, &i, b, max: 2) else { return nil }
            var mm = 0
            if i < b, p[i] == 0x3A { i += 1 }
            if i < b { guard let m = digits(p, &i, b, max: 2) else { return nil }; mm = m }
            guard i == b, hh <= 18, mm <= 59 else { return nil }
            result.offset = sign * (hh * 3_600 + mm * 60)
            return result
        }
        if b - i == 3, (p[i] | 0x20) == 0x75, (p[i + 1] | 0x20) == 0x74, (p[i + 2] | 0x20) == 0x63 {   // "UTC"
            result.offset = 0
            return result
        }
        return nil
    }

    // MARK: - Parse, by stage

    static func parse(buffer p: UnsafeBufferPointer<UInt8>, options: CSVImportOptions) throws -> CSVParseResult {
        let header = try readHeader(p)
        var layout = try layout(names: header.names, headerText: header.names.joined(separator: String(UnicodeScalar(header.delimiter))))
        adoptUntitledTimeColumn(p, from: header.bodyStart, delimiter: header.delimiter, &layout)
        var format = dialect(names: header.names, layout: layout, delimiter: header.delimiter)
        let body = readBody(p, from: header.bodyStart, lineNumber: header.lineNumber, layout: layout,
                            delimiter: header.delimiter, options: options)
        if let dateStyle = body.dateStyle { format.append(dateStyle) }
        if header.sawCRLF || body.sawCRLF { format.append("CRLF") }
        // Sort (stable: file order breaks ties) and resolve duplicates: the last row wins.
        let (bars, duplicates) = Bar.sortedLastWins(body.bars)
        return CSVParseResult(bars: bars, rejected: body.rejected, rejectedTotal: body.rejectedTotal, duplicatesReplaced: duplicates,
                              dataRows: body.dataRows, format: format.joined(separator: ", "))
    }

    /// The end of the line starting at `start` (without its CR/LF) and the start of the next line.
    @inline(__always)
    static func lineBounds(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> (end: Int, next: Int) {
        var i = start
        while i < p.count, p[i] != 0x0A { i += 1 }
        let next = i < p.count ? i + 1 : p.count
        var e = i
        if e > start, p[e - 1] == 0x0D { e -= 1 }
        return (e, next)
    }

    // MARK: Header

    struct Header {
        var names: [String]
        var delimiter: UInt8
        /// Where the first line after the header starts.
        var bodyStart: Int
        /// The header's line number (1-based, counting blank lines before it).
        var lineNumber: Int
        var sawCRLF: Bool
    }

    /// The first non-blank line (after a UTF-8 byte order mark): its column names and delimiter
    /// (`,` `;` or tab, whichever it has most of).
    static func readHeader(_ p: UnsafeBufferPointer<UInt8>) throws -> Header {
        let count = p.count
        var pos = 0
        if count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { pos = 3 }
        var lineNumber = 0
        var headerStart = pos, headerEnd = pos
        var sawCRLF = false
        while pos < count {
            let (e, next) = lineBounds(p, pos)
            lineNumber += 1
            if next > 0, next - 1 < count, p[next - 1] == 0x0A, next >= 2, p[next - 2] == 0x0D { sawCRLF = true }
            if e > pos { headerStart = pos; headerEnd = e; pos = next; break }
            pos = next
        }
        guard headerEnd > headerStart else { throw CSVFormatError("the file is empty: no header line") }
        var commas = 0, semis = 0, tabs = 0
        for i in headerStart..<headerEnd {
            switch p[i] { case 0x2C: commas += 1; case 0x3B: semis += 1; case 0x09: tabs += 1; default: break }
        }
        let delim: UInt8 = commas >= semis && commas >= tabs ? 0x2C : (semis >= tabs ? 0x3B : 0x09)
        return Header(names: headerNames(p, headerStart, headerEnd, delim), delimiter: delim, bodyStart: pos,
                      lineNumber: lineNumber, sawCRLF: sawCRLF)
    }

    /// A header that lacks the Time name while the first data row has one more field, with a time
    /// of day after the date (backtrader's 1-minute files), is read as `Date,Time,…`.
    static func adoptUntitledTimeColumn(_ p: UnsafeBufferPointer<UInt8>, from start: Int, delimiter delim: UInt8,
                                        _ l: inout Layout) {
        var peek = start
        while peek < p.count {
            let (e, next) = lineBounds(p, peek)
            if e > peek {
                var fields = 1
                for i in peek..<e where p[i] == delim { fields += 1 }
                if fields == l.fieldCount + 1 && l.time < 0 {
                    // Is the field after the date a time of day?
                    var s = peek, f = 0
                    while f < l.date + 1 { while p[s] != delim { s += 1 }; s += 1; f += 1 }
                    var fe = s
                    while fe < e, p[fe] != delim { fe += 1 }
                    var j = s
                    if timeOfDay(p, &j, fe) != nil && j == fe {
                        let t = l.date + 1
                        func shift(_ x: inout Int) { if x >= t { x += 1 } }
                        shift(&l.open); shift(&l.high); shift(&l.low); shift(&l.close); shift(&l.volume)
                        l.time = t
                        l.fieldCount += 1
                        l.notes.append("header lacks the Time column that every row has (read as Date,Time,…)")
                    }
                }
                return
            }
            peek = next
        }
    }

    /// What the file looks like, for the import summary (the date style and CRLF are added after the rows).
    static func dialect(names: [String], layout l: Layout, delimiter delim: UInt8) -> [String] {
        var parts: [String] = []
        if names.contains("adj close") || names.contains("adj_close") {
            parts.append("Yahoo Finance CSV (Close used, Adj Close ignored)")
        } else if names.first == "" {
            parts.append("pandas CSV (unnamed index column)")
        } else if names.contains("openinterest") {
            parts.append("backtrader CSV")
        } else {
            parts.append("OHLCV CSV")
        }
        if l.time >= 0 { parts.append("separate Date and Time columns") }
        parts.append(contentsOf: l.notes)
        if !(l.open < l.high && l.high < l.low && l.low < l.close) {
            parts.append("column order " + [("open", l.open), ("high", l.high), ("low", l.low), ("close", l.close)]
                .sorted { $0.1 < $1.1 }.map(\.0).joined(separator: ","))
        }
        if l.volume < 0 { parts.append("no volume column (volume 0)") }
        if delim == 0x3B { parts.append("semicolon-delimited") } else if delim == 0x09 { parts.append("tab-delimited") }
        return parts
    }

    // MARK: Rows

    /// Rejected rows kept with their reasons; the rest are only counted, so that a file of garbage
    /// costs no more memory than its bars.
    public static let maxRejectedKept = 1_000

    struct Body {
        var bars: [Bar] = []
        var rejected: [CSVRejectedRow] = []
        var rejectedTotal = 0
        var dataRows = 0

        /// Counts a rejected row; keeps it (and formats its reason) only while fewer than the limit are kept.
        mutating func reject(line: Int, _ reason: @autoclosure () -> String) {
            rejectedTotal += 1
            if rejected.count < OHLCVCSVReader.maxRejectedKept { rejected.append(CSVRejectedRow(line: line, reason: reason())) }
        }
        /// How the first readable row wrote its date, for the import summary.
        var dateStyle: String? = nil
        var sawCRLF = false
    }

    /// Field `f` of a row spans `bounds[2f] ..< bounds[2f + 1]`.
    typealias FieldBounds = UnsafeMutableBufferPointer<Int>

    /// Reads every line after the header: splits it into fields, then reads a bar or rejects the row with a reason.
    static func readBody(_ p: UnsafeBufferPointer<UInt8>, from start: Int, lineNumber firstLine: Int, layout: Layout,
                         delimiter delim: UInt8, options: CSVImportOptions) -> Body {
        let count = p.count
        let nf = layout.fieldCount
        var body = Body()
        body.bars.reserveCapacity(count / 48)
        var lineNumber = firstLine
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * nf + 2) { bounds in
            var rowPos = start
            while rowPos < count {
                let lineStart = rowPos
                var i = lineStart
                var fields = 0
                bounds[0] = lineStart
                while i < count {
                    let c = p[i]
                    if c == 0x0A { break }
                    if c == delim {
                        if fields < nf { bounds[2 * fields + 1] = i; bounds[2 * fields + 2] = i + 1 }
                        fields += 1
                    }
                    i += 1
                }
                rowPos = i < count ? i + 1 : count
                lineNumber += 1
                var lineEnd = i
                if lineEnd > lineStart, p[lineEnd - 1] == 0x0D { lineEnd -= 1; body.sawCRLF = true }
                if lineEnd == lineStart { continue }   // blank line
                fields += 1
                body.dataRows += 1
                if fields != nf {
                    body.reject(line: lineNumber, "expected \(nf) fields, found \(fields)")
                    continue
                }
                bounds[2 * nf - 1] = lineEnd
                switch readRow(p, bounds, layout: layout, options: options, dateStyle: &body.dateStyle) {
                case .bar(let bar): body.bars.append(bar)
                case .rejected(let reason): body.reject(line: lineNumber, reason)
                }
            }
        }
        return body
    }

    enum Row {
        case bar(Bar)
        case rejected(String)
    }

    static let fieldNames = ["open", "high", "low", "close", "volume"]

    /// One row's bar: its prices and volume, then its timestamp.
    @inline(__always)
    static func readRow(_ p: UnsafeBufferPointer<UInt8>, _ bounds: FieldBounds, layout l: Layout, options: CSVImportOptions,
                        dateStyle: inout String?) -> Row {
        @inline(__always) func s(_ f: Int) -> Int { bounds[2 * f] }
        @inline(__always) func e(_ f: Int) -> Int { bounds[2 * f + 1] }

        // Prices and volume (a file without volume gets 0).
        var failure: String? = nil
        @inline(__always) func value(_ col: Int, _ k: Int) -> Double {
            if col < 0 || failure != nil { return 0 }
            switch number(p, s(col), e(col)) {
            case .value(let x):
                if !x.isFinite { failure = "\(fieldNames[k]) is not finite ('\(text(p, s(col), e(col)))')" }
                else if x < 0 { failure = "\(fieldNames[k]) is negative (\(text(p, s(col), e(col))))" }
                return x
            case .empty: failure = "\(fieldNames[k]) is empty"
            case .null: failure = "\(fieldNames[k]) is null ('\(text(p, s(col), e(col)))')"
            case .invalid: failure = "\(fieldNames[k]) is not a number ('\(text(p, s(col), e(col)))')"
            }
            return 0
        }
        let values = (value(l.open, 0), value(l.high, 1), value(l.low, 2), value(l.close, 3), value(l.volume, 4))
        if let failure { return .rejected(failure) }

        // The date, and the time from its own column if there is one.
        guard var dt = dateTime(p, s(l.date), e(l.date)) else {
            return .rejected("date is not a date ('\(text(p, s(l.date), e(l.date)))')")
        }
        if l.time >= 0 {
            var j = s(l.time), te = e(l.time)
            while j < te, p[j] == 0x20 || p[j] == 0x22 { j += 1 }
            while te > j, p[te - 1] == 0x20 || p[te - 1] == 0x22 { te -= 1 }
            guard let secs = timeOfDay(p, &j, te), j == te else {
                return .rejected("time is not a time of day ('\(text(p, s(l.time), e(l.time)))')")
            }
            dt.seconds = secs
        }
        if dateStyle == nil {
            dateStyle = style(of: dt, raw: text(p, s(l.date), e(l.date)), separateTime: l.time >= 0)
        }
        return .bar(Bar(timestamp: timestamp(dt, options: options), open: values.0, high: values.1, low: values.2,
                        close: values.3, volume: values.4))
    }

    /// How a date was written, for the import summary.
    static func style(of dt: DateTime, raw: String, separateTime: Bool) -> String {
        if dt.unix != nil { return "unix timestamps" }
        if dt.offset != nil { return "ISO-8601 timestamps with offset" }
        if raw.contains("/") && !raw.hasPrefix(String(dt.date.year)) {
            return dt.seconds != nil ? "M/D/YYYY H:MM dates" : "M/D/YYYY dates"
        }
        return dt.seconds != nil && !separateTime ? "date-time stamps" : "ISO dates"
    }

    /// The bar's Unix time: midnight UTC of the date for daily and weekly bars; otherwise the
    /// instant, reading a time without an offset in the options' local zone.
    @inline(__always)
    static func timestamp(_ dt: DateTime, options: CSVImportOptions) -> Int64 {
        if !options.timeframe.isIntraday { return dt.date.unixSeconds }
        if let u = dt.unix { return u }
        if let off = dt.offset { return dt.date.unixSeconds + Int64(dt.seconds ?? 0) - Int64(off) }
        let secs = dt.seconds ?? 0
        switch options.localTimeZone {
        case .utc: return dt.date.unixSeconds + Int64(secs)
        case .newYork: return ExchangeTime.newYorkLocalToUTC(date: dt.date, secondsOfDay: secs)
        case .centralEurope: return ExchangeTime.centralEuropeLocalToUTC(date: dt.date, secondsOfDay: secs)
        }
    }
}
