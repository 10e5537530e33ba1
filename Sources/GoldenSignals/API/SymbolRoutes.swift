import Foundation
import HTTPServer
import Market

/// `GET /api/v1/symbols`, `POST /api/v1/symbols`.
struct SymbolRoutes {
    let symbols: SymbolStore

    /// The route of one symbol (also the `Location` of a created one).
    static let itemPattern = "/api/v1/symbols/{symbol}"

    func register(on router: Router) {
        let symbols = self.symbols
        router.get("/api/v1/symbols") { request in
            var q = QueryReader(request)
            let limit = q.int("limit", default: 100, range: 1...1_000)
            let afterSymbol = q.cursor(kind: "s1") { NewSymbol.isValidTicker($0) ? $0 : nil }
            try q.validate()
            let rows = try symbols.list(limit: limit + 1, after: afterSymbol)
            let page = rows.prefix(limit)
            var w = JSONWriter(capacity: 160 * page.count + 64)
            w.beginObject()
            w.key("symbols"); w.beginArray()
            for s in page { Self.write(s, to: &w) }
            w.endArray()
            w.key("next_cursor")
            if rows.count > limit, let last = page.last { w.string(Cursor.encode("s1", last.symbol)) } else { w.null() }
            w.endObject()
            return .bytes(w.bytes, contentType: "application/json")
        }

        router.get(Self.itemPattern) { request in
            let symbol = try MarketDataRoutes.symbol(request, in: symbols)
            var w = JSONWriter(capacity: 256)
            Self.write(symbol, to: &w)
            return .bytes(w.bytes, contentType: "application/json")
        }

        router.post("/api/v1/symbols", options: RouteOptions(maxBodyBytes: 64 << 10)) { request in
            let body = try JSONBody.object(request)
            var errors: [FieldError] = []
            func text(_ key: String, required: Bool, max: Int) -> String? {
                guard let raw = body[key], !(raw is NSNull) else {
                    if required { errors.append(FieldError(field: key, message: "is required")) }
                    return nil
                }
                guard let s = raw as? String else { errors.append(FieldError(field: key, message: "must be a string")); return nil }
                guard s.count <= max else { errors.append(FieldError(field: key, message: "must be at most \(max) characters")); return nil }
                return s
            }
            let symbol = text("symbol", required: true, max: 32)?.uppercased()
            if let symbol, !NewSymbol.isValidTicker(symbol) {
                errors.append(FieldError(field: "symbol", message: "must be 1–32 characters of A–Z, 0–9 and . - = _ / ^, starting with a letter, digit or ^"))
            }
            let assetClassText = text("asset_class", required: true, max: 16)
            let assetClass = assetClassText.flatMap { AssetClass(rawValue: $0.lowercased()) }
            if assetClassText != nil, assetClass == nil {
                errors.append(FieldError(field: "asset_class", message: "must be one of \(AssetClass.allNames)"))
            }
            let name = text("name", required: false, max: 200) ?? ""
            let exchange = text("exchange", required: false, max: 32) ?? ""
            let currency = (text("currency", required: false, max: 3) ?? "USD").uppercased()
            if currency.count != 3 || !currency.allSatisfy({ $0.isASCII && $0.isLetter }) {
                errors.append(FieldError(field: "currency", message: "must be a three-letter ISO 4217 code"))
            }
            for key in body.keys where !["symbol", "name", "asset_class", "exchange", "currency"].contains(key) {
                errors.append(FieldError(field: key, message: "is not a known field"))
            }
            guard errors.isEmpty, let symbol, let assetClass else {
                throw HTTPError(.unprocessableEntity, detail: "the symbol cannot be created as sent", errors: errors)
            }
            guard let created = try symbols.create(NewSymbol(symbol: symbol, name: name, assetClass: assetClass,
                                                                 exchange: exchange, currency: currency)) else {
                throw HTTPError(.conflict, detail: "symbol \(symbol) already exists", errors: [FieldError(field: "symbol", message: "already exists")])
            }
            var w = JSONWriter(capacity: 256)
            Self.write(created, to: &w)
            var response = Response.bytes(w.bytes, contentType: "application/json", status: .created)
            // A ticker may hold `/` (BTC/USD): encoded, it stays one path segment (routing is on raw segments).
            let segment = created.symbol.replacingOccurrences(of: "/", with: "%2F").replacingOccurrences(of: "^", with: "%5E")
            response.headers.set("Location", Self.itemPattern.replacingOccurrences(of: "{symbol}", with: segment))
            return response
        }
    }

    static func write(_ s: SymbolRecord, to w: inout JSONWriter) {
        w.beginObject()
        w.key("symbol"); w.string(s.symbol)
        w.key("name"); w.string(s.name)
        w.key("asset_class"); w.string(s.assetClass.rawValue)
        w.key("exchange"); w.string(s.exchange)
        w.key("currency"); w.string(s.currency)
        w.key("calendar"); w.string(s.calendar)
        w.key("time_zone"); w.string(s.timeZone)
        w.key("active"); w.bool(s.active)
        w.key("demo"); w.bool(s.isDemo)
        w.endObject()
    }
}
