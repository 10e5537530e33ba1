/// The monitoring page served at `GET /dashboard`: one self-contained HTML document (inline style and
/// script, charts drawn as inline SVG by the script, no external assets) that reads
/// `GET /api/v1/monitoring/dashboard` from the same origin and refreshes itself.
///
/// The page itself holds no data, so it is served without a key; the API it reads needs `read` scope when
/// keys are required: the page then asks for a key and keeps it in `sessionStorage` (this tab only) and sends
/// it as `Authorization: Bearer`. Every chart element carries `data-*` attributes with the figure it shows,
/// which the browser test compares with the API's answer.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GoldenSignals · Monitoring</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%232557d6'/%3E%3Cpath d='M3 11l3-4 3 2 4-5' stroke='white' stroke-width='2' fill='none'/%3E%3C/svg%3E">
<style>
:root {
  --bg: #f4f5f7; --card: #ffffff; --ink: #17202a; --muted: #5f6b7a; --faint: #8a95a3; --line: #e3e6ea;
  --accent: #2557d6; --accent-soft: #dfe7fb; --ok: #1b7f4b; --ok-soft: #dcf1e5; --warn: #a86200; --warn-soft: #fcefd9;
  --bad: #c0322b; --bad-soft: #fbe1df; --grid: #eef0f3;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { position: sticky; top: 0; z-index: 5; background: #111827; color: #f9fafb; padding: 10px 20px; display: flex; align-items: center; gap: 14px; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; font-weight: 650; letter-spacing: .2px; }
header h1 span { color: #9ca3af; font-weight: 400; }
header .spacer { flex: 1; }
header .meta { color: #cbd5e1; font-size: 12px; }
header select, header button, .keybox input, .keybox button { font: inherit; font-size: 12px; border-radius: 6px; border: 1px solid #374151; background: #1f2937; color: #f9fafb; padding: 4px 8px; }
header button { cursor: pointer; }
.pill { display: inline-flex; align-items: center; gap: 6px; border-radius: 999px; padding: 2px 10px; font-size: 12px; font-weight: 600; }
.pill::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
.pill.ok { background: var(--ok-soft); color: var(--ok); } .pill.warn { background: var(--warn-soft); color: var(--warn); }
.pill.bad { background: var(--bad-soft); color: var(--bad); } .pill.idle { background: #e5e7eb; color: #4b5563; }
main { max-width: 1440px; margin: 0 auto; padding: 16px 20px 40px; }
.banner { border-radius: 8px; padding: 10px 14px; margin-bottom: 14px; font-size: 13px; }
.banner.demo { background: #fff7e0; border: 1px solid #f2d27a; color: #6b4e00; }
.banner.error { background: var(--bad-soft); border: 1px solid #f1b4ae; color: #7a1d17; }
.keybox { display: none; background: #111827; color: #e5e7eb; border-radius: 8px; padding: 12px 14px; margin-bottom: 14px; gap: 8px; align-items: center; flex-wrap: wrap; }
.keybox.show { display: flex; }
.keybox input { min-width: 280px; flex: 1; font-family: var(--mono); }
.kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; margin-bottom: 14px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.kpi .value { font-size: 24px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; white-space: nowrap; }
.kpi .value small { font-size: 13px; font-weight: 500; color: var(--muted); margin-left: 3px; }
.kpi .sub { color: var(--faint); font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.grid { display: grid; grid-template-columns: repeat(12, minmax(0, 1fr)); gap: 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
.card h2 { font-size: 14px; margin: 0 0 2px; font-weight: 650; }
.card .hint { color: var(--muted); font-size: 12px; margin: 0 0 10px; }
.span-4 { grid-column: span 4; } .span-5 { grid-column: span 5; } .span-6 { grid-column: span 6; } .span-7 { grid-column: span 7; } .span-8 { grid-column: span 8; } .span-12 { grid-column: span 12; }
.empty { border: 1px dashed #cdd3da; border-radius: 8px; padding: 14px; color: var(--muted); font-size: 13px; background: #fafbfc; }
.empty b { color: var(--ink); }
.tbl { width: 100%; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 600; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 6px 8px; border-bottom: 1px solid var(--grid); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mono { font-family: var(--mono); font-size: 12px; white-space: nowrap; }
.tag { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 11px; font-weight: 600; background: #eef1f5; color: #374151; white-space: nowrap; }
.tag.ok { background: var(--ok-soft); color: var(--ok); } .tag.warn { background: var(--warn-soft); color: var(--warn); } .tag.bad { background: var(--bad-soft); color: var(--bad); }
.tag.buy { background: var(--ok-soft); color: var(--ok); } .tag.sell { background: var(--bad-soft); color: var(--bad); } .tag.demo { background: #fff1c2; color: #6b4e00; }
.facts { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px; margin-bottom: 12px; }
.fact { background: #f8f9fb; border: 1px solid var(--grid); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.fact .k { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.fact .v { font-size: 15px; font-weight: 600; font-variant-numeric: tabular-nums; }
.fact .s { font-size: 11px; color: var(--faint); }
.smalls { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; margin-bottom: 14px; }
#health .facts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
td.sym { white-space: nowrap; }
td .sub { color: var(--faint); font-size: 11px; }
#providers td, #providers th, #health td, #health th { padding: 6px 5px; }
.small h3 { font-size: 12px; margin: 0 0 2px; font-weight: 650; font-family: var(--mono); }
.small .s { color: var(--faint); font-size: 11px; }
svg { display: block; width: 100%; height: auto; overflow: visible; }
svg text { font-family: inherit; fill: var(--muted); font-size: 10px; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin-top: 6px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.anom { display: flex; gap: 10px; padding: 8px 0; border-bottom: 1px solid var(--grid); }
.anom:last-child { border-bottom: 0; }
.anom .what { font-weight: 600; }
.anom .when { color: var(--faint); font-size: 12px; }
.anom .det { color: var(--muted); font-size: 12px; font-family: var(--mono); word-break: break-word; }
footer { color: var(--faint); font-size: 12px; margin-top: 18px; }
@media (max-width: 1100px) { .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); } .span-4, .span-5, .span-7 { grid-column: span 6; } .span-8 { grid-column: span 12; } }
@media (max-width: 760px) {
  main { padding: 12px 10px 30px; } header { padding: 10px 12px; }
  .kpis { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .kpi .value { font-size: 20px; }
  .grid { grid-template-columns: minmax(0, 1fr); }
  .span-4, .span-5, .span-6, .span-7, .span-8, .span-12 { grid-column: auto; }
  .facts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .smalls { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .small .s { display: none; }
  .keybox input { min-width: 0; }
  .hide-sm { display: none; }
  table { font-size: 12px; }
  td, th { padding: 5px 4px; }
  th, th.num { white-space: normal; }
  td .mono, td.mono { font-size: 11px; }
}
</style>
</head>
<body>
<header>
  <h1>GoldenSignals <span>· Monitoring</span></h1>
  <span id="status" class="pill idle" data-status="">loading</span>
  <span class="spacer"></span>
  <span class="meta" id="updated">not loaded yet</span>
  <label class="meta hide-sm" for="every">refresh</label>
  <select id="every" aria-label="Refresh interval">
    <option value="10">every 10 s</option><option value="30" selected>every 30 s</option><option value="60">every 60 s</option><option value="0">paused</option>
  </select>
  <button id="reload" type="button">Refresh now</button>
  <button id="keybtn" type="button">API key</button>
</header>
<main>
  <div class="keybox" id="keybox">
    <span id="keymsg">This service requires an API key with <b>read</b> scope. It is kept in this tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>.</span>
    <input id="key" type="password" autocomplete="off" placeholder="gs_…" aria-label="API key">
    <button id="keysave" type="button">Use key</button>
    <button id="keyclear" type="button">Forget</button>
  </div>
  <div id="banners"></div>
  <section class="kpis" id="kpis" aria-label="Key figures"></section>
  <div class="grid">
    <section class="card span-7" id="anomalies"><h2>Anomalies</h2><p class="hint">Open anomalies first, then those resolved in the last 7 days.</p><div class="body"></div></section>
    <section class="card span-5" id="health"><h2>System health</h2><p class="hint">Database, migrations, worker pool and scheduled jobs.</p><div class="body"></div></section>
    <section class="card span-7" id="accuracy"><h2>Hit rate over time</h2><p class="hint">Published signals with a final outcome, by the day of the signal's bar (UTC). Line: hit rate over the trailing 90 days; bars: outcomes per day.</p><div class="body"></div></section>
    <section class="card span-5" id="providers"><h2>Providers</h2><p class="hint">Market-data providers over the last hour. Keys are never shown.</p><div class="body"></div></section>
    <section class="card span-12" id="reliability"><h2>Signal accuracy by strategy</h2><p class="hint">Reliability diagrams: mean calibrated confidence against realised hit rate per confidence bucket (10 buckets). Points on the dashed diagonal are perfectly calibrated; point area and label give the bucket's outcomes.</p><div class="body"></div></section>
    <section class="card span-6" id="funnel"><h2>Filter funnel</h2><p class="hint">Candidate signals reaching each filter layer, and how many it rejected.</p><div class="body"></div></section>
    <section class="card span-6" id="quality"><h2>Data quality by series</h2><p class="hint">Newest quality score of each series (0–100 %), worst first, with the change since the previous report.</p><div class="body"></div></section>
    <section class="card span-12" id="webhooks"><h2>Webhooks</h2><p class="hint">Subscriptions that push signals to clients: messages waiting, deliveries of the last 24 hours, and the subscriptions failing now or disabled, with the recorded reason. URLs and secrets are not shown.</p><div class="body"></div></section>
    <section class="card span-12" id="signals"><h2>Latest signals</h2><p class="hint">Newest published signals by bar time.</p><div class="body"></div></section>
  </div>
  <footer id="foot">Data: <code>GET /api/v1/monitoring/dashboard</code> · metrics: <a href="/metrics">/metrics</a> · spec: <a href="/openapi.yaml">/openapi.yaml</a></footer>
</main>
<script>
"use strict";
(function () {
  var API = "/api/v1/monitoring/dashboard";
  var SVGNS = "http://www.w3.org/2000/svg";
  var timer = null, last = null;

  // ---------- small helpers ----------
  function $(id) { return document.getElementById(id); }
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    add(e, kids);
    return e;
  }
  function s(tag, attrs, kids) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    add(e, kids);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") e.textContent = v; else if (k === "html") e.innerHTML = v; else e.setAttribute(k, v);
    });
  }
  function add(e, kids) {
    if (kids === null || kids === undefined) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === null || k === undefined || k === false) return;
      e.appendChild(typeof k === "string" || typeof k === "number" ? document.createTextNode(String(k)) : k);
    });
  }
  function num(x, d) { return (x === null || x === undefined || !isFinite(x)) ? "—" : Number(x).toLocaleString("en-US", { minimumFractionDigits: d || 0, maximumFractionDigits: d || 0 }); }
  function pct(x, d) { return (x === null || x === undefined || !isFinite(x)) ? "—" : (x * 100).toFixed(d === undefined ? 1 : d) + " %"; }
  function pp(x) { return (x === null || x === undefined || !isFinite(x)) ? "—" : (x * 100).toFixed(1) + " pp"; }
  function count(n, one, many) { return num(n) + " " + (n === 1 ? one : (many || one + "s")); }
  function utc(t) { return t ? t.replace("T", " ").replace(/:\d\dZ$/, " UTC").replace(/Z$/, " UTC") : "—"; }
  function day(t) { return t ? t.slice(0, 10) : "—"; }
  function ago(t) {
    if (!t) return "never";
    var sec = Math.round((Date.now() - Date.parse(t)) / 1000);
    if (sec < 0) sec = 0;
    if (sec < 90) return sec + " s ago";
    if (sec < 5400) return Math.round(sec / 60) + " min ago";
    if (sec < 172800) return Math.round(sec / 3600) + " h ago";
    return Math.round(sec / 86400).toLocaleString("en-US") + " days ago";
  }
  function dur(sec) {
    if (sec === null || sec === undefined) return "—";
    if (sec < 120) return sec + " s";
    if (sec < 7200) return Math.round(sec / 60) + " min";
    if (sec < 172800) return (sec / 3600).toFixed(1) + " h";
    return Math.round(sec / 86400) + " d";
  }
  // Charts are drawn in the pixels of their card, so text keeps its size on a phone.
  function widthOf(id, min) { var b = $(id).querySelector(".body"); return Math.max(min || 300, Math.floor(b.clientWidth || 600)); }
  var resizeTimer = null, lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (last) render(last); }, 150);
  });
  function empty(what, why) { return h("div", { "class": "empty", "data-empty": "true" }, [h("b", { text: what }), " ", why]); }
  function fill(id, kids) { var b = $(id).querySelector(".body"); b.textContent = ""; add(b, kids); }
  // Names may wrap after their underscores (a zero-width space), never inside a word.
  function breakable(name) { return String(name).replace(/_/g, "_\u200b"); }
  function tag(text, cls) { return h("span", { "class": "tag " + (cls || ""), text: text }); }
  function table(head, rows, numeric) {
    var t = h("table");
    var tr = h("tr");
    head.forEach(function (c, i) { var k = numeric && numeric[i]; tr.appendChild(h("th", { "class": typeof k === "string" ? k : k ? "num" : null, text: c })); });
    t.appendChild(h("thead", null, tr));
    var tb = h("tbody");
    rows.forEach(function (r) { tb.appendChild(r); });
    t.appendChild(tb);
    return h("div", { "class": "tbl" }, t);
  }
  function row(cells, attrs) {
    var tr = h("tr", attrs);
    cells.forEach(function (c) {
      if (c && c.nodeType) tr.appendChild(c.tagName === "TD" ? c : h("td", null, c));
      else tr.appendChild(h("td", null, c === null || c === undefined ? "—" : String(c)));
    });
    return tr;
  }
  function td(text, cls, attrs) { var e = h("td", attrs); e.className = cls || ""; add(e, text); return e; }
  function fact(k, v, sub, attrs) { return h("div", Object.assign({ "class": "fact" }, attrs || {}), [h("div", { "class": "k", text: k }), h("div", { "class": "v" }, v), sub ? h("div", { "class": "s", text: sub }) : null]); }
  function stateClass(st) { return ({ ok: "ok", up: "ok", up_to_date: "ok", on_time: "ok", closed: "ok", degraded: "warn", pending: "warn", late: "warn", half_open: "warn", not_run_yet: "", off: "", down: "bad", open: "bad", failed: "bad" })[st] || ""; }

  // ---------- key handling ----------
  function key() { try { return sessionStorage.getItem("gs-api-key") || ""; } catch (e) { return ""; } }
  function showKey(msg) { $("keybox").classList.add("show"); if (msg) $("keymsg").textContent = msg; }
  $("keybtn").addEventListener("click", function () { $("keybox").classList.toggle("show"); });
  $("keysave").addEventListener("click", function () {
    try { sessionStorage.setItem("gs-api-key", $("key").value.trim()); } catch (e) {}
    $("key").value = ""; $("keybox").classList.remove("show"); load();
  });
  $("keyclear").addEventListener("click", function () { try { sessionStorage.removeItem("gs-api-key"); } catch (e) {} load(); });

  // ---------- loading ----------
  function schedule() {
    if (timer) clearTimeout(timer);
    var every = Number($("every").value);
    if (every > 0) timer = setTimeout(load, every * 1000);
  }
  $("every").addEventListener("change", schedule);
  $("reload").addEventListener("click", load);

  function banner(kind, text) { $("banners").appendChild(h("div", { "class": "banner " + kind, role: kind === "error" ? "alert" : null, text: text })); }

  function load() {
    var headers = { "Accept": "application/json" };
    var k = key();
    if (k) headers["Authorization"] = "Bearer " + k;
    return fetch(API, { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 401 || r.status === 403) {
        showKey(r.status === 401 ? "This service requires an API key with read scope (HTTP 401). Enter one; it is kept in this tab only." : "This key lacks read scope (HTTP 403). Enter a key with read scope.");
        throw new Error("the dashboard API refused the request (HTTP " + r.status + ")");
      }
      if (!r.ok) throw new Error("the dashboard API answered HTTP " + r.status);
      return r.json();
    }).then(function (d) {
      last = d;
      render(d);
      $("updated").textContent = "updated " + new Date().toISOString().slice(11, 19) + " UTC";
      document.body.setAttribute("data-loaded", String(Date.now()));
    }).catch(function (e) {
      $("banners").textContent = "";
      banner("error", "Could not load the dashboard: " + e.message + ". Figures below are from the last successful load" + (last ? " (" + utc(last.generated_at) + ")." : "; there was none."));
      setStatus("down", "unreachable");
    }).then(schedule);
  }

  function setStatus(st, text) {
    var p = $("status");
    p.className = "pill " + (st === "ok" ? "ok" : st === "degraded" ? "warn" : st === "down" ? "bad" : "idle");
    p.textContent = text || st;
    p.setAttribute("data-status", st);
  }

  // ---------- rendering ----------
  function render(d) {
    $("banners").textContent = "";
    var hs = d.system_health || {};
    setStatus(hs.status || "unknown", "system " + (hs.status || "unknown"));
    if (d.demo) banner("demo", "Demo data: the demo universe is active. Its symbols' bars are generated by the service (not market data) and are marked “demo” below.");
    if (hs.status === "down") {
      banner("error", "The database does not answer: only process figures are shown. Everything else needs the database.");
    }
    renderKpis(d);
    renderHealth(hs);
    renderAccuracy(d.signal_accuracy);
    renderReliability(d.signal_accuracy);
    renderFunnel(d.funnel);
    renderQuality(d.data_quality);
    renderAnomalies(d.anomalies, d.anomaly_counts);
    renderProviders(d.providers);
    renderWebhooks(d.webhooks);
    renderSignals(d.latest_signals);
  }

  function kpi(label, value, unit, sub, name, raw) {
    return h("div", { "class": "kpi", "data-kpi": name, "data-value": raw === undefined || raw === null ? "" : String(raw) },
      [h("div", { "class": "label", text: label }), h("div", { "class": "value" }, [value, unit ? h("small", { text: unit }) : null]), h("div", { "class": "sub", text: sub || "" })]);
  }

  function renderKpis(d) {
    var k = $("kpis"); k.textContent = "";
    var acc = d.signal_accuracy, o = acc && acc.overall;
    var f = d.funnel, ac = d.anomaly_counts, q = d.data_quality, hs = d.system_health || {};
    var n = o ? o.n : 0;
    add(k, [
      kpi("Hit rate", n ? (o.hit_rate * 100).toFixed(1) : "—", n ? "%" : "", n ? count(n, "final outcome") : "no final outcomes yet", "hit_rate", n ? o.hit_rate : null),
      kpi("Calibration error", n ? (o.calibration_error * 100).toFixed(1) : "—", n ? "pp" : "", n ? "ECE, calibrated confidence" : "no final outcomes yet", "calibration_error", n ? o.calibration_error : null),
      kpi("Open anomalies", ac ? num(ac.open) : "—", "", ac ? (ac.open ? Object.keys(ac.open_by_kind).map(function (x) { return x.replace(/_/g, " "); }).join(", ") : "none open") : "needs the database", "anomalies_open", ac ? ac.open : null),
      kpi("Published", f ? num(f.published) : "—", f ? "signals" : "", f ? "of " + count(f.candidates, "candidate") + (f.candidates ? " (" + pct(f.published / f.candidates) + ")" : "") : "needs the database", "published", f ? f.published : null),
      kpi("Worst data quality", q && q.series.length ? (q.series[0].score * 100).toFixed(1) : "—", q && q.series.length ? "%" : "", q && q.series.length ? q.series[0].symbol + " " + q.series[0].timeframe : "no quality reports yet", "worst_quality", q && q.series.length ? q.series[0].score : null),
      kpi("Database", hs.database ? (hs.database.status === "up" ? num(hs.database.latency_ms, 1) : "down") : "—", hs.database && hs.database.status === "up" ? "ms" : "", hs.database ? hs.database.mode + " · uptime " + dur(hs.uptime_seconds) : "", "db_latency_ms", hs.database ? hs.database.latency_ms : null)
    ]);
  }

  function renderHealth(hs) {
    if (!hs || !hs.database) { fill("health", empty("No health figures.", "The API answered without them.")); return; }
    var db = hs.database, m = hs.migrations || {}, wp = hs.worker_pool;
    var facts = h("div", { "class": "facts" }, [
      fact("Database", [tag(db.status, stateClass(db.status)), " ", db.status === "up" ? num(db.latency_ms, 1) + " ms" : ""], db.mode + " · pool " + db.pool.in_use + "/" + db.pool.open + " in use, " + db.pool.waiting + " waiting", { "data-fact": "database" }),
      fact("Migrations", [tag(m.status === "up_to_date" ? "up to date" : m.status || "unknown", stateClass(m.status))], m.applied !== undefined ? m.applied + " applied · " + m.pending + " pending" : "state unknown", { "data-fact": "migrations" }),
      fact("Worker pool", wp ? num(wp.saturation * 100, 0) + " %" : "—", wp ? wp.busy + "/" + wp.threads + " busy · " + wp.queued + " queued · " + num(wp.refused) + " refused" : "server not started", { "data-fact": "workers" }),
      fact("Uptime", dur(hs.uptime_seconds), "since process start", { "data-fact": "uptime" })
    ]);
    var jobs = (hs.jobs || []).map(function (j) {
      return row([h("span", { "class": "mono", text: j.job }), tag(j.state.replace(/_/g, " "), stateClass(j.state)),
        td(j.interval_seconds > 0 ? dur(j.interval_seconds) : "off", "num"), td(j.last_started_at ? ago(j.last_started_at) : "never", "num"),
        td(j.last_status || "—", ""), td(j.lag_seconds === null ? "—" : dur(j.lag_seconds), "num")], { "data-job": j.job });
    });
    fill("health", [facts, jobs.length ? table(["Job", "State", "Every", "Last run", "Result", "Lag"], jobs, [0, 0, 1, 1, 0, 1]) : empty("No scheduled jobs.", "")]);
  }

  function renderAccuracy(acc) {
    if (!acc) { fill("accuracy", empty("No accuracy figures.", "The database did not answer.")); return; }
    var daily = acc.daily || [];
    if (!daily.length) {
      fill("accuracy", empty("No final outcomes yet.", "A signal's hit or miss is known once its horizon has passed in stored bars; outcomes are scored by the evaluate job (or `goldensignals evaluate`)."));
      return;
    }
    var W = widthOf("accuracy", 300), H = Math.round(Math.min(260, Math.max(190, W * 0.36))), L = 40, R = 34, T = 10, B = 24;
    var t0 = Date.parse(daily[0].date), t1 = Date.parse(daily[daily.length - 1].date), span = Math.max(1, t1 - t0);
    var n = daily.length, maxN = Math.max.apply(null, daily.map(function (d) { return d.n; }));
    var x = function (d) { return L + (n === 1 ? (W - L - R) / 2 : (Date.parse(d.date) - t0) / span * (W - L - R)); };
    var y = function (v) { return T + (1 - v) * (H - T - B); };
    var yn = function (v) { return H - B - (v / maxN) * (H - T - B) * 0.3; };
    var g = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "Hit rate over time", "data-chart": "hit-rate" });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (v) {
      g.appendChild(s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#eef0f3" }));
      g.appendChild(s("text", { x: L - 6, y: y(v) + 3, "text-anchor": "end", text: (v * 100) + " %" }));
    });
    g.appendChild(s("text", { x: W - R + 5, y: H - B + 3, text: "0" }));
    g.appendChild(s("text", { x: W - R + 5, y: yn(maxN) + 3, text: num(maxN) }));
    // Year (or month) ticks on the time axis.
    var years = span > 400 * 864e5, first = new Date(t0), ticks = [];
    var tk = years ? Date.UTC(first.getUTCFullYear() + 1, 0, 1) : Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1);
    while (tk <= t1) { ticks.push(tk); var dt = new Date(tk); tk = years ? Date.UTC(dt.getUTCFullYear() + 1, 0, 1) : Date.UTC(dt.getUTCFullYear(), dt.getUTCMonth() + 1, 1); }
    var every = Math.ceil(ticks.length / Math.max(2, Math.floor((W - L - R) / 70)));
    ticks.forEach(function (t, i) {
      if (i % every) return;
      var xx = L + (t - t0) / span * (W - L - R);
      g.appendChild(s("line", { x1: xx, x2: xx, y1: T, y2: H - B, stroke: "#f3f4f6" }));
      g.appendChild(s("text", { x: xx, y: H - 8, "text-anchor": "middle", text: years ? String(new Date(t).getUTCFullYear()) : new Date(t).toISOString().slice(0, 7) }));
    });
    var bw = Math.max(1, Math.min(6, (W - L - R) / Math.max(n, 1) * 0.6));
    daily.forEach(function (d) {
      g.appendChild(s("rect", { x: x(d) - bw / 2, y: yn(d.n), width: bw, height: H - B - yn(d.n), fill: "#c9d6f6", "data-date": d.date, "data-n": d.n }, s("title", { text: d.date + ": " + count(d.n, "outcome") + ", hit rate " + pct(d.hit_rate) })));
    });
    var o = acc.overall;
    g.appendChild(s("line", { x1: L, x2: W - R, y1: y(o.hit_rate), y2: y(o.hit_rate), stroke: "#1b7f4b", "stroke-dasharray": "4 3" }));
    g.appendChild(s("path", { d: daily.map(function (d, i) { return (i ? "L" : "M") + x(d).toFixed(1) + " " + y(d.hit_rate_90d).toFixed(1); }).join(" "), fill: "none", stroke: "#2557d6", "stroke-width": 1.8, "stroke-linejoin": "round" }));
    daily.forEach(function (d) {
      g.appendChild(s("circle", { cx: x(d), cy: y(d.hit_rate_90d), r: n > 60 ? 1.4 : 3, fill: "#2557d6", "data-point": "hit-rate-90d", "data-date": d.date, "data-value": d.hit_rate_90d }, s("title", { text: d.date + ": hit rate " + pct(d.hit_rate_90d) + " over the 90 days to this one (" + count(d.n_90d, "outcome") + ")" })));
    });
    var lastDay = daily[n - 1];
    fill("accuracy", [h("div", { "class": "facts" }, [
        fact("Overall hit rate", pct(o.hit_rate), count(o.n, "final outcome")),
        fact("Last 90 days", pct(lastDay.hit_rate_90d), count(lastDay.n_90d, "outcome") + " to " + lastDay.date),
        fact("Calibration error", pp(o.calibration_error), "ECE, 10 bins"),
        fact("Brier score", num(o.brier, 3), "lower is better")]),
      g,
      h("div", { "class": "legend" }, [h("span", null, [h("i", { style: "background:#2557d6" }), "trailing 90-day hit rate (%)"]), h("span", null, [h("i", { style: "background:#c9d6f6" }), "outcomes per day (right scale, count)"]), h("span", null, [h("i", { style: "background:#1b7f4b" }), "overall hit rate"]), h("span", { text: daily[0].date + " → " + lastDay.date + ", " + n + " days with outcomes" })])]);
  }

  function renderReliability(acc) {
    var list = acc ? (acc.by_strategy || []).filter(function (x) { return x.n > 0; }) : [];
    if (!list.length) {
      fill("reliability", empty("No reliability diagram yet.", "It needs published signals with final outcomes; none are stored. Import bars, generate signals, and let the evaluate job score them."));
      return;
    }
    var wrap = h("div", { "class": "smalls" });
    list.forEach(function (st) {
      var W = 240, H = 210, L = 34, R = 10, T = 8, B = 30;
      var x = function (v) { return L + v * (W - L - R); }, y = function (v) { return T + (1 - v) * (H - T - B); };
      var maxN = Math.max.apply(null, st.reliability.map(function (b) { return b.n; }).concat([1]));
      var g = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Reliability of " + st.strategy, "data-chart": "reliability", "data-strategy": st.strategy });
      [0, 0.5, 1].forEach(function (v) {
        g.appendChild(s("line", { x1: x(0), x2: x(1), y1: y(v), y2: y(v), stroke: "#eef0f3" }));
        g.appendChild(s("line", { x1: x(v), x2: x(v), y1: y(0), y2: y(1), stroke: "#eef0f3" }));
        g.appendChild(s("text", { x: L - 4, y: y(v) + 3, "text-anchor": "end", text: (v * 100) + "%" }));
        g.appendChild(s("text", { x: x(v), y: H - B + 12, "text-anchor": "middle", text: (v * 100) + "%" }));
      });
      g.appendChild(s("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: "#9aa5b1", "stroke-dasharray": "4 3", "data-diagonal": "true" }));
      g.appendChild(s("text", { x: x(0.5), y: H - 3, "text-anchor": "middle", text: "mean confidence (%)" }));
      g.appendChild(s("text", { x: 8, y: y(0.5), "text-anchor": "middle", transform: "rotate(-90 8 " + y(0.5) + ")", text: "hit rate (%)" }));
      var pts = st.reliability.slice().sort(function (a, b) { return a.mean_confidence - b.mean_confidence; });
      g.appendChild(s("path", { d: pts.map(function (b, i) { return (i ? "L" : "M") + x(b.mean_confidence).toFixed(1) + " " + y(b.hit_rate).toFixed(1); }).join(" "), fill: "none", stroke: "#2557d6", "stroke-width": 1.5 }));
      var placed = [];
      pts.slice().sort(function (a, b) { return b.n - a.n; }).forEach(function (b) {
        var r = 2.5 + 7 * Math.sqrt(b.n / maxN);
        g.appendChild(s("circle", { cx: x(b.mean_confidence), cy: y(b.hit_rate), r: r.toFixed(1), fill: "rgba(37,87,214,.22)", stroke: "#2557d6", "data-bucket": b.lo, "data-n": b.n, "data-confidence": b.mean_confidence, "data-hit-rate": b.hit_rate },
          s("title", { text: "confidence " + pct(b.lo, 0) + "–" + pct(b.hi, 0) + ": mean " + pct(b.mean_confidence) + ", hit rate " + pct(b.hit_rate) + ", " + count(b.n, "outcome") })));
        // Bucket sizes as labels, where they do not collide with one already placed (the title always has it).
        var lx = x(b.mean_confidence) + r + 2, ly = y(b.hit_rate) - r, lw = 6 + 5 * String(b.n).length;
        if (!placed.some(function (p) { return Math.abs(p[0] - lx) < lw && Math.abs(p[1] - ly) < 10; })) {
          placed.push([lx, ly]);
          g.appendChild(s("text", { x: lx, y: ly, text: "n=" + b.n, style: "font-size:9px" }));
        }
      });
      wrap.appendChild(h("div", { "class": "small" }, [h("h3", { text: st.strategy }), h("div", { "class": "s", text: count(st.n, "outcome") + " · hit " + pct(st.hit_rate) + " · ECE " + pp(st.calibration_error) }), g]));
    });
    var rows = (acc.by_strategy || []).map(function (st) {
      var worst = st.calibration_error > 0.1 ? "bad" : st.calibration_error > 0.05 ? "warn" : "ok";
      return row([h("span", { "class": "mono", text: breakable(st.strategy) }), td(num(st.n), "num"), td(pct(st.hit_rate), "num"), td([tag(pp(st.calibration_error), worst)], "num"), td(num(st.brier, 3), "num hide-sm")], { "data-strategy": st.strategy, "data-hit-rate": st.hit_rate, "data-n": st.n });
    });
    fill("reliability", [wrap, table(["Strategy", "Outcomes", "Hit rate", "Calib. error (ECE)", "Brier score"], rows, [0, 1, 1, 1, "num hide-sm"]),
      h("p", { "class": "hint", style: "margin-top:8px", text: "Confidence is calibrated out of sample (calibration version " + acc.calibration_version + " is the newest); calibration error under 5 pp is shown green, over 10 pp red." })]);
  }

  function renderFunnel(f) {
    if (!f) { fill("funnel", empty("No funnel.", "The database did not answer.")); return; }
    if (!f.candidates) { fill("funnel", empty("No candidate signals yet.", "Candidates appear when signals are generated over stored bars (on import, upload or ingestion, or `goldensignals generate`).")); return; }
    var layers = f.layers || [];
    var W = widthOf("funnel", 300), rowH = 26, L = W < 420 ? 118 : 140, R = W < 420 ? 84 : 110, H = (layers.length + 1) * rowH + 8;
    var x = function (v) { return L + (v / f.candidates) * (W - L - R); };
    var g = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "Filter funnel", "data-chart": "funnel" });
    layers.forEach(function (l, i) {
      var yy = 4 + i * rowH;
      g.appendChild(s("text", { x: L - 8, y: yy + 15, "text-anchor": "end", text: l.layer.replace(/_/g, " "), style: "font-size:" + (W < 420 ? 10 : 11) + "px;fill:#17202a" }));
      g.appendChild(s("rect", { x: L, y: yy + 3, width: Math.max(0.5, x(l.passed) - L), height: rowH - 8, fill: "#2557d6", rx: 2, "data-layer": l.layer, "data-passed": l.passed, "data-rejected": l.rejected, "data-reached": l.reached }, s("title", { text: l.layer + ": " + count(l.reached, "candidate") + " reached, " + num(l.passed) + " passed, " + num(l.rejected) + " rejected" })));
      if (l.rejected > 0) g.appendChild(s("rect", { x: x(l.passed), y: yy + 3, width: Math.max(0.5, x(l.reached) - x(l.passed)), height: rowH - 8, fill: "#f0a8a3", rx: 2 }));
      g.appendChild(s("text", { x: Math.max(x(l.reached), L) + 6, y: yy + 15, text: "−" + num(l.rejected) + " (" + (l.reached ? pct(l.rejected / l.reached, 0) : "0 %") + ")", style: "font-size:10px" }));
    });
    var yy = 4 + layers.length * rowH;
    g.appendChild(s("text", { x: L - 8, y: yy + 15, "text-anchor": "end", text: "published", style: "font-size:11px;font-weight:600;fill:#17202a" }));
    g.appendChild(s("rect", { x: L, y: yy + 3, width: Math.max(0.5, x(f.published) - L), height: rowH - 8, fill: "#1b7f4b", rx: 2, "data-layer": "published", "data-passed": f.published }));
    g.appendChild(s("text", { x: x(f.published) + 6, y: yy + 15, text: num(f.published) + " (" + pct(f.published / f.candidates) + ")", style: "font-size:10px" }));
    fill("funnel", [h("div", { "class": "facts" }, [fact("Candidates", num(f.candidates), "signals proposed by strategies"), fact("Published", num(f.published), pct(f.published / f.candidates) + " of candidates")]), g,
      h("div", { "class": "legend" }, [h("span", null, [h("i", { style: "background:#2557d6" }), "passed (count)"]), h("span", null, [h("i", { style: "background:#f0a8a3" }), "rejected by the layer (count, share of those reaching it)"])])]);
  }

  function renderQuality(q) {
    if (!q) { fill("quality", empty("No quality figures.", "The database did not answer.")); return; }
    var list = q.series || [];
    if (!list.length) { fill("quality", empty("No quality reports yet.", "A series gets a report when bars are imported, uploaded or ingested.")); return; }
    var W = widthOf("quality", 300), rowH = 24, L = W < 420 ? 92 : 110, R = W < 420 ? 112 : 150, H = list.length * rowH + 24;
    var x = function (v) { return L + v * (W - L - R); };
    var g = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "Data quality by series", "data-chart": "quality" });
    [0, 0.5, 0.9, 1].forEach(function (v) {
      g.appendChild(s("line", { x1: x(v), x2: x(v), y1: 0, y2: H - 18, stroke: v === 0.9 ? "#f2c38a" : "#eef0f3", "stroke-dasharray": v === 0.9 ? "3 3" : null }));
      if (v !== 0.9) g.appendChild(s("text", { x: x(v), y: H - 4, "text-anchor": "middle", text: (v * 100) + " %" }));
    });
    list.forEach(function (r, i) {
      var yy = i * rowH;
      var color = r.score >= 0.9 ? "#1b7f4b" : r.score >= 0.7 ? "#d08a1b" : "#c0322b";
      g.appendChild(s("text", { x: L - 8, y: yy + 15, "text-anchor": "end", text: r.symbol + " " + r.timeframe + (r.demo ? " (demo)" : ""), style: "font-size:11px;fill:#17202a" }));
      g.appendChild(s("rect", { x: L, y: yy + 4, width: Math.max(0.5, x(r.score) - L), height: rowH - 9, fill: color, rx: 2, "data-series": r.symbol + " " + r.timeframe, "data-score": r.score },
        s("title", { text: r.symbol + " " + r.timeframe + ": " + pct(r.score) + " over " + count(r.bars_checked, "bar") + ", " + count(r.issues_total, "issue") + (r.failing_checks.length ? "; failing: " + r.failing_checks.join(", ") : "") })));
      var ch = r.change === null ? "first report" : (r.change === 0 ? "unchanged" : (r.change > 0 ? "+" : "−") + Math.abs(r.change * 100).toFixed(1) + " pp");
      g.appendChild(s("text", { x: x(1) + 6, y: yy + 15, text: pct(r.score) + " · " + ch, style: "font-size:10px" }));
    });
    var changes = [];
    list.forEach(function (r) {
      (r.changed_checks || []).forEach(function (c) { changes.push(row([r.symbol + " " + r.timeframe, h("span", { "class": "mono", text: c.check }), td(num(c.before) + " → " + num(c.after), "num")])); });
    });
    fill("quality", [g, h("div", { "class": "legend" }, [h("span", null, [h("i", { style: "background:#1b7f4b" }), "≥ 90 % (dashed line)"]), h("span", null, [h("i", { style: "background:#d08a1b" }), "70–90 %"]), h("span", null, [h("i", { style: "background:#c0322b" }), "< 70 %"]), h("span", { text: "showing " + list.length + " of " + q.series_total + " series" })]),
      h("div", { style: "height:10px" }),
      changes.length ? table(["Series", "Check", "Findings before → after"], changes.slice(0, 12), [0, 0, 1]) : h("p", { "class": "hint", text: "What changed: no check's count changed since each series' previous report." })]);
  }

  function renderAnomalies(list, counts) {
    if (!list) { fill("anomalies", empty("No anomaly list.", "The database did not answer.")); return; }
    if (!list.length) { fill("anomalies", empty("No anomalies open or recently resolved.", "The detector checks providers, stale data, price jumps, strategy accuracy, HTTP latency and errors, and database reachability on its schedule.")); return; }
    fill("anomalies", list.slice(0, 30).map(function (a) {
      var sev = a.status === "open" ? (a.severity === "critical" ? "bad" : a.severity === "warning" ? "warn" : "") : "ok";
      var det = Object.keys(a.details || {}).map(function (k) { var v = a.details[k]; return k + "=" + (typeof v === "number" ? (Math.abs(v) < 1 && v !== 0 ? v.toFixed(3) : num(v, Number.isInteger(v) ? 0 : 2)) : v); }).join(" · ");
      return h("div", { "class": "anom", "data-anomaly": a.kind, "data-status": a.status, "data-subject": a.subject }, [
        h("div", null, tag(a.status === "open" ? a.severity : "resolved", sev)),
        h("div", { style: "min-width:0" }, [h("div", { "class": "what", text: a.kind.replace(/_/g, " ") + " · " + a.subject }),
          h("div", { "class": "when", text: "first " + utc(a.first_seen) + " · last " + ago(a.last_seen) + (a.resolved_at ? " · resolved " + ago(a.resolved_at) : "") + " · seen " + count(a.occurrences, "time") }),
          h("div", { "class": "det", text: det })])
      ]);
    }));
  }

  function renderProviders(list) {
    if (!list) { fill("providers", empty("No provider figures.", "The database did not answer.")); return; }
    if (!list.length) { fill("providers", empty("No providers known.", "")); return; }
    var configured = list.filter(function (p) { return p.configured; });
    var ordered = configured.concat(list.filter(function (p) { return !p.configured; }));
    var rows = ordered.map(function (p) {
      var rl = p.rate_limit;
      return row([h("span", { "class": "mono", text: p.provider }),
        p.configured ? tag(p.circuit ? p.circuit.replace("_", " ") : "configured", p.circuit === "closed" ? "ok" : stateClass(p.circuit)) : tag("no key", ""),
        td([num(p.calls_1h), h("div", { "class": "sub", text: p.calls_1h ? pct(p.success_rate_1h) + " ok" : "" })], "num"),
        td(p.latency_ms_p50 === null ? "—" : num(p.latency_ms_p50, 0) + " / " + num(p.latency_ms_p95, 0) + " ms", "num hide-sm"),
        td(rl ? [pct(rl.headroom, 0), h("div", { "class": "sub", text: num(rl.requests) + " per " + dur(rl.per_seconds) })] : "—", "num")],
        { "data-provider": p.provider, "data-success-rate": p.success_rate_1h === null ? "" : p.success_rate_1h });
    });
    fill("providers", [configured.length ? null : empty("No provider is configured.", "Ingestion needs provider keys in the environment (see the README); imported and uploaded data still work."),
      table(["Provider", "Circuit", "Calls 1 h", "p50 / p95", "Headroom"], rows, [0, 0, 1, "num hide-sm", 1]),
      h("p", { "class": "hint", style: "margin-top:8px", text: "Calls, success and latency over the last hour; headroom is the share of the rate limit (all keys) left in its current window." })]);
  }

  function renderWebhooks(wh) {
    if (!wh) { fill("webhooks", empty("No webhook figures.", "The database did not answer.")); return; }
    if (!wh.subscriptions) { fill("webhooks", empty("No webhook subscriptions.", "Clients subscribe with POST /api/v1/webhooks to have new, rescored and closed signals pushed to them, signed per the Standard Webhooks specification.")); return; }
    var facts = h("div", { "class": "facts" }, [
      fact("Subscriptions", num(wh.subscriptions), wh.enabled + " enabled · " + wh.disabled + " disabled", { "data-fact": "webhook-subscriptions", "data-value": wh.subscriptions }),
      fact("Failing now", num(wh.failing), wh.failing ? "enabled, their last deliveries failed" : "every enabled one delivers", { "data-fact": "webhook-failing", "data-value": wh.failing }),
      fact("Waiting", num(wh.pending_messages), count(wh.pending_messages, "message") + " not delivered yet", { "data-fact": "webhook-pending", "data-value": wh.pending_messages }),
      fact("Last 24 h", num(wh.delivered_24h) + " delivered", count(wh.failed_attempts_24h, "failed attempt"), { "data-fact": "webhook-24h", "data-value": wh.delivered_24h })
    ]);
    var rows = (wh.attention || []).map(function (x) {
      return row([h("span", { "class": "mono", text: x.id.slice(0, 8) }), tag(x.state, x.state === "disabled" ? "bad" : "warn"),
        td(x.events.join(", "), "hide-sm"), td(x.since ? ago(x.since) : "—", "num"),
        td(x.last_status === null ? (x.last_attempt_at ? "no answer" : "—") : String(x.last_status), "num"), td(x.reason || "", "hide-sm")],
        { "data-webhook": x.id, "data-state": x.state });
    });
    fill("webhooks", [facts, rows.length ? table(["Subscription", "State", "Events", "Since", "Last status", "Reason"], rows, [0, 0, "hide-sm", 1, 1, "hide-sm"])
                                          : empty("Every subscription delivers.", "None is failing or disabled.")]);
  }

  function renderSignals(list) {
    if (!list) { fill("signals", empty("No signals.", "The database did not answer.")); return; }
    if (!list.length) { fill("signals", empty("No published signals yet.", "Signals are published when a candidate passes every filter layer; see the funnel for where candidates stop.")); return; }
    var rows = list.map(function (g) {
      return row([td(day(g.timestamp), "mono"), td([h("b", { text: g.symbol }), g.demo ? " " : null, g.demo ? tag("demo", "demo") : null], "sym"), td(g.timeframe, "hide-sm"),
        h("span", { "class": "mono", text: breakable(g.strategy) }), tag(g.action, g.action === "BUY" ? "buy" : "sell"),
        td(pct(g.confidence), "num"), td(num(g.price, g.price < 10 ? 4 : 2), "num"), td(g.stop_loss === null ? "—" : num(g.stop_loss, 2) + " / " + num(g.take_profit, 2), "num hide-sm"),
        tag(g.status, g.status === "active" ? "ok" : ""), td(g.reason || "", "hide-sm")], { "data-signal": g.id, "data-confidence": g.confidence });
    });
    fill("signals", table(["Bar (UTC)", "Symbol", "TF", "Strategy", "Action", "Confidence", "Price", "Stop / target", "Status", "Reason"], rows, [0, 0, "hide-sm", 0, 0, 1, 1, "num hide-sm", 0, "hide-sm"]));
  }

  load();
})();
</script>
</body>
</html>
"""#
}
