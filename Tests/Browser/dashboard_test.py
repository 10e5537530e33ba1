#!/usr/bin/env python3
"""Browser test of GET /dashboard in Debian's Chromium, driven by Playwright.

Starts the service (.build/debug/goldensignals) on a fresh database of the test PostgreSQL
(GS_TEST_DATABASE_URL) after importing real daily files from ../shared/data (which generates and scores
their signals), waits for the anomaly detector's first round, then loads the page at 1280 px and on a
phone-sized viewport. Fails on any script error, console error or failed request, checks that every chart
holds the figures GET /api/v1/monitoring/dashboard returned, and saves screenshots under .build/.

Prints Swift-Testing-style lines ("✔ Test …", "✘ Test … failed after …", "Test run with N tests") so that
scripts/test-summary.sh counts it with the Swift suites.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
BINARY = os.path.join(REPO, ".build", "debug", "goldensignals")
OUT = os.path.join(REPO, ".build")
CHROMIUM = os.environ.get("GS_CHROMIUM", "/usr/bin/chromium")
SERVER_URL = os.environ.get("GS_TEST_DATABASE_URL", "postgresql://goldensignals@127.0.0.1:55432/goldensignals_test")
FILES = [("bluefin_MSFT.csv", "MSFT"), ("bluefin_TSLA.csv", "TSLA"), ("bluefin_JPM.csv", "JPM"),
         ("mplf_yahoofinance-SPY-20080101-20180101.csv", "SPY"), ("bestdaybtc_BTC-USD.csv", "BTC-USD")]

results = []  # (name, ok, seconds, message)


def check(name, fn):
    start = time.time()
    try:
        fn()
        results.append((name, True, time.time() - start, ""))
        print(f"✔ Test {name}() passed after {time.time() - start:.3f} seconds.", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, then the run fails
        results.append((name, False, time.time() - start, str(e)))
        print(f"✘ Test {name}() failed after {time.time() - start:.3f} seconds: {e}", flush=True)


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def close(a, b, tol=1e-9):
    return a is not None and b is not None and abs(float(a) - float(b)) <= tol


def psql(sql):
    subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", SERVER_URL, "-c", sql], check=True, capture_output=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def send_json(url, body, method="POST"):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read()
        return json.loads(text) if text else {}


def wait_for(what, fn, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


def main():
    db = f"gs_browser_{os.getpid()}"
    db_url = SERVER_URL.rsplit("/", 1)[0] + "/" + db
    psql(f"DROP DATABASE IF EXISTS {db}")
    psql(f"CREATE DATABASE {db}")
    env = dict(os.environ, DATABASE_URL=db_url, GS_MIGRATIONS_DIR=os.path.join(REPO, "migrations"),
               GS_INGEST_INTERVAL="0", GS_EVALUATE_INTERVAL="0", GS_ANOMALY_INTERVAL="1", GS_LOG_LEVEL="warning",
               GS_WEBHOOK_ALLOWED_HOSTS="127.0.0.1", GS_WEBHOOK_POLL_INTERVAL="0.2")
    server = None
    try:
        check_empty_database(env)
        started = time.time()
        for file, symbol in FILES:
            subprocess.run([BINARY, "import", "--symbol", symbol, "--timeframe", "1d", os.path.join(DATA, file)],
                           env=env, check=True, capture_output=True, cwd=REPO)
        print(f"imported {len(FILES)} daily files (signals generated and scored on arrival) in {time.time() - started:.1f} s", flush=True)
        server, base = serve(env, "server")
        # The detector's first round (every second here) finds the stale historical series.
        wait_for("the first anomaly round", lambda: get_json(base + "/api/v1/monitoring/anomalies")["anomalies"])
        # Two webhook subscriptions to a port nothing listens on: one failing (a test message), one disabled.
        dead = free_port()
        failing = send_json(base + "/api/v1/webhooks", {"url": f"http://127.0.0.1:{dead}/hook", "events": ["signal.created", "signal.closed"]})
        off = send_json(base + "/api/v1/webhooks", {"url": f"http://127.0.0.1:{dead}/other", "events": ["signal.rescored"]})
        send_json(base + f"/api/v1/webhooks/{off['id']}", {"enabled": False}, method="PATCH")
        send_json(base + f"/api/v1/webhooks/{failing['id']}/test", {})
        wait_for("a failing webhook", lambda: get_json(base + "/api/v1/monitoring/dashboard")["webhooks"]["failing"] == 1, timeout=30)
        run_browser(base)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def serve(env, name):
    port = free_port()
    log = open(os.path.join(OUT, f"dashboard-browser-{name}.log"), "w")
    proc = subprocess.Popen([BINARY, "serve", "--port", str(port)], env=env, stdout=log, stderr=log, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    wait_for("readiness", lambda: get_json(base + "/health/ready")["status"] == "ready")
    return proc, base


def collect_problems(page, problems):
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)


def check_empty_database(env):
    """Before any data: every data section says what is missing and why, and nothing is made up."""
    proc, base = serve(env, "empty")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems = []
            collect_problems(page, problems)
            page.goto(base + "/dashboard", wait_until="load")
            page.wait_for_selector("body[data-loaded]", timeout=30_000)

            def empty_states():
                for section in ["accuracy", "reliability", "funnel", "quality", "signals", "anomalies", "webhooks"]:
                    text = page.inner_text(f"#{section} [data-empty]") if page.query_selector(f"#{section} [data-empty]") else ""
                    expect(len(text) > 30, f"#{section} has no empty state that says what is missing")
                expect(page.get_attribute('[data-kpi="hit_rate"]', "data-value") == "", "the hit-rate tile shows a figure without outcomes")
                expect(not page.query_selector_all("svg[data-chart]"), "a chart is drawn without data")
                expect(not problems, "; ".join(problems))
            check("emptyDatabaseShowsEmptyStates", empty_states)
            page.screenshot(path=os.path.join(OUT, "dashboard-empty.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_browser(base):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            for label, viewport, mobile in [("1280", {"width": 1280, "height": 900}, False), ("phone", {"width": 390, "height": 844}, True)]:
                ctx = browser.new_context(viewport=viewport, device_scale_factor=2 if mobile else 1, is_mobile=mobile, has_touch=mobile)
                page = ctx.new_page()
                problems = []
                collect_problems(page, problems)
                page.goto(base + "/dashboard", wait_until="load")
                page.wait_for_selector("body[data-loaded]", timeout=30_000)
                api = get_json(base + "/api/v1/monitoring/dashboard")
                if label == "1280":
                    check_figures(page, api)
                check(f"dashboardAt{label}HasNoErrors", lambda: expect(not problems, "; ".join(problems)))
                check(f"dashboardAt{label}FitsTheWidth", lambda: expect(
                    page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1,
                    f"the page is wider than {viewport['width']} px: {page.evaluate('document.documentElement.scrollWidth')} px"))
                path = os.path.join(OUT, f"dashboard-{label}.png")
                page.screenshot(path=path, full_page=True)
                page.screenshot(path=os.path.join(OUT, f"dashboard-{label}-first-screen.png"))
                print(f"screenshot: {path} (and -first-screen)", flush=True)
                ctx.close()
        finally:
            browser.close()


ATTRS = "els => els.map(e => Object.fromEntries(Array.from(e.attributes).map(a => [a.name, a.value])))"


def attrs(page_or_el, selector):
    """Every attribute of every element matching selector, read in one round trip."""
    return page_or_el.eval_on_selector_all(selector, ATTRS)


def check_figures(page, api):
    acc = api["signal_accuracy"]

    def kpis():
        v = page.get_attribute('[data-kpi="hit_rate"]', "data-value")
        expect(close(v, acc["overall"]["hit_rate"]), f"hit-rate tile {v} != API {acc['overall']['hit_rate']}")
        text = page.inner_text('[data-kpi="hit_rate"] .value')
        expect(f"{acc['overall']['hit_rate'] * 100:.1f}" in text and "%" in text, f"hit-rate tile shows {text!r}")
        v = page.get_attribute('[data-kpi="published"]', "data-value")
        expect(int(v) == api["funnel"]["published"], f"published tile {v} != {api['funnel']['published']}")
    check("kpiTilesShowTheAPIFigures", kpis)

    def reliability():
        strategies = [s for s in acc["by_strategy"] if s["n"] > 0]
        expect(strategies, "the API has no strategy with outcomes: the test data should give some")
        charts = page.query_selector_all('svg[data-chart="reliability"]')
        expect(len(charts) == len(strategies), f"{len(charts)} reliability charts for {len(strategies)} strategies")
        for s in strategies:
            svg = page.query_selector(f'svg[data-chart="reliability"][data-strategy="{s["strategy"]}"]')
            expect(svg is not None, f"no reliability chart for {s['strategy']}")
            expect(svg.query_selector('[data-diagonal]') is not None, f"{s['strategy']}: no diagonal")
            dots = attrs(svg, "circle[data-bucket]")
            got = sorted((round(float(d["data-confidence"]), 12), round(float(d["data-hit-rate"]), 12), int(d["data-n"])) for d in dots)
            want = sorted((round(b["mean_confidence"], 12), round(b["hit_rate"], 12), b["n"]) for b in s["reliability"])
            expect(got == want, f"{s['strategy']}: buckets {got} != API {want}")
            # Position: higher hit rate is drawn higher (smaller y), higher confidence further right.
            pts = sorted((float(d["data-confidence"]), float(d["cx"])) for d in dots)
            expect(all(a[1] <= b[1] for a, b in zip(pts, pts[1:])), f"{s['strategy']}: x does not follow confidence")
            pts = sorted((float(d["data-hit-rate"]), -float(d["cy"])) for d in dots)
            expect(all(a[1] <= b[1] for a, b in zip(pts, pts[1:])), f"{s['strategy']}: y does not follow hit rate")
    check("reliabilityDiagramsHoldTheBuckets", reliability)

    def hit_rate_over_time():
        dots = attrs(page, 'svg[data-chart="hit-rate"] [data-point="hit-rate-90d"]')
        expect(len(dots) == len(acc["daily"]) > 0, f"{len(dots)} points for {len(acc['daily'])} days")
        for d, day in zip(dots, acc["daily"]):
            expect(d["data-date"] == day["date"] and close(d["data-value"], day["hit_rate_90d"]), f"point {d} != {day}")
        xs = [float(d["cx"]) for d in dots]
        expect(all(a < b for a, b in zip(xs, xs[1:])), "days are not drawn left to right in time order")
        rows = attrs(page, "#reliability tr[data-strategy]")
        expect([(r["data-strategy"], int(r["data-n"])) for r in rows] == [(st["strategy"], st["n"]) for st in acc["by_strategy"]], "strategy table rows")
    check("hitRateOverTimeHoldsTheDailySeries", hit_rate_over_time)

    def funnel():
        f = api["funnel"]
        expect(f["candidates"] > 0, "no candidates")
        for layer in f["layers"]:
            bar = page.query_selector(f'svg[data-chart="funnel"] rect[data-layer="{layer["layer"]}"]')
            expect(bar is not None, f"no bar for layer {layer['layer']}")
            expect(int(bar.get_attribute("data-rejected")) == layer["rejected"] and int(bar.get_attribute("data-passed")) == layer["passed"],
                   f"layer {layer['layer']}: bar {bar.get_attribute('data-passed')}/{bar.get_attribute('data-rejected')} != {layer}")
        pub = page.query_selector('svg[data-chart="funnel"] rect[data-layer="published"]')
        expect(int(pub.get_attribute("data-passed")) == f["published"], "published bar")
    check("funnelHoldsTheLayers", funnel)

    def quality():
        series = api["data_quality"]["series"]
        bars = attrs(page, 'svg[data-chart="quality"] rect[data-series]')
        got = [(b["data-series"], float(b["data-score"])) for b in bars]
        want = [(s["symbol"] + " " + s["timeframe"], s["score"]) for s in series]
        expect(len(got) == len(want) and all(g[0] == w[0] and close(g[1], w[1]) for g, w in zip(got, want)), f"quality bars {got} != {want}")
        widths = [(float(b["data-score"]), float(b["width"])) for b in bars]
        expect(all((a[0] <= b[0]) == (a[1] <= b[1] + 1e-6) for a, b in zip(widths, widths[1:])), "bar widths do not follow scores")
    check("qualityChartHoldsTheScores", quality)

    def anomalies_and_signals():
        shown = page.query_selector_all("#anomalies [data-anomaly]")
        expect(len(shown) == min(30, len(api["anomalies"])) > 0, f"{len(shown)} anomalies shown for {len(api['anomalies'])}")
        kinds = {a.get_attribute("data-anomaly") for a in shown}
        expect("stale_data" in kinds, f"the stale historical series are not shown as anomalies: {kinds}")
        rows = page.query_selector_all("#signals tr[data-signal]")
        expect([r.get_attribute("data-signal") for r in rows] == [s["id"] for s in api["latest_signals"]], "latest signals differ from the API's")
        providers = page.query_selector_all("#providers tr[data-provider]")
        expect(len(providers) == len(api["providers"]), "provider rows")
        jobs = page.query_selector_all("#health tr[data-job]")
        expect([j.get_attribute("data-job") for j in jobs] == [j["job"] for j in api["system_health"]["jobs"]], "job rows")
        expect(page.get_attribute("#status", "data-status") == api["system_health"]["status"], "status pill")
    check("listsMatchTheAPI", anomalies_and_signals)

    def webhooks():
        wh = api["webhooks"]
        expect(wh["subscriptions"] == 2 and wh["failing"] == 1 and wh["disabled"] == 1, f"webhook figures {wh}")
        for name, key in [("webhook-subscriptions", "subscriptions"), ("webhook-failing", "failing"),
                          ("webhook-pending", "pending_messages"), ("webhook-24h", "delivered_24h")]:
            v = page.get_attribute(f'#webhooks [data-fact="{name}"]', "data-value")
            expect(v is not None and int(v) == wh[key], f"{name} shows {v}, the API {wh[key]}")
        rows = attrs(page, "#webhooks tr[data-webhook]")
        expect([(r["data-webhook"], r["data-state"]) for r in rows] == [(x["id"], x["state"]) for x in wh["attention"]],
               f"webhook rows {rows} != {wh['attention']}")
        expect(sorted(x["state"] for x in wh["attention"]) == ["disabled", "failing"], f"attention {wh['attention']}")
        expect("127.0.0.1" not in page.inner_text("#webhooks"), "a webhook URL is shown")
    check("webhooksPanelHoldsTheAPIFigures", webhooks)


if __name__ == "__main__":
    t0 = time.time()
    try:
        main()
    except Exception as e:  # noqa: BLE001 - set-up failures fail the run
        results.append(("dashboardBrowserSetUp", False, time.time() - t0, str(e)))
        print(f"✘ Test dashboardBrowserSetUp() failed after {time.time() - t0:.3f} seconds: {e}", flush=True)
    failed = [r for r in results if not r[1]]
    n = len(results)
    if failed:
        print(f"✘ Test run with {n} tests failed after {time.time() - t0:.3f} seconds with {len(failed)} issues.", flush=True)
        sys.exit(1)
    print(f"✔ Test run with {n} tests passed after {time.time() - t0:.3f} seconds.", flush=True)
