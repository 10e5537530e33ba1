import Foundation
import HTTPClient
import HTTPServer
import Logging
import Market
import MarketProviders
import Postgres
import Signals

/// The running service: its database, stores, services and configuration, wired once at start.
public final class Application: @unchecked Sendable {
    public let configuration: AppConfiguration
    public let logger: Logger
    public let pool: PostgresPool
    public let migrator: Migrator
    /// This application's metrics (its own registry: applications in one process share nothing).
    public let metrics: MetricsRegistry
    public let embedded: EmbeddedPostgres?

    public let symbols: SymbolStore
    public let bars: BarStore
    public let qualityReports: QualityStore
    public let providerCalls: ProviderCallStore
    public let checkpoints: PostgresCheckpointStore
    public let quality: QualityService
    public let imports: ImportService
    public let signals: SignalStore
    public let signalService: SignalService
    public let signalStream: SignalStreamHub
    public let outcomes: OutcomeStore
    public let outcomeService: OutcomeService
    /// How to reach the database (for connections outside the pool: LISTEN, the ingestion lock, the probes).
    let conninfo: String
    /// The health checks' own connection, so that probes never wait behind requests for the pool.
    let probe: PostgresReservedConnection
    public let marketData: MarketDataService
    public let keys: KeyStore
    public let keyVerifier: KeyVerifier
    public let rateLimiter = RateLimiter()
    public let webhooks: WebhookStore
    public let webhookDispatcher: WebhookDispatcher
    /// Anomalies: the store, the detector, and the database outages seen by this process.
    public let anomalies: AnomalyStore
    public let anomalyDetector: AnomalyDetector
    public let databaseOutages = DatabaseOutageTracker()
    let accuracy: AccuracyCache
    /// Backtest runs and their workers (`GS_BACKTEST_WORKERS`, default 1).
    public let backtests: BacktestService
    private var keyUsageFlusher: PeriodicTask?

    /// When the process started (Unix seconds).
    public let startedAt = Int64(Date().timeIntervalSince1970)

    private let lock = NSLock()
    private var server: HTTPServer?
    private var scheduler: IngestScheduler?
    private var evaluateScheduler: EvaluateScheduler?
    private var partitionScheduler: PartitionScheduler?
    private var generationSweep: GenerationSweep?
    /// The streaming replica read-only routes use (`DATABASE_READ_URL`), nil when none is configured.
    let readReplica: ReadReplica?
    private var closed = false
    /// Worker-pool refusals already added to `gs_http_worker_refused_total` (guarded by `lock`).
    private var refusedReported = 0

    /// Starts (or finds) the database, opens the pool and, unless told not to, applies pending migrations.
    /// - Throws: a configuration, database or migration error that the caller prints and exits on.
    public init(configuration: AppConfiguration, logger: Logger, migrate: Bool = true) throws {
        self.configuration = configuration
        self.logger = logger
        let metrics = MetricsRegistry()
        self.metrics = metrics
        self.migrator = try Migrator(directory: configuration.migrationsDirectory)

        let conninfo: String
        if let url = configuration.databaseURL {
            conninfo = url
            embedded = nil
        } else {
            let db = try EmbeddedPostgres(dataDirectory: configuration.dataDirectory, logger: logger)
            try db.start()
            do {
                let maintenance = try PostgresConnection.connect(db.maintenanceConninfo)
                defer { maintenance.close() }
                if try maintenance.query("SELECT 1 FROM pg_database WHERE datname = $1", [EmbeddedPostgres.database]).isEmpty {
                    try maintenance.execute("CREATE DATABASE \(EmbeddedPostgres.database)")
                }
            } catch {
                db.stop()
                throw error
            }
            conninfo = db.conninfo
            embedded = db
        }

        do {
            if migrate {
                let conn = try PostgresConnection.connect(conninfo)
                defer { conn.close() }
                let applied = try migrator.migrate(on: conn, logger: logger)
                if !applied.isEmpty { logger.info("migrations applied", metadata: ["versions": "\(applied.map(\.version))"]) }
            }
            pool = PostgresPool(conninfo: conninfo, maxConnections: configuration.poolSize,
                                acquireTimeout: configuration.poolAcquireTimeout, logger: logger,
                                statementTimeout: ServerLimits.orNone(configuration.limits.statementTimeout),
                                longStatementTimeout: ServerLimits.orNone(configuration.limits.longStatementTimeout),
                                onEvent: { [databaseOutages] event in
                                    Application.recordPoolEvent(event, metrics)
                                    if case .connectFailed = event { databaseOutages.noteFailure() }
                                })
        } catch {
            embedded?.stop()
            throw error
        }

        let primaryPool = pool
        readReplica = configuration.scale.readURL.map {
            ReadReplica(url: $0, primary: primaryPool, settings: configuration.scale, poolSize: configuration.poolSize,
                        metrics: metrics, logger: logger)
        }
        symbols = SymbolStore(pool: pool)
        bars = BarStore(pool: pool)
        qualityReports = QualityStore(pool: pool, keep: configuration.qualityHistory)
        providerCalls = ProviderCallStore(pool: pool)
        checkpoints = PostgresCheckpointStore(pool: pool)
        quality = QualityService(bars: bars, reports: qualityReports, logger: logger, observe: { symbol, timeframe, report in
            metrics.setQualityScore(symbol: symbol.symbol, timeframe: timeframe.rawValue, score: report.score)
        })
        signals = SignalStore(pool: pool)
        let outcomes = OutcomeStore(pool: pool)
        self.outcomes = outcomes
        let stream = SignalStreamHub(store: signals, outcomes: outcomes, conninfo: conninfo, logger: logger)
        signalStream = stream
        let outcomeService = OutcomeService(pool: pool, bars: bars, store: outcomes, cache: CalibrationCache(),
                                            period: configuration.calibrationPeriod, logger: logger,
                                            changed: { stream.noteLocalChange() })
        self.outcomeService = outcomeService
        var signalService = SignalService(pool: pool, symbols: symbols, bars: bars, signals: signals,
                                          engine: SignalEngine(strategies: configuration.strategies, configuration: configuration.layers),
                                          logger: logger, stored: { stream.noteLocalChange() },
                                          calibration: { conn in try outcomeService.engineCalibration(on: conn) },
                                          afterGenerate: { symbol, tf in outcomeService.evaluateLogged(symbol, timeframe: tf) })
        signalService.observe = { made in Application.recordGenerated(made, metrics) }
        self.signalService = signalService
        self.conninfo = conninfo
        probe = PostgresReservedConnection(conninfo: conninfo)
        imports = ImportService(symbols: symbols, bars: bars, quality: quality,
                                signals: configuration.generateOnArrival ? signalService : nil)
        marketData = MarketDataService(pool: pool, symbols: symbols, bars: bars)
        keys = KeyStore(pool: pool)
        keyVerifier = KeyVerifier(store: keys)
        webhooks = WebhookStore(pool: pool)
        webhookDispatcher = WebhookDispatcher(store: webhooks, signals: signals, settings: configuration.webhooks,
                                              logger: logger, metrics: metrics)
        backtests = BacktestService(store: BacktestStore(pool: pool), symbols: symbols, bars: bars, layers: configuration.layers,
                                    workers: max(0, Int(configuration.environment["GS_BACKTEST_WORKERS"] ?? "") ?? 1), logger: logger)
        anomalies = AnomalyStore(pool: pool)
        accuracy = AccuracyCache(pool: pool, outcomes: outcomeService, window: AnomalyThresholds().accuracyWindow)
        anomalyDetector = AnomalyDetector(pool: pool, store: anomalies, outcomes: outcomeService, metrics: metrics,
                                          outages: databaseOutages, accuracy: accuracy, logger: logger)
        anomalyDetector.circuits = { [weak self] in
            guard let self, self.providersBuilt else { return [:] }   // never builds the chain by itself
            return self.chain.circuitStates()
        }
        describeMetrics()
    }

    // MARK: Providers, built on first use

    private var builtProviders: (configuration: ProviderConfiguration, chain: ProviderChain)?

    /// Which providers are configured, and in what failover order (from the environment, on first use).
    public var providers: ProviderConfiguration { providerParts().configuration }

    /// The provider chain over libcurl, built on first use: only `serve` and `ingest` touch it, so
    /// `import`, `migrate` and `quality` never start it.
    public var chain: ProviderChain { providerParts().chain }

    /// Whether the provider configuration and chain have been built (for tests).
    var providersBuilt: Bool { lock.withLock { builtProviders != nil } }

    /// The HTTP server's worker pool, once started.
    var workerStatistics: WorkerPoolStatistics? { lock.withLock { server }?.workerStatistics }

    private func providerParts() -> (configuration: ProviderConfiguration, chain: ProviderChain) {
        lock.withLock {
            if let built = builtProviders { return built }
            let configuration = ProviderConfiguration.fromEnvironment(self.configuration.environment)
            let (calls, metrics, log) = (providerCalls, self.metrics, logger)
            let chain = ProviderChain(configuration: configuration, transport: HTTPClient(), record: { call in
                metrics.recordProviderCall(provider: call.provider, ok: call.error == nil, seconds: call.latencyMs / 1000)
                do { try calls.record(call) } catch { log.warning("could not record a provider call", metadata: ["error": "\(error)"]) }
            })
            builtProviders = (configuration, chain)
            return (configuration, chain)
        }
    }

    /// Series read at each scrape (process start, pool and worker-pool state).
    private func describeMetrics() {
        metrics.gauge("gs_process_start_time_seconds").record(Double(startedAt))
        metrics.addCollector { [weak self] m in
            guard let self else { return }
            let s = self.pool.statistics
            m.gauge("gs_db_pool_connections", [("state", "open")]).record(Double(s.open))
            m.gauge("gs_db_pool_connections", [("state", "idle")]).record(Double(s.idle))
            m.gauge("gs_db_pool_connections", [("state", "in_use")]).record(Double(s.inUse))
            m.gauge("gs_db_pool_waiting").record(Double(s.waiting))
            if let w = self.lock.withLock({ self.server })?.workerStatistics {
                m.gauge("gs_http_worker_queue_depth").record(Double(w.queued))
                m.gauge("gs_http_worker_busy").record(Double(w.busy))
                m.gauge("gs_http_worker_saturation").record(Double(w.busy) / Double(max(1, w.threads)))
                let refused = m.counter("gs_http_worker_refused_total")
                self.lock.withLock {
                    if w.refused > self.refusedReported {
                        refused.increment(by: Int64(w.refused - self.refusedReported))
                        self.refusedReported = w.refused
                    }
                }
            }
        }
    }

    static func recordPoolEvent(_ event: PostgresPool.Event, _ metrics: MetricsRegistry) {
        switch event {
        case .waited: metrics.counter("gs_db_pool_waits_total").increment()
        case .timedOut: metrics.counter("gs_db_pool_timeouts_total").increment()
        case .connectFailed: metrics.counter("gs_db_pool_errors_total", [("kind", "connect")]).increment()
        case .broken: metrics.counter("gs_db_pool_errors_total", [("kind", "broken")]).increment()
        }
    }

    /// Published signals by strategy; filtered candidates by strategy and the layer that rejected them.
    static func recordGenerated(_ made: [GeneratedSignal], _ metrics: MetricsRegistry) {
        var published: [String: Int] = [:]
        var filtered: [String: [Layer: Int]] = [:]
        for g in made {
            if let layer = g.rejectedBy { filtered[g.strategy, default: [:]][layer, default: 0] += 1 }
            else { published[g.strategy, default: 0] += 1 }
        }
        for (strategy, n) in published { metrics.recordSignalsGenerated(strategy: strategy, count: n) }
        for (strategy, layers) in filtered {
            for (layer, n) in layers { metrics.recordSignalsFiltered(strategy: strategy, layer: layer.rawValue, count: n) }
        }
    }

    /// The router with every route of the service.
    /// - Parameter authRequired: whether API keys are required; nil decides by the configured host.
    public func makeRouter(authRequired: Bool? = nil) -> Router {
        let router = Router()
        router.use(RequestIDMiddleware())
        router.use(CORSMiddleware(allowedOrigins: configuration.corsOrigins))
        let metrics = self.metrics
        router.use(MetricsMiddleware(record: { method, route, status, seconds in
            metrics.recordRequest(method: method, route: route, status: status, seconds: seconds)
        }))
        router.use(AccessLogMiddleware(logger: logger))
        router.use(AccessMiddleware(verifier: keyVerifier, limiter: rateLimiter, settings: configuration.access,
                                    required: authRequired ?? configuration.access.required(host: configuration.host)))
        HealthRoutes(pool: pool, probe: probe, migrator: migrator, metrics: metrics, providers: providers, chain: chain,
                     openAPIPath: configuration.openAPIPath, databaseMode: embedded == nil ? "external" : "embedded",
                     startedAt: startedAt).register(on: router)
        SymbolRoutes(symbols: symbols).register(on: router)
        let reads = ReadStores(pool: readReplica?.readPool ?? pool)   // the read replica, when configured
        MarketDataRoutes(symbols: symbols, marketData: reads.marketData, imports: imports, metrics: metrics,
                         uploadTimeout: configuration.limits.uploadHandlerTimeout).register(on: router)
        QualityRoutes(symbols: reads.symbols, bars: reads.bars, reports: reads.reports, quality: quality).register(on: router)
        let stream = signalStream
        SignalRoutes(symbols: symbols, signals: reads.signals, service: signalService, outcomes: outcomeService, hub: stream,
                     pages: PageCache(ttl: 1, version: { stream.version })).register(on: router)
        IndicatorRoutes(symbols: reads.symbols, bars: reads.bars).register(on: router)
        HistoricalRoutes(symbols: reads.symbols, bars: reads.bars).register(on: router)
        DatasetRoutes(service: DatasetService(app: self), logger: logger).register(on: router)
        KeyRoutes(keys: keys, verifier: keyVerifier).register(on: router)
        WebhookRoutes(store: webhooks, dispatcher: webhookDispatcher,
                      policy: DestinationPolicy(allowedHosts: configuration.webhooks.allowedHosts)).register(on: router)
        MonitoringRoutes(pool: pool, anomalies: anomalies, dashboard: makeDashboard()).register(on: router)
        BacktestRoutes(service: backtests).register(on: router)
        return router
    }

    /// Starts the HTTP server and background work without blocking.
    /// - Returns: the port the server listens on (useful with port 0).
    @discardableResult
    public func start(host: String, port: Int) throws -> Int {
        var serverConfig = HTTPServerConfiguration()
        serverConfig.host = host
        serverConfig.port = port
        configuration.limits.apply(to: &serverConfig)
        let metrics = self.metrics
        serverConfig.onRejectedRequest = { status in
            metrics.recordRejected(status: status)
        }
        let authRequired = configuration.access.required(host: host)
        if !authRequired, !AccessSettings.isLoopback(host) {
            logger.critical("API KEYS ARE NOT REQUIRED although the service listens on \(host), a non-loopback address (GS_AUTH=off): anyone who can reach the port can read, write and administer. Unset GS_AUTH to require keys.")
        }
        logger.notice("access", metadata: ["api_keys": "\(authRequired ? "required" : "optional")",
                                           "open_paths": "\(configuration.access.openPaths.sorted().joined(separator: ","))"])
        let server = HTTPServer(configuration: serverConfig, router: makeRouter(authRequired: authRequired), logger: logger)
        try server.start()
        let verifier = keyVerifier, log = logger
        let flusher = PeriodicTask(name: "gs-key-usage", interval: 5) {
            do { try verifier.flush() } catch { log.warning("could not record key use", metadata: ["error": "\(error)"]) }
        }
        flusher.start()
        lock.withLock { keyUsageFlusher = flusher }
        if configuration.webhooks.worker { webhookDispatcher.start() }
        backtests.start()
        let scheduler = IngestScheduler(conninfo: conninfo, symbols: symbols, ingest: ingest, providers: providers,
                                        interval: configuration.ingestInterval, logger: logger)
        let evaluator = EvaluateScheduler(service: outcomeService, interval: configuration.evaluateInterval, logger: logger)
        lock.withLock {
            self.server = server
            self.scheduler = scheduler
            self.evaluateScheduler = evaluator
        }
        scheduler.start()
        evaluator.start()
        readReplica?.start()
        let partitions = PartitionScheduler(pool: pool, interval: configuration.scale.partitionInterval, logger: logger)
        let sweep = GenerationSweep(pool: pool, symbols: symbols, service: signalService,
                                    interval: configuration.generateOnArrival ? configuration.scale.generateSweepInterval : 0, logger: logger)
        lock.withLock { partitionScheduler = partitions; generationSweep = sweep }
        partitions.start()
        sweep.start()
        anomalyDetector.start(interval: configuration.anomalyInterval)
        signalStream.start()
        logger.notice("GoldenSignals listening", metadata: ["address": "http://\(host):\(server.localPort)",
                                                             "database": "\(embedded == nil ? "DATABASE_URL" : "embedded")"])
        return server.localPort
    }

    /// Serves until SIGTERM/SIGINT, then drains, stops background work and the embedded database.
    public func serve(host: String, port: Int) throws {
        try start(host: host, port: port)
        guard let server = lock.withLock({ self.server }) else { return }
        server.installSignalHandlers()
        server.wait()
        logger.notice("shutting down")
        close()
        logger.notice("stopped")
        LogSetup.flush()  // every buffered line, the access log's included, is written before returning
    }

    /// Stops background work, closes the pool and stops the embedded database. Idempotent.
    public func close() {
        let (scheduler, server, evaluator) = lock.withLock { () -> (IngestScheduler?, HTTPServer?, EvaluateScheduler?) in
            if closed { return (nil, nil, nil) }
            closed = true
            return (self.scheduler, self.server, self.evaluateScheduler)
        }
        server?.shutdown()
        scheduler?.stop()
        evaluator?.stop()
        anomalyDetector.stop()
        if let flusher = lock.withLock({ keyUsageFlusher }) { flusher.stop() }
        lock.withLock { partitionScheduler }?.stop()
        lock.withLock { generationSweep }?.stop()
        readReplica?.stop()
        webhookDispatcher.stop()
        backtests.stop()
        try? keyVerifier.flush()
        signalStream.stop()
        probe.close()
        pool.shutdown()
        embedded?.stop()
    }

    /// Migration state: (applied, pending), read from the database.
    public func migrationCounts() throws -> (applied: Int, pending: Int) {
        try migrator.counts(in: pool)
    }

    /// Backfills from the provider chain into the stores.
    public var ingest: IngestService {
        IngestService(chain: chain, checkpoints: checkpoints, bars: bars, quality: quality, metrics: metrics,
                      signals: configuration.generateOnArrival ? signalService : nil)
    }
}

extension Migrator {
    /// Migration state: (applied, pending), read from the database.
    func counts(in pool: PostgresPool) throws -> (applied: Int, pending: Int) {
        try pool.withConnection { try counts(on: $0) }
    }

    /// Migration state: (applied, pending), read on `conn`.
    func counts(on conn: PostgresConnection) throws -> (applied: Int, pending: Int) {
        let status = try self.status(on: conn)
        let pending = status.filter { if case .pending = $0.state { true } else { false } }.count
        return (status.count - pending, pending)
    }
}
