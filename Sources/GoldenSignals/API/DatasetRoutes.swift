import Foundation
import HTTPServer
import Logging
import Market
import Signals

/// `GET /api/v1/datasets/features`: a streamed table of features and labels for models;
/// `GET /api/v1/datasets/manifest`: what that table holds and leaves out, with checksums.
struct DatasetRoutes {
    let service: DatasetService
    let logger: Logger

    func register(on router: Router) {
        let routes = self
        router.get("/api/v1/datasets/features") { request in try routes.features(request) }
        router.get("/api/v1/datasets/manifest") { request in try routes.manifest(request) }
    }

    /// The parameters of both routes, every bad one named in one 400.
    func parameters(_ request: Request) throws -> DatasetParameters {
        var q = QueryReader(request)
        let timeframe = q.timeframe()
        let from = q.time("from"), to = q.time("to")
        if let from, let to, from > to { q.fail("from", "must not be after to") }
        let minQuality = q.fraction("min_quality"), minCoverage = q.fraction("min_coverage")
        let query = request.query
        if (query["symbols"] ?? "").isEmpty { q.fail("symbols", "name at least one symbol, e.g. symbols=AAPL,MSFT") }
        try q.validate()
        do {
            return try DatasetParameters.parse(symbols: query["symbols"] ?? "", timeframe: timeframe, from: from, to: to,
                                               features: query["features"] ?? "all", labels: query["labels"] ?? "",
                                               normalize: query["normalize"] ?? "none", splits: query["splits"],
                                               format: query["format"] ?? "csv", minQuality: minQuality, minCoverage: minCoverage)
        } catch let e as DatasetParameterErrors {
            throw HTTPError(.badRequest, detail: "invalid query parameter: \(e.errors.map(\.field).joined(separator: ", "))",
                            errors: e.errors.map { FieldError(field: $0.field, message: $0.message) })
        }
    }

    func features(_ request: Request) throws -> Response {
        let p = try parameters(request)
        let plan = try service.plan(p)
        var headers = HTTPHeaders()
        let rawQuery = request.target.firstIndex(of: "?").map { String(request.target[$0...]) } ?? ""
        headers.set("X-Dataset-Manifest", "/api/v1/datasets/manifest" + rawQuery)
        let excluded = plan.series.filter { !$0.included }.map(\.record.symbol)
        if !excluded.isEmpty { headers.set("X-Dataset-Excluded", excluded.joined(separator: ",")) }
        if plan.series.contains(where: \.record.isDemo) { headers.set("X-Demo-Data", "true") }
        headers.set("Cache-Control", "no-store")
        let csv = p.request.format == .csv
        headers.set("Content-Disposition", "attachment; filename=\"dataset_\(p.timeframe.rawValue).\(csv ? "csv" : "jsonl")\"")
        let service = self.service, logger = self.logger
        return .download(contentType: csv ? "text/csv; charset=utf-8" : "application/x-ndjson", headers: headers) { writer in
            do {
                try service.export(plan) { writer.write($0) }
                writer.finish()
            } catch {
                // Cut the connection without the last chunk, so the client sees a broken download, not a short one.
                logger.error("dataset export failed", metadata: ["error": "\(error)"])
                writer.abort()
            }
        }
    }

    func manifest(_ request: Request) throws -> Response {
        let p = try parameters(request)
        let plan = try service.plan(p)
        var files: [String: (name: String?, sha256: String, rows: Int)] = [:]
        for s in plan.included {
            let f = try service.file(s, plan)
            files[s.record.symbol] = (DatasetService.fileName(s, p), f.sha256, f.rows)
        }
        return ConditionalGET.respond(request, body: service.manifest(plan, files: files), contentType: "application/json",
                                      demo: plan.series.contains(where: \.record.isDemo))
    }
}
