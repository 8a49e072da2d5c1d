/* gex-mcp dashboard: one page, two ways in.
 *
 * mode "rest": a browser tab served at / by `gex-mcp serve --transport http`; data comes from
 *   the REST API (/v1/exposure/...), with an X-Api-Key when the server asks for one.
 * mode "app": the MCP App `ui://gex/dashboard` rendered by an agent host in an iframe; the
 *   host hands over the tool result that opened it, and data comes from tools/call through the
 *   host bridge (JSON-RPC 2.0 over postMessage, ext-apps protocol 2026-01-26).
 *
 * Both transports answer call(endpoint, args) with the endpoint's answer as plain records
 * (MCP's compact tables are expanded), so everything below them is one code path.
 * The numbers are the server's: this file only windows, bins (sums of adjacent strikes) and
 * formats them. State for tests and debugging: window.gexDashboard.
 */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("gex-config").textContent);
  var APP_PROTOCOL = "2026-01-26";
  var PER_STRIKE = { gex: "GEX", dex: "DEX", vex: "VEX", chex: "CHEX" };
  var UNITS = {
    gex: "USD of dealer delta per 1% move", dex: "USD of dealer delta",
    vex: "USD of delta per vol point", chex: "USD of delta per day",
  };
  var LEVELS = [
    ["underlying_price", "Spot", "spot"], ["gamma_flip", "Gamma flip", "gamma_flip"],
    ["call_wall", "Call wall", "call_wall"], ["put_wall", "Put wall", "put_wall"],
    ["max_positive_gamma", "Max +gamma", "max_positive_gamma"],
    ["max_negative_gamma", "Max −gamma", "max_negative_gamma"],
    ["zero_dte_magnet", "0DTE magnet", "zero_dte_magnet"], ["highest_oi_strike", "Highest OI", null],
  ];
  var REGIME = {
    positive_gamma: "▲ Positive gamma", negative_gamma: "▼ Negative gamma",
    neutral: "◆ Neutral (near the flip)", unknown: "? Regime unknown",
  };
  var OLD_AFTER_SECONDS = 24 * 3600;

  var state = {
    mode: CONFIG.mode, symbol: (CONFIG.symbol || "SPY").toUpperCase(), expiration: "", minOi: 0,
    windowPct: 5, metric: "gex", answers: {}, errors: {}, chart: null, markers: [],
    lastRegime: {}, scan: null, seq: 0, timer: null, loads: 0,
  };
  window.gexDashboard = state;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- formatting ------------------------------------------------------------------------

  function fmtAmount(v) {
    if (v === null || v === undefined || !isFinite(v)) return "n/a";
    var a = Math.abs(v), units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (var i = 0; i < units.length; i++) {
      if (a >= units[i][0]) return (v / units[i][0]).toFixed(a / units[i][0] >= 100 ? 0 : 2) + units[i][1];
    }
    return v.toFixed(0);
  }
  function fmtPrice(v) {
    if (v === null || v === undefined || !isFinite(v)) return "n/a";
    return Math.abs(v - Math.round(v)) < 1e-9 ? String(Math.round(v)) : v.toFixed(2);
  }
  function fmtAge(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 90) return Math.round(seconds) + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    if (seconds < 2 * 86400) return (seconds / 3600).toFixed(1) + " h";
    return Math.round(seconds / 86400) + " days";
  }
  function legendAmount(u, v) { return v === null || v === undefined ? "" : fmtAmount(v); }
  /** A time as the market reads it: New York wall clock, "2023-09-14 16:15 ET". */
  var NEW_YORK = new Intl.DateTimeFormat("en-CA", {
    timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false });
  function fmtTime(iso) {
    var parts = {};
    NEW_YORK.formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute + " ET";
  }
  /** The one distance convention: (level - spot) / spot x 100, + when the level is above spot. */
  function pctFromSpot(level, spot) { return (level - spot) / spot * 100; }
  function signedPct(p) { return (p >= 0 ? "+" : "−") + Math.abs(p).toFixed(2) + "%"; }

  // ---- transports ------------------------------------------------------------------------

  /** MCP answers list records as {columns, rows}; expand them back to objects. */
  function expandTables(value) {
    if (Array.isArray(value)) return value.map(expandTables);
    if (value && typeof value === "object") {
      if (Array.isArray(value.columns) && Array.isArray(value.rows) && Object.keys(value).length === 2) {
        return value.rows.map(function (row) {
          var record = {};
          value.columns.forEach(function (c, i) { record[c] = row[i]; });
          return record;
        });
      }
      var out = {};
      Object.keys(value).forEach(function (k) { out[k] = expandTables(value[k]); });
      return out;
    }
    return value;
  }

  function restTransport() {
    return {
      call: function (name, args) {
        var params = new URLSearchParams(), path;
        if (name === "scan") {
          path = "/v1/exposure/scan";
          params.set("symbols", args.symbols.join(","));
        } else {
          path = "/v1/exposure/" + name.replace(/_/g, "-") + "/" + encodeURIComponent(args.symbol);
        }
        Object.keys(args).forEach(function (k) {
          var v = args[k];
          if (k !== "symbol" && k !== "symbols" && v !== undefined && v !== null && v !== "") params.set(k, v);
        });
        var key = sessionStorage.getItem("gex-api-key");
        var query = params.toString();
        return fetch(path + (query ? "?" + query : ""), { headers: key ? { "X-Api-Key": key } : {} })
          .then(function (resp) {
            return resp.json().catch(function () { return null; }).then(function (body) {
              if (resp.status === 401) {
                state.needKey = true;
                throw new Error("This server needs an API key: enter it in the box above.");
              }
              if (!resp.ok) throw new Error((body && body.message) || ("HTTP " + resp.status + " from " + path));
              return body;
            });
          });
      },
    };
  }

  function bridgeTransport() {
    var nextId = 1, pending = {}, handlers = {};
    function post(message) { window.parent.postMessage(message, "*"); }
    window.addEventListener("message", function (event) {
      if (event.source !== window.parent) return;
      var msg = event.data;
      if (!msg || msg.jsonrpc !== "2.0") return;
      if (!msg.method && msg.id !== undefined && pending[msg.id]) {
        var waiting = pending[msg.id];
        delete pending[msg.id];
        if (msg.error) waiting.reject(new Error(msg.error.message || "the host refused the request"));
        else waiting.resolve(msg.result);
      } else if (msg.method) {
        var handler = handlers[msg.method];
        var result = handler ? handler(msg.params || {}) : undefined;
        if (msg.id !== undefined) post({ jsonrpc: "2.0", id: msg.id, result: result || {} });
      }
    });
    function request(method, params) {
      var id = nextId++;
      return new Promise(function (resolve, reject) {
        pending[id] = { resolve: resolve, reject: reject };
        post({ jsonrpc: "2.0", id: id, method: method, params: params });
        setTimeout(function () {
          if (pending[id]) { delete pending[id]; reject(new Error("The host did not answer " + method + " within 60 s.")); }
        }, 60000);
      });
    }
    return {
      on: function (method, handler) { handlers[method] = handler; },
      request: request,
      notify: function (method, params) { post({ jsonrpc: "2.0", method: method, params: params || {} }); },
      call: function (name, args) {
        var toolArgs = {};
        Object.keys(args).forEach(function (k) {
          if (args[k] !== undefined && args[k] !== null && args[k] !== "") toolArgs[k] = args[k];
        });
        if (PER_STRIKE[name]) toolArgs.strikes = "all";
        return request("tools/call", { name: name, arguments: toolArgs }).then(function (result) {
          var text = (result.content || []).filter(function (c) { return c.type === "text"; })
            .map(function (c) { return c.text; }).join(" ");
          if (result.isError) throw new Error(text || (name + " failed"));
          if (!result.structuredContent) throw new Error(name + " returned no structured content");
          return expandTables(result.structuredContent);
        });
      },
    };
  }

  var transport = state.mode === "app" ? bridgeTransport() : restTransport();

  // ---- loading ---------------------------------------------------------------------------

  function settle(jobs) {
    var names = Object.keys(jobs);
    return Promise.all(names.map(function (n) {
      return jobs[n].then(function (v) { return { ok: true, value: v }; },
                          function (e) { return { ok: false, error: e.message || String(e) }; });
    })).then(function (results) {
      var out = {};
      names.forEach(function (n, i) { out[n] = results[i]; });
      return out;
    });
  }

  function refresh() {
    var seq = ++state.seq, symbol = state.symbol;
    var common = { symbol: symbol, expiration: state.expiration || undefined };
    var strikes = { symbol: symbol, expiration: state.expiration || undefined, min_oi: state.minOi || undefined };
    document.body.dataset.status = "loading";
    clearTimeout(state.timer);
    return settle({
      strikes: transport.call(state.metric, strikes),
      levels: transport.call("levels", common),
      summary: transport.call("summary", common),
      profile: transport.call("profile", common),
      expirations: transport.call("expirations", { symbol: symbol }),
    }).then(function (results) {
      if (seq !== state.seq) return;  // a newer request superseded this one
      state.answers = {};
      state.errors = {};
      Object.keys(results).forEach(function (k) {
        if (results[k].ok) state.answers[k] = results[k].value;
        else state.errors[k] = results[k].error;
      });
      render();
      loadHistory(seq, symbol);
      state.loads += 1;
      document.body.dataset.symbol = symbol;
      document.body.dataset.metric = state.metric;
      document.body.dataset.expiration = state.expiration;
      document.body.dataset.minOi = String(state.minOi);
      document.body.dataset.status = Object.keys(state.answers).length ? "ready" : "error";
      schedule();
    });
  }

  function schedule() {
    clearTimeout(state.timer);
    var seconds = Math.max(5, CONFIG.refresh_seconds || 60);
    state.timer = setTimeout(function tick() {
      if (document.hidden) { document.addEventListener("visibilitychange", tick, { once: true }); return; }
      refresh();
      runScan();
    }, seconds * 1000);
  }

  // ---- rendering -------------------------------------------------------------------------

  function main() { return state.answers.levels || state.answers.strikes || state.answers.summary; }

  function render() {
    renderMeta();
    renderBanners();
    renderRegime();
    renderLevels();
    renderExpirations();
    renderStrikeChart();
    renderProfile();
    renderBreakdown();
  }

  function renderMeta() {
    var a = main();
    $("symbol").value = state.symbol;
    if (!a) { $("meta").textContent = state.symbol + ": no data"; return; }
    $("meta").textContent = a.symbol + " · spot " + fmtPrice(a.underlying_price) + " · as of " +
      fmtTime(a.as_of) + " (" + fmtAge(a.age_seconds) + " ago)" +
      (a.retrieved_at ? ", retrieved " + fmtTime(a.retrieved_at) : "") + " · source " + a.source +
      " · refreshes every " + Math.max(5, CONFIG.refresh_seconds || 60) + " s";
    $("footer").textContent = "Dealer model " + a.dealer_model + ". GEX in " + UNITS.gex +
      ". Analytics, not investment advice. gex-mcp " + CONFIG.version + ".";
  }

  function banner(kind, text) {
    var b = el("div", { "class": "banner " + kind, "data-banner": kind }, text);
    $("banners").appendChild(b);
    return b;
  }

  function renderBanners() {
    $("banners").textContent = "";
    var answers = Object.keys(state.answers).map(function (k) { return state.answers[k]; });
    var demo = answers.some(function (a) { return a.is_demo; });
    var stale = answers.filter(function (a) { return a.stale; })[0];
    var a = main();
    if (demo) banner("demo", "Demo data: a synthetic market for trying gex-mcp, not real quotes.");
    if (stale) {
      banner("stale", "Stale: the source failed (" + (stale.stale_reason || "no reason given") +
        "), so these numbers are from the cache, " + fmtAge(stale.stale_age_seconds) + " old.");
    }
    if (a && (a.outdated || a.age_seconds > OLD_AFTER_SECONDS)) {
      banner("old", "Old snapshot: these numbers are as of " + fmtTime(a.as_of) +
        ", " + fmtAge(a.age_seconds) + (a.requested_as_of ? " before the requested time " +
          fmtTime(a.requested_as_of) : " ago") + (a.retrieved_at ?
          " (the market was closed when they were retrieved, " + fmtTime(a.retrieved_at) + ")" : "") + ".");
    }
    // The answer's data-quality notes (partial listing, skipped contracts, carry, ...).
    if (a && a.notes) {
      a.notes.filter(function (n) { return n.indexOf("old snapshot:") !== 0; })
        .forEach(function (n) { banner("note", "Note: " + n); });
    }
    // One banner per distinct message, naming every panel it emptied.
    var byMessage = {};
    Object.keys(state.errors).forEach(function (k) {
      var panel = k === "strikes" ? PER_STRIKE[state.metric] + " by strike" : k;
      (byMessage[state.errors[k]] = byMessage[state.errors[k]] || []).push(panel);
    });
    Object.keys(byMessage).forEach(function (message) { banner("error", byMessage[message].join(", ") + ": " + message); });
    if (state.needKey && state.mode === "rest") keyForm();
  }

  function keyForm() {
    var form = el("div", { "class": "banner error controls", id: "key-form" });
    var input = el("input", { type: "password", id: "api-key", "aria-label": "API key", size: "24" });
    form.appendChild(el("label", {}, "API key "));
    form.lastChild.appendChild(input);
    form.appendChild(el("button", { type: "button", id: "use-key" }, "Use key"));
    $("banners").appendChild(form);
    onEnterOrClick(["api-key"], "use-key", function () {
      sessionStorage.setItem("gex-api-key", input.value);
      state.needKey = false;
      refresh(); runScan();
    });
  }

  function renderRegime() {
    var s = state.answers.summary, badge = $("regime");
    var regime = s ? s.gamma_regime : "unknown";
    badge.className = "badge " + regime;
    badge.dataset.regime = regime;
    badge.textContent = REGIME[regime] || regime;
    $("regime-reason").textContent = s ? s.regime_reason : (state.errors.summary || "");
  }

  function renderLevels() {
    var box = $("levels"), lv = state.answers.levels;
    box.textContent = "";
    if (!lv) { box.appendChild(el("p", { "class": "caption wide" }, "Levels unavailable (see the message above).")); return; }
    var spot = lv.underlying_price;
    LEVELS.forEach(function (spec) {
      var value = lv[spec[0]], card = el("div", { "class": "card", "data-level": spec[0] });
      card.appendChild(el("div", { "class": "name" }, spec[1]));
      card.appendChild(el("div", { "class": "value" }, fmtPrice(value)));
      var dist = "";
      if (spec[0] === "gamma_flip" && lv.gamma_flip_status !== "ok") dist = lv.gamma_flip_reason || lv.gamma_flip_status;
      else if (spec[0] !== "underlying_price" && value !== null && value !== undefined) {
        var p = pctFromSpot(value, spot);
        dist = (p >= 0 ? "+" : "−") + Math.abs(p).toFixed(2) + "% " + (p >= 0 ? "above" : "below") + " spot";
      }
      card.appendChild(el("div", { "class": "dist" }, dist));
      box.appendChild(card);
    });
  }

  function renderExpirations() {
    var select = $("expiration"), ex = state.answers.expirations;
    select.textContent = "";
    if (!ex) { select.appendChild(el("option", { value: "" }, "All expiries")); return; }
    var all = el("option", { value: "" }, "All expiries");
    select.appendChild(all);
    // An index date listed with both AM and PM roots is one choice (the argument is a date).
    var byDate = {}, dates = [];
    ex.expirations.forEach(function (e) {
      var d = byDate[e.expiration];
      if (!d) { d = byDate[e.expiration] = { kinds: [], settlements: [], share: 0 }; dates.push(e.expiration); }
      if (d.kinds.indexOf(e.kind) < 0) d.kinds.push(e.kind);
      if (d.settlements.indexOf(e.settlement) < 0) d.settlements.push(e.settlement);
      d.share += e.share_of_gross_gex_pct;
    });
    all.textContent = "All expiries (" + dates.length + ")";
    // the date's first settlement names it (an SPX date: the AM monthly; SPXW PM rows are weeklies)
    dates.forEach(function (date) {
      var d = byDate[date];
      select.appendChild(el("option", { value: date }, date + " · " + d.kinds[0] + " " +
        d.settlements.join("+") + " · " + d.share.toFixed(1) + "%"));
    });
    select.value = state.expiration;
  }

  /** Strikes within ±windowPct% of spot, binned to at most maxBars bars: adjacent strikes summed
   *  into bins of k×(the most common strike spacing), aligned to multiples of the bin width. */
  function strikeBars(answer, metric, windowPct, maxBars) {
    var spot = answer.underlying_price, lo = spot * (1 - windowPct / 100), hi = spot * (1 + windowPct / 100);
    var rows = answer.strikes.filter(function (r) { return r.strike >= lo && r.strike <= hi; });
    var gaps = {}, spacing = 0, best = 0;
    for (var i = 1; i < rows.length; i++) {
      var g = Math.round((rows[i].strike - rows[i - 1].strike) * 1000) / 1000;
      gaps[g] = (gaps[g] || 0) + 1;
      if (gaps[g] > best) { best = gaps[g]; spacing = g; }
    }
    var k = rows.length > maxBars && spacing > 0 ? Math.ceil(rows.length / maxBars) : 1;
    var width = k * spacing, bars = { x: [], call: [], put: [], net: [], binWidth: k > 1 ? width : 0, strikes: rows.length };
    rows.forEach(function (r) {
      var x = k > 1 ? Math.floor(r.strike / width + 1e-9) * width : r.strike;
      var n = bars.x.length;
      if (n === 0 || bars.x[n - 1] !== x) {
        bars.x.push(x); bars.call.push(0); bars.put.push(0); bars.net.push(0); n += 1;
      }
      bars.call[n - 1] += r["call_" + metric];
      bars.put[n - 1] += r["put_" + metric];
      bars.net[n - 1] += r["net_" + metric];
    });
    return bars;
  }

  function chartWidth(node) { return Math.max(280, node.clientWidth || document.body.clientWidth - 32); }

  function levelLines(values, colour) {
    return function (u) {
      var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
      ctx.save();
      ctx.lineWidth = 1.5 * uPlot.pxRatio;
      ctx.setLineDash([5 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
      values.forEach(function (m) {
        var x = u.valToPos(m.value, "x", true);
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
        ctx.strokeStyle = colour(m.level);
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
      });
      ctx.restore();
    };
  }

  var LINE_COLOUR = {
    spot: "#000", gamma_flip: "#CC79A7", call_wall: "#0072B2", max_positive_gamma: "#56B4E9",
    put_wall: "#D55E00", max_negative_gamma: "#E69F00", zero_dte_magnet: "#009E73",
  };

  function chartMarkers() {
    var lv = state.answers.levels || {}, a = state.answers.strikes || {};
    var out = [];
    LEVELS.forEach(function (spec) {
      if (!spec[2]) return;
      var v = spec[0] === "underlying_price" ? (a.underlying_price || lv.underlying_price) : lv[spec[0]];
      if (v !== null && v !== undefined && isFinite(v)) out.push({ level: spec[2], label: spec[1], value: v });
    });
    return out;
  }

  /** Levels at the same price share one label ("Call wall · Max +gamma 590"). */
  function mergeSamePrice(markers) {
    var out = [];
    markers.forEach(function (m) {
      var same = out.filter(function (o) { return o.value === m.value; })[0];
      if (same) { same.levels.push(m.level); same.label += " · " + m.label; }
      else out.push({ levels: [m.level], level: m.level, label: m.label, value: m.value });
    });
    return out;
  }

  /** Labels in a strip above the plot, one row per overlap, so they never cover a bar. */
  function placeMarkers(u, markers, strip) {
    strip.textContent = "";
    var left = u.bbox.left / uPlot.pxRatio, width = u.bbox.width / uPlot.pxRatio;
    var xmin = u.scales.x.min, xmax = u.scales.x.max;
    var placed = mergeSamePrice(markers).map(function (m) {
      var edge = m.value < xmin ? "left" : m.value > xmax ? "right" : "";
      var pos = edge === "left" ? 0 : edge === "right" ? width : u.valToPos(m.value, "x");
      var text = (edge === "left" ? "◀ " : "") + m.label + " " + fmtPrice(m.value) + (edge === "right" ? " ▶" : "");
      var node = el("span", { "class": "marker" + (edge ? " edge-" + edge : ""), "data-level": m.level,
        "data-levels": m.levels.join(" "),
        "data-value": String(m.value), "data-edge": edge || "none", title: m.label + " " + fmtPrice(m.value) }, text);
      node.style.left = (left + pos) + "px";
      strip.appendChild(node);
      return { node: node, pos: left + pos, edge: edge, m: m };
    });
    placed.sort(function (p, q) { return p.pos - q.pos; });
    var rowEnds = [];
    placed.forEach(function (p) {
      var w = p.node.offsetWidth, start = p.edge === "left" ? p.pos : p.edge === "right" ? p.pos - w : p.pos - w / 2;
      var row = 0;
      while (row < rowEnds.length && rowEnds[row] > start - 4) row++;
      rowEnds[row] = start + w;
      p.node.style.top = (row * 18) + "px";
      p.m.row = row; p.m.x = p.pos; p.m.edge = p.edge || null;
    });
    strip.style.height = (rowEnds.length * 18 + 4) + "px";
    state.markers = placed.map(function (p) { return p.m; });
  }

  var strikePlot = null, profilePlot = null;

  function renderStrikeChart() {
    var box = $("strike-chart"), strip = $("markers"), a = state.answers.strikes;
    if (strikePlot) { strikePlot.destroy(); strikePlot = null; }
    box.textContent = ""; strip.textContent = "";
    document.querySelectorAll(".tabs [role=tab]").forEach(function (t) {
      var on = t.dataset.metric === state.metric;
      t.setAttribute("aria-selected", String(on)); t.tabIndex = on ? 0 : -1;
    });
    box.classList.remove("failed");
    if (!a) {
      state.chart = null;
      $("strike-caption").textContent = "";
      box.classList.add("failed");
      box.appendChild(el("p", { "class": "banner error" }, "No " + PER_STRIKE[state.metric] +
        " chart: " + (state.errors.strikes || "no answer")));
      return;
    }
    var width = chartWidth(box), maxBars = width < 600 ? 40 : 90;
    var bars = strikeBars(a, state.metric, state.windowPct, maxBars);
    state.chart = bars;
    var name = PER_STRIKE[state.metric];
    $("strike-caption").textContent = name + " by strike, " + UNITS[state.metric] + "; strikes within ±" +
      state.windowPct + "% of spot (" + bars.strikes + " strikes" +
      (bars.binWidth ? ", summed into " + bars.x.length + " bins of " + fmtPrice(bars.binWidth) + " points" : "") +
      "). Net " + name + " over the whole chain: " + fmtAmount(a["net_" + state.metric]) + ".";
    if (!bars.x.length) {
      box.appendChild(el("p", { "class": "banner error" }, "No strikes within ±" + state.windowPct +
        "% of spot: widen the window or lower the min OI."));
      return;
    }
    var pad = (bars.binWidth || (bars.x.length > 1 ? (bars.x[bars.x.length - 1] - bars.x[0]) / (bars.x.length - 1) : 1));
    var range = [bars.x[0] - pad, bars.x[bars.x.length - 1] + pad];
    var markers = chartMarkers();
    box.setAttribute("aria-label", name + " by strike for " + a.symbol + ", " + bars.x.length + " bars");
    var bar = uPlot.paths.bars;
    strikePlot = new uPlot({
      width: width, height: width < 600 ? 260 : 340,
      scales: { x: { time: false, range: function () { return range; } } },
      axes: [
        { values: function (u, vals) { return vals.map(fmtPrice); } },
        { size: 64, values: function (u, vals) { return vals.map(fmtAmount); } },
      ],
      cursor: { points: { show: false } },
      legend: { live: true },
      series: [
        { label: "Strike", value: function (u, v) { return v === null ? "" : fmtPrice(v); } },
        { label: "Calls", fill: "rgba(0,114,178,0.85)", stroke: "#0072B2", width: 0, points: { show: false },
          paths: bar({ size: [0.42, 40], align: -1 }), value: legendAmount },
        { label: "Puts", fill: "rgba(230,159,0,0.85)", stroke: "#E69F00", width: 0, points: { show: false },
          paths: bar({ size: [0.42, 40], align: 1 }), value: legendAmount },
        { label: "Net", fill: "#222", stroke: "#222", width: 0, points: { show: false },
          paths: bar({ size: [0.2, 14], align: 0 }), value: legendAmount },
      ],
      hooks: { draw: [levelLines(markers, function (l) { return LINE_COLOUR[l]; }),
                      function (u) { placeMarkers(u, markers, strip); }] },
    }, [bars.x, bars.call, bars.put, bars.net], box);
  }

  function renderProfile() {
    var box = $("profile-chart"), p = state.answers.profile;
    if (profilePlot) { profilePlot.destroy(); profilePlot = null; }
    box.textContent = "";
    box.classList.remove("failed");
    if (!p) {
      $("profile-caption").textContent = "";
      box.classList.add("failed");
      box.appendChild(el("p", { "class": "banner error" }, "No profile: " + (state.errors.profile || "no answer")));
      return;
    }
    $("profile-caption").textContent = "Total net GEX re-priced at each spot within ±" + p.range_pct +
      "% (" + UNITS.gex + "); it crosses zero at the gamma flip.";
    var xs = p.points.map(function (q) { return q.spot; }), ys = p.points.map(function (q) { return q.net_gex; });
    var lines = [{ level: "spot", value: p.underlying_price }];
    if (p.gamma_flip !== null && p.gamma_flip !== undefined) lines.push({ level: "gamma_flip", value: p.gamma_flip });
    var width = chartWidth(box);
    profilePlot = new uPlot({
      width: width, height: width < 600 ? 200 : 240,
      scales: { x: { time: false } },
      axes: [{ values: function (u, v) { return v.map(fmtPrice); } },
             { size: 64, values: function (u, v) { return v.map(fmtAmount); } }],
      cursor: { points: { show: false } },
      series: [{ label: "Spot", value: function (u, v) { return v === null ? "" : fmtPrice(v); } },
               { label: "Net GEX", stroke: "#222", width: 2, points: { show: false }, value: legendAmount },
               { label: "zero", stroke: "#999", width: 1, dash: [4, 4], points: { show: false } }],
      hooks: { draw: [levelLines(lines, function (l) { return LINE_COLOUR[l]; })] },
    }, [xs, ys, xs.map(function () { return 0; })], box);
  }

  function renderBreakdown() {
    var body = document.querySelector("#expiries tbody"), s = state.answers.summary;
    body.textContent = "";
    if (!s) return;
    s.expiry_breakdown.forEach(function (e) {
      var tr = el("tr");
      [[e.expiration], [e.kind + " " + (e.settlement || "")], [e.days_to_expiry.toFixed(1)],
       [fmtAmount(e.net_gex), "num"], [e.share_of_gross_gex_pct.toFixed(1) + "%", "num"],
       [fmtPrice(e.top_strike), "num"], [e.open_interest.toLocaleString(), "num"]].forEach(function (c) {
        tr.appendChild(el("td", c[1] ? { "class": c[1] } : {}, c[0]));
      });
      body.appendChild(tr);
    });
  }

  // ---- levels over time ------------------------------------------------------------------

  var HISTORY_DAYS = 5;
  var historyPlot = null;

  /** Spot, flip and walls over the last sessions (the history endpoint); its own panel, so a
   *  source with no stored history yet says so there without holding up the rest. */
  function loadHistory(seq, symbol) {
    document.body.dataset.history = "loading";
    if (!state.history || state.history.symbol !== symbol) {
      $("history-caption").textContent = "Loading " + HISTORY_DAYS + " sessions of " + symbol + "…";
    }
    var args = { symbol: symbol, days: HISTORY_DAYS };
    return transport.call("history", args).then(function (answer) {
      if (seq !== state.seq) return;
      state.history = answer;
      renderHistory(answer, null);
      document.body.dataset.history = "ready";
    }, function (err) {
      if (seq !== state.seq) return;
      state.history = null;
      renderHistory(null, err.message);
      document.body.dataset.history = "error";
    });
  }

  function renderHistory(answer, error) {
    var box = $("history-chart");
    if (historyPlot) { historyPlot.destroy(); historyPlot = null; }
    box.textContent = "";
    box.classList.remove("failed");
    if (!answer || !answer.points.length) {
      $("history-caption").textContent = "";
      box.classList.add("failed");
      box.appendChild(el("p", { "class": "caption", "data-history-error": "" },
        "No level history: " + (error || "no records in the window")));
      return;
    }
    var pts = answer.points;
    function col(name) { return pts.map(function (p) { return p[name] === undefined ? null : p[name]; }); }
    $("history-caption").textContent = pts.length + " points (" + answer.interval + ") from " +
      fmtTime(answer.since) + " to " + fmtTime(answer.until) +
      "; source " + answer.source + (answer.is_demo ? " (demo)" : "") + ".";
    if (pts.length < 2) {  // one snapshot in the window: say it, a one-point chart shows nothing
      var p0 = pts[0];
      state.historyChart = null;
      box.classList.add("failed");
      box.appendChild(el("p", { "class": "caption", "data-history-single": "" }, "One snapshot in the window (" +
        fmtTime(p0.as_of) + "): spot " + fmtPrice(p0.spot) + ", gamma flip " + fmtPrice(p0.gamma_flip) +
        ", call wall " + fmtPrice(p0.call_wall) + ", put wall " + fmtPrice(p0.put_wall) + "."));
      return;
    }
    var xs = pts.map(function (p) { return Date.parse(p.as_of) / 1000; });
    state.historyChart = { x: xs, spot: col("spot"), flip: col("gamma_flip"), call: col("call_wall"), put: col("put_wall") };
    var width = chartWidth(box);
    historyPlot = new uPlot({
      width: width, height: width < 600 ? 200 : 240,
      axes: [{}, { size: 64, values: function (u, v) { return v.map(fmtPrice); } }],
      cursor: { points: { show: false } },
      series: [
        {},
        { label: "Spot", stroke: "#000", width: 2, points: { size: 4 }, value: legendPrice },
        { label: "Gamma flip", stroke: "#CC79A7", width: 2, dash: [6, 4], points: { show: false }, value: legendPrice },
        { label: "Call wall", stroke: "#0072B2", width: 2, points: { show: false },
          paths: uPlot.paths.stepped({ align: 1 }), value: legendPrice },
        { label: "Put wall", stroke: "#D55E00", width: 2, points: { show: false },
          paths: uPlot.paths.stepped({ align: 1 }), value: legendPrice },
      ],
    }, [xs, state.historyChart.spot, state.historyChart.flip, state.historyChart.call, state.historyChart.put], box);
  }

  function legendPrice(u, v) { return v === null || v === undefined ? "" : fmtPrice(v); }

  // ---- watchlist scanner -----------------------------------------------------------------

  function watchlist() {
    return $("watchlist").value.split(/[\s,]+/).map(function (s) { return s.trim().toUpperCase(); })
      .filter(function (s) { return s; });
  }

  function runScan() {
    var symbols = watchlist();
    if (!symbols.length) return Promise.resolve();
    document.body.dataset.scan = "loading";
    return transport.call("scan", { symbols: symbols }).then(function (answer) {
      renderScan(answer);
      document.body.dataset.scan = "ready";
    }, function (err) {
      var body = document.querySelector("#scan tbody");
      body.textContent = "";
      var tr = el("tr"), td = el("td", { colspan: "8", "class": "banner error" }, "Scan failed: " + err.message);
      tr.appendChild(td); body.appendChild(tr);
      document.body.dataset.scan = "error";
    });
  }

  function renderScan(answer) {
    var body = document.querySelector("#scan tbody");
    body.textContent = "";
    state.scan = answer;
    answer.rows.forEach(function (r) {
      var tr = el("tr", { tabindex: "0", "data-symbol": r.symbol, role: "link",
                          "aria-label": "open " + r.symbol });
      var flags = [];
      if (r.error) flags.push(r.error);
      else {
        if (r.below_flip) flags.push("▼ below flip");
        if (r.near_call_wall) flags.push("near call wall");
        if (r.near_put_wall) flags.push("near put wall");
        var before = state.lastRegime[r.symbol];
        if (before && before !== r.gamma_regime) flags.push("regime changed (was " + before.replace("_", " ") + ")");
        state.lastRegime[r.symbol] = r.gamma_regime;
        if (r.stale) flags.push("stale");
        if (r.outdated) flags.push("old snapshot");
        (r.notes || []).forEach(function (n) { if (n.indexOf("old snapshot:") !== 0) flags.push("note: " + n); });
        if (r.is_demo) flags.push("demo");
      }
      [[r.symbol], [fmtPrice(r.underlying_price), "num"], [r.gamma_regime ? REGIME[r.gamma_regime] : ""],
       [fmtPrice(r.gamma_flip), "num"],
       [r.gamma_flip === null || r.gamma_flip === undefined || !r.underlying_price ? "n/a" : signedPct(pctFromSpot(r.gamma_flip, r.underlying_price)), "num"],
       [fmtPrice(r.call_wall), "num"], [fmtPrice(r.put_wall), "num"]].forEach(function (c) {
        tr.appendChild(el("td", c[1] ? { "class": c[1] } : {}, c[0]));
      });
      var td = el("td");
      flags.forEach(function (f) { td.appendChild(el("span", { "class": "flag", title: f }, f)); });
      tr.appendChild(td);
      tr.addEventListener("click", function () { openSymbol(r.symbol); });
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openSymbol(r.symbol); } });
      body.appendChild(tr);
    });
  }

  // ---- controls --------------------------------------------------------------------------

  function openSymbol(symbol) {
    state.symbol = symbol.toUpperCase();
    state.expiration = "";
    if (state.mode === "rest") {
      var query = new URLSearchParams(location.search);
      query.set("symbol", state.symbol);
      history.replaceState(null, "", "?" + query.toString());
    }
    window.scrollTo(0, 0);
    return refresh();
  }

  /** Enter in a field or a click on its button: no <form> submission, which a host's sandboxed
   *  iframe may forbid (no allow-forms). */
  function onEnterOrClick(fields, button, action) {
    fields.forEach(function (id) {
      $(id).addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); action(); } });
    });
    $(button).addEventListener("click", action);
  }

  onEnterOrClick(["symbol", "min-oi"], "show", function () {
    var symbol = $("symbol").value.trim().toUpperCase();
    state.minOi = Math.max(0, parseInt($("min-oi").value || "0", 10) || 0);
    state.windowPct = parseFloat($("window").value);
    if (symbol && symbol !== state.symbol) openSymbol(symbol);
    else refresh();
  });
  $("expiration").addEventListener("change", function () { state.expiration = this.value; refresh(); });
  $("window").addEventListener("change", function () {
    state.windowPct = parseFloat(this.value);
    renderStrikeChart();
  });
  $("min-oi").addEventListener("change", function () {
    state.minOi = Math.max(0, parseInt(this.value || "0", 10) || 0);
    refresh();
  });
  onEnterOrClick(["watchlist"], "scan-button", runScan);

  var tabs = Array.prototype.slice.call(document.querySelectorAll(".tabs [role=tab]"));
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { state.metric = tab.dataset.metric; refresh(); });
    tab.addEventListener("keydown", function (e) {
      var step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      var next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus(); next.click();
    });
  });

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      if (state.answers.strikes) { renderStrikeChart(); renderProfile(); }
      if (state.history) renderHistory(state.history, null);
    }, 150);
  });

  // ---- start -----------------------------------------------------------------------------

  $("watchlist").value = (CONFIG.watchlist || []).join(", ");
  $("symbol").value = state.symbol;

  if (state.mode === "app") {
    var bridge = transport;
    // The tool call that opened the app: adopt its symbol (and expiry), show it, then load the rest.
    bridge.on("ui/notifications/tool-input", function (params) {
      var args = params.arguments || {};
      if (args.symbol) state.symbol = String(args.symbol).toUpperCase();
      if (args.expiration) state.expiration = String(args.expiration);
    });
    bridge.on("ui/notifications/tool-result", function (result) {
      var data = result.structuredContent ? expandTables(result.structuredContent) : null;
      if (data && data.symbol) {
        state.symbol = String(data.symbol).toUpperCase();
        state.expiration = data.expiration || "";
        state.toolResult = data;
      }
      refresh(); runScan();
    });
    bridge.on("ui/resource-teardown", function () { clearTimeout(state.timer); return {}; });
    bridge.request("ui/initialize", {
      appInfo: { name: "gex-mcp dashboard", version: CONFIG.version },
      appCapabilities: {}, protocolVersion: APP_PROTOCOL,
    }).then(function (init) {
      state.host = init && init.hostInfo;
      bridge.notify("ui/notifications/initialized", {});
      if (window.ResizeObserver) {
        new ResizeObserver(function () {
          bridge.notify("ui/notifications/size-changed", {
            width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight });
        }).observe(document.body);
      }
    }, function (err) { banner("error", "Could not connect to the host: " + err.message); });
  } else {
    var query = new URLSearchParams(location.search);
    if (query.get("symbol")) state.symbol = query.get("symbol").toUpperCase();
    if (query.get("watchlist")) $("watchlist").value = query.get("watchlist");
    refresh();
    runScan();
  }
})();
