# GoldenSignals — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
SWIFT ?= swift
PORT ?= 8080
HOST ?= 127.0.0.1
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: run test deps build release test-deps test-swift test-restart test-openapi test-schemathesis test-secrets fuzz bench bench-http bench-import bench-import-process bench-quality bench-indicators bench-generation bench-signals bench-access bench-evaluation bench-backtest bench-scale test-replica bench-dashboard test-browser clean

## run: install what is missing, build, and serve with an embedded PostgreSQL and the demo universe
# As root, PostgreSQL runs as the `postgres` user, which must reach the data folder: a checkout under a
# private home (e.g. /root) gets its embedded database under /var/lib/goldensignals instead.
run: deps build
	@dir="$${GS_DATA_DIR:-.goldensignals}"; \
	if [ -z "$${GS_DATA_DIR:-}" ] && [ "$$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$$(pwd)" 2>/dev/null; then \
	  dir=/var/lib/goldensignals; echo "note: the postgres user cannot reach $$(pwd); the embedded database lives in $$dir"; \
	fi; \
	GS_DATA_DIR="$$dir" exec .build/debug/goldensignals serve --demo --host $(HOST) --port $(PORT)

## test: install what the tests need, start a throwaway PostgreSQL, run every test
# The recipe shell runs with -e: `|| …` keeps a failing part from skipping the others, the PostgreSQL stop and the
# summary; the summary names the parts and tests that failed, last, and exits with the run's status.
test: test-deps
	@scripts/test-postgres.sh start >/dev/null
	@mkdir -p .build/parts && rm -f .build/test-results.log .build/parts/*.log
	@status=0; failed=""; \
	  for part in test-swift test-replica test-restart test-openapi test-schemathesis test-browser fuzz test-secrets; do \
	    $(MAKE) --no-print-directory $$part 2>&1 | tee .build/parts/$$part.log || { status=2; failed="$$failed $$part"; }; \
	  done; \
	  scripts/test-postgres.sh stop || true; scripts/test-summary.sh .build/test-results.log $$status "$$failed"

deps:
	@scripts/install-deps.sh run

test-deps:
	@scripts/install-deps.sh test
	@scripts/python-deps.sh

build:
	$(SWIFT) build --product goldensignals

release:
	$(SWIFT) build -c release --product goldensignals

# Every suite but those that stop and restart PostgreSQL, which run alone afterwards.
test-swift:
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) $(SWIFT) test --skip DatabaseRestart 2>&1 | tee -a .build/test-results.log

# Read-only routes on a real hot standby of the test server (pg_basebackup -R), stopped and restarted by the test.
test-replica:
	@scripts/test-postgres.sh standby-fresh >/dev/null
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) GS_TEST_STANDBY_URL=$$(scripts/test-postgres.sh standby-url) $(SWIFT) test --skip-build --filter ReadReplicaTests 2>&1 | tee -a .build/test-results.log
	@scripts/test-postgres.sh standby-stop

test-restart:
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) GS_TEST_PG_RESTART=1 $(SWIFT) test --skip-build --filter PostgresRestart 2>&1 | tee -a .build/test-results.log
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) $(SWIFT) test --skip-build --filter DatabaseRestart 2>&1 | tee -a .build/test-results.log

# The spec must be valid OpenAPI 3.1 and yield a whole generated client (the route-by-route comparison is a Swift test).
test-openapi:
	@scripts/python-deps.sh
	.build/pyenv/bin/openapi-spec-validator openapi.yaml
	scripts/openapi-client.sh

# The dashboard page in Debian's Chromium (Playwright) against the service on real imported files:
# no script error or failed request, charts hold the API's figures, screenshots in .build/dashboard-*.png.
test-browser: build
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) .build/pyenv/bin/python3 Tests/Browser/dashboard_test.py 2>&1 | tee -a .build/test-results.log

# Last: no API key or webhook signing secret in the logs of the whole run (the suites' and the services').
test-secrets:
	scripts/secret-scan.sh

# A short libFuzzer run over the HTTP parser (Fuzz/README.md documents the long run).
# schemathesis (every check, GS_SCHEMATHESIS_EXAMPLES per operation) against the service with real data.
test-schemathesis:
	scripts/schemathesis.sh 2>&1 | tee -a .build/test-results.log

# Short libFuzzer runs: the HTTP parser for 30 s, the CSV reader and the JSON body checks for 15 s each
# (Fuzz/README.md documents long runs).
fuzz:
	Fuzz/run.sh 30 parser
	Fuzz/run.sh 15 csv json

bench: bench-http bench-import bench-import-process bench-quality bench-indicators bench-generation bench-signals bench-access

bench-http:
	@scripts/install-deps.sh bench
	Benchmarks/http/run.sh

bench-import:
	@scripts/test-postgres.sh start >/dev/null
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) $(SWIFT) run -c release --package-path Benchmarks ImportBench

# Generated 1-minute bars for 200 symbols at 1 M and 10 M bars (SCALE_BARS=1000000 for the first size only).
bench-scale:
	@scripts/test-postgres.sh start >/dev/null
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) $(SWIFT) run -c release --package-path Benchmarks ScaleBench

bench-import-process:
	@scripts/test-postgres.sh start >/dev/null
	$(SWIFT) build -c release --product goldensignals
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) Benchmarks/import-process/run.sh

# Outcome scoring and walk-forward calibration of every daily file against generating its signals (ratio ≤ 1).
bench-evaluation:
	@scripts/test-postgres.sh start >/dev/null
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) $(SWIFT) run -c release --package-path Benchmarks EvaluationBench

bench-quality:
	$(SWIFT) run -c release --package-path Benchmarks QualityBench

# Every indicator over 10,000 real bars against TA-Lib's C library (through Python) in the same run.
bench-indicators:
	@scripts/python-deps.sh
	$(SWIFT) run -c release --package-path Benchmarks IndicatorBench

# SMA crossover over every daily file against backtesting.py (ratio ≥ 20), and a full backtest with two scenarios (< 2 s).
bench-backtest:
	@scripts/python-deps.sh
	$(SWIFT) run -c release --package-path Benchmarks BacktestBench

bench-generation:
	@scripts/test-postgres.sh start >/dev/null
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) $(SWIFT) run -c release --package-path Benchmarks GenerationBench

bench-signals:
	@scripts/install-deps.sh bench
	@scripts/test-postgres.sh start >/dev/null
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) Benchmarks/signals/run.sh

# The service with a valid API key on every request against keys off (target: within 10%).
bench-access:
	@scripts/install-deps.sh bench
	@scripts/test-postgres.sh start >/dev/null
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) Benchmarks/access/run.sh
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) $(SWIFT) run -c release --package-path Benchmarks AccessBench

# Dashboard JSON p50/p99 with every daily file's signals and outcomes stored, and GET /metrics p99 under load
# on another route, each against GET /health/live measured in the same run.
bench-dashboard:
	@scripts/test-postgres.sh start >/dev/null
	GS_TEST_DATABASE_URL=$$(scripts/test-postgres.sh url) $(SWIFT) run -c release --package-path Benchmarks DashboardBench

clean:
	rm -rf .build Benchmarks/.build
