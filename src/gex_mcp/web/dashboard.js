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
 * The numbers are the server's: this file only windows and formats them (one bar per strike).
 * What is loaded when:
 *   open, symbol or expiry change, Refresh: strikes, levels, summary, profile, history
 *     (+ expirations on a new symbol, the scan on open);
 *   tab or min OI change: the per-strike answer only, debounced, the previous request aborted;
 *   auto-refresh: after the answer's own cache lifetime (the REST Cache-Control max-age, longer
 *     while the market is closed), never for a file snapshot.
 *   the Scenarios panel (flip_sensitivity): when it scrolls into view, again on a new symbol or
 *     expiry while it is in view.
 * A book instead of one chain: `?symbol=SPX-complex` shows the complex answer (index + ETF/mini
 *   siblings in index points), `?basket=SPY,QQQ,IWM[&weights=...]` the basket answer
 *   (GET /v1/exposure/basket); the single-chain panels are hidden then.
 * The view (symbol, expiry, tab, window, min OI, basket) lives in the URL, one history entry a change.
 * State for tests and debugging: window.gexDashboard.
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
    lastRegime: {}, scan: null, seq: 0, timer: null, loads: 0, strikeSeq: 0, strikeAbort: null,
    strikeTimer: null, maxAge: null, updatedAt: null, refreshPlan: "", requests: 0,
    scanSort: { key: null, dir: 1 }, chartAt: null, basket: [], weights: "", scenarios: null,
    scenariosVisible: false, scenariosLoading: null,
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
  /** (level - spot) / spot x 100: positive above spot, the one convention of every distance shown. */
  function pctFromSpot(level, spot) { return (level - spot) / spot * 100; }
  function fmtPct(p) {
    if (p === null || p === undefined || !isFinite(p)) return "n/a";
    return (p >= 0 ? "+" : "−") + Math.abs(p).toFixed(2) + "%";
  }
  /** A message as words: no leading exception class ("NoDataError: ..."). */
  function plainError(message) {
    return String(message || "no answer").replace(/^(?:[A-Za-z_.]*(?:Error|Exception)):\s*/, "");
  }
  /** The first sentence of a message: a scanner row says what failed, the banner says the rest. */
  function firstSentence(text) { var m = /^.*?[.!?](?=\s|$)/.exec(text); return m ? m[0] : text; }
  function sessionOf(iso) { return fmtTime(iso).slice(0, 10); }

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
      maxAge: null,
      /** `fresh`: revalidate with the server even when the browser's copy is within its
       *  max-age (a scheduled refresh or the Refresh button; an unchanged answer is a 304). */
      call: function (name, args, signal, fresh) {
        var self = this, params = new URLSearchParams(), path;
        if (name === "scan" || name === "basket") {
          path = "/v1/exposure/" + name;
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
        state.requests += 1;
        return fetch(path + (query ? "?" + query : ""), { headers: key ? { "X-Api-Key": key } : {}, signal: signal,
                                                          cache: fresh ? "no-cache" : "default" })
          .then(function (resp) {
            var age = /max-age=(\d+)/.exec(resp.headers.get("Cache-Control") || "");
            if (age && resp.ok) self.maxAge = parseInt(age[1], 10);
            return resp.json().catch(function () { return null; }).then(function (body) {
              if (resp.status === 401) {
                state.needKey = true;
                throw new Error("This server needs an API key: enter it in the box above.");
              }
              if (resp.status === 429) throw new Error("The server is busy (too many requests); it will be asked again shortly.");
              if (!resp.ok) throw new Error(plainError((body && body.message) || ("the server answered HTTP " + resp.status)));
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
        state.requests += 1;
        return request("tools/call", { name: name, arguments: toolArgs }).then(function (result) {
          var text = (result.content || []).filter(function (c) { return c.type === "text"; })
            .map(function (c) { return c.text; }).join(" ");
          if (result.isError) throw new Error(plainError(text || (name + " failed")));
          if (!result.structuredContent) throw new Error(name + " returned no structured content");
          return expandTables(result.structuredContent);
        });
      },
    };
  }

  var transport = state.mode === "app" ? bridgeTransport() : restTransport();
  /** In the MCP App the panels below the first screen load when scrolled into view. */
  var LAZY = state.mode === "app";

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

  function strikeArgs() {
    return { symbol: state.symbol, expiration: state.expiration || undefined, min_oi: state.minOi || undefined };
  }

  function markLoaded() {
    document.body.dataset.symbol = state.symbol;
    document.body.dataset.metric = state.metric;
    document.body.dataset.expiration = state.expiration;
    document.body.dataset.minOi = String(state.minOi);
    document.body.dataset.window = String(state.windowPct);
  }

  /** Everything the first screen shows, for the current symbol and expiry. `keep` names answers
   *  already in hand (the MCP App's tool result) that are not asked for again. */
  function refresh(keep, fresh) {
    if (currentBook()) return refreshBook(fresh);
    delete document.body.dataset.book;
    var seq = ++state.seq, symbol = state.symbol;
    var common = { symbol: symbol, expiration: state.expiration || undefined };
    var newSymbol = !state.answers.expirations || state.answers.expirations.symbol !== symbol;
    keep = keep || {};
    document.body.dataset.status = "loading";
    clearTimeout(state.timer);
    clearTimeout(state.strikeTimer);
    if (state.strikeAbort) state.strikeAbort.abort();
    state.strikeSeq += 1;
    var jobs = {};
    function ask(name, endpoint, args) {
      jobs[name] = keep[name] ? Promise.resolve(keep[name]) : transport.call(endpoint, args, undefined, fresh);
    }
    ask("strikes", state.metric, strikeArgs());
    ask("levels", "levels", common);
    ask("summary", "summary", common);
    if (!LAZY) ask("profile", "profile", common);
    if (newSymbol) ask("expirations", "expirations", { symbol: symbol });
    return settle(jobs).then(function (results) {
      if (seq !== state.seq) return;  // a newer request superseded this one
      var kept = newSymbol ? {} : { expirations: state.answers.expirations };
      if (LAZY && state.answers.profile && state.answers.profile.symbol === symbol) kept.profile = state.answers.profile;
      state.answers = kept;
      state.errors = {};
      Object.keys(results).forEach(function (k) {
        if (results[k].ok) state.answers[k] = results[k].value;
        else state.errors[k] = results[k].error;
      });
      state.updatedAt = Date.now();
      render();
      if (!LAZY) loadHistory(seq, symbol, fresh);
      loadScenarios(fresh);
      state.loads += 1;
      markLoaded();
      document.body.dataset.status = Object.keys(state.answers).length ? "ready" : "error";
      if (state.chartAt === null && state.chart) state.chartAt = performance.now();
      tellModel();
      schedule();
    });
  }

  // ---- a book: an index complex or a basket ----------------------------------------------

  /** "SPX-COMPLEX" -> "SPX"; null for a plain symbol. */
  function complexOf(symbol) { var m = /^([A-Z0-9.^_]+)-COMPLEX$/.exec(symbol || ""); return m ? m[1] : null; }

  /** What the view shows when it is not one chain: {kind: "basket"|"complex", ...} or null. */
  function currentBook() {
    if (state.basket.length) return { kind: "basket", symbols: state.basket };
    var index = complexOf(state.symbol);
    return index ? { kind: "complex", symbol: index } : null;
  }

  /** The complex answer (levels, regime and key strikes in index points) or the basket answer
   *  (weighted totals per 1% move of the basket, each member's contribution), one request. */
  function refreshBook(fresh) {
    var seq = ++state.seq, book = currentBook();
    document.body.dataset.status = "loading";
    document.body.dataset.book = book.kind;
    clearTimeout(state.timer);
    if (book.kind === "complex") state.metric = "gex";  // the complex answer is GEX alone
    var call = book.kind === "complex" ? transport.call("complex", { symbol: book.symbol }, undefined, fresh) :
      transport.call("basket", { symbols: book.symbols, weights: state.weights || undefined }, undefined, fresh);
    return settle({ book: call }).then(function (results) {
      if (seq !== state.seq) return;
      state.answers = {};
      state.errors = {};
      if (results.book.ok) {
        var a = results.book.value;
        state.answers[book.kind] = a;
        // the complex answer has a gex-shaped strike list and the levels' fields
        if (book.kind === "complex") { state.answers.levels = a; state.answers.strikes = a; }
      } else state.errors[book.kind] = results.book.error;
      state.updatedAt = Date.now();
      render();
      state.loads += 1;
      markLoaded();
      document.body.dataset.status = results.book.ok ? "ready" : "error";
      tellModel();
      schedule();
    });
  }

  // ---- scenarios -------------------------------------------------------------------------

  function scenariosKey() { return state.symbol + "|" + state.expiration; }

  /** The flip under IV shifts, the other dealer model and without the top expiries, for the
   *  current symbol and expiry; only while its panel is in view (the answer re-prices the chain
   *  about ten times), once per view unless `fresh`. */
  function loadScenarios(fresh) {
    if (currentBook() || !state.scenariosVisible) return;
    var key = scenariosKey();
    if (state.scenariosLoading === key || (!fresh && state.scenarios && state.scenarios.key === key)) return;
    state.scenariosLoading = key;
    document.body.dataset.scenarios = "loading";
    if (!state.scenarios || state.scenarios.key !== key) {
      document.querySelector("#scenarios tbody").textContent = "";
      $("scenarios-reading").textContent = "Re-pricing " + state.symbol + " under each scenario…";
    }
    transport.call("flip_sensitivity", { symbol: state.symbol, expiration: state.expiration || undefined },
                   undefined, fresh).then(function (answer) {
      if (key !== scenariosKey()) return;
      state.scenarios = { key: key, answer: answer };
      delete state.errors.scenarios;
    }, function (err) {
      if (key !== scenariosKey()) return;
      state.scenarios = null;
      state.errors.scenarios = err.message || String(err);
    }).then(function () {
      state.scenariosLoading = null;
      if (key !== scenariosKey()) { loadScenarios(); return; }  // the view moved on meanwhile
      renderBanners();
      renderScenarios();
      document.body.dataset.scenarios = state.scenarios ? "ready" : "error";
    });
  }

  function watchScenarios() {
    var panel = $("scenarios-panel");
    if (!window.IntersectionObserver) { state.scenariosVisible = true; loadScenarios(); return; }
    new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        state.scenariosVisible = entry.isIntersecting;
        if (entry.isIntersecting) loadScenarios();
      });
    }).observe(panel);
  }

  /** The per-strike answer alone (a tab or min OI change), 150 ms after the last change; a
   *  request still running is aborted, so key repeat costs one request, not one per key. */
  function refreshStrikes() {
    clearTimeout(state.strikeTimer);
    document.body.dataset.status = "loading";
    renderTabs();
    state.strikeTimer = setTimeout(function () {
      var seq = ++state.strikeSeq, metric = state.metric;
      if (state.strikeAbort) state.strikeAbort.abort();
      state.strikeAbort = window.AbortController ? new AbortController() : null;
      transport.call(metric, strikeArgs(), state.strikeAbort && state.strikeAbort.signal).then(function (answer) {
        if (seq !== state.strikeSeq) return;
        state.answers.strikes = answer;
        delete state.errors.strikes;
      }, function (err) {
        if (seq !== state.strikeSeq || err.name === "AbortError") return;
        delete state.answers.strikes;
        state.errors.strikes = err.message || String(err);
      }).then(function () {
        if (seq !== state.strikeSeq) return;
        state.strikeAbort = null;
        renderBanners();
        renderStrikeChart();
        markLoaded();
        state.loads += 1;
        document.body.dataset.status = "ready";
      });
    }, 150);
  }

  /** A snapshot file never changes: no auto-refresh. Otherwise ask again when the answer's
   *  cache lifetime ends (REST: Cache-Control max-age, which the server lengthens while the
   *  market is closed; app: the configured lifetime), never while the tab is hidden. */
  function schedule() {
    clearTimeout(state.timer);
    var a = main();
    var seconds = transport.maxAge !== null && transport.maxAge !== undefined ? transport.maxAge : CONFIG.refresh_seconds;
    if (!a || /^file/.test(a.source || "")) {
      state.refreshPlan = a ? "snapshot file: no auto-refresh" : "";
      state.nextRefresh = null;
      renderMeta();
      return;
    }
    seconds = Math.max(5, seconds || 60);
    state.refreshPlan = "next refresh in " + fmtAge(seconds);
    state.nextRefresh = Date.now() + seconds * 1000;
    renderMeta();
    state.timer = setTimeout(function tick() {
      if (document.hidden) { document.addEventListener("visibilitychange", tick, { once: true }); return; }
      refresh(null, true);
    }, seconds * 1000);
  }

  // ---- rendering -------------------------------------------------------------------------

  function main() {
    return state.answers.levels || state.answers.strikes || state.answers.summary || state.answers.basket;
  }

  function render() {
    renderMeta();
    renderBanners();
    renderRegime();
    renderLevels();
    renderExpirations();
    renderStrikeChart();
    renderProfile();
    renderBreakdown();
    renderBook();
    renderScenarios();
  }

  function renderMeta() {
    var a = main();
    if (!a) { $("meta").textContent = state.symbol + ": no data"; return; }
    var updated = state.updatedAt ? Math.max(0, (Date.now() - state.updatedAt) / 1000) : null;
    $("meta").textContent = "as of " + fmtTime(a.as_of) + (a.source ? " · source " + a.source : "") +
      (updated !== null ? " · updated " + (updated < 10 ? "just now" : fmtAge(updated) + " ago") : "") +
      (state.refreshPlan ? " · " + state.refreshPlan : "");
    $("footer").textContent = (a.dealer_model ? "Dealer model " + a.dealer_model + ". " : "") + "GEX in " + UNITS.gex +
      ". Analytics, not investment advice. gex-mcp " + CONFIG.version + ".";
  }
  // "updated x ago" moves on its own; no request behind it
  setInterval(function () {
    if (state.nextRefresh) state.refreshPlan = "next refresh in " + fmtAge(Math.max(0, (state.nextRefresh - Date.now()) / 1000));
    if (main()) renderMeta();
  }, 15000);

  // The API-key form, kept across re-renders of the banners: an answer that fails while the
  // user types (a lower panel loading on view, the scan) must not wipe the key half typed.
  var keyFormEl = null;

  function banner(kind, text) {
    var b = el("div", { "class": "banner " + kind, "data-banner": kind }, text);
    $("banners").insertBefore(b, keyFormEl);  // banners stay above the key form
    return b;
  }

  var PANEL_NAMES = { levels: "levels", summary: "summary", profile: "profile", expirations: "expirations",
                      history: "level history", scenarios: "scenarios", complex: "complex", basket: "basket" };

  function renderBanners() {
    Array.prototype.slice.call($("banners").children).forEach(function (c) {
      if (c !== keyFormEl) $("banners").removeChild(c);
    });
    var answers = Object.keys(state.answers).map(function (k) { return state.answers[k]; });
    var demo = answers.some(function (a) { return a.is_demo; });
    var stale = answers.filter(function (a) { return a.stale; })[0];
    var a = main();
    if (demo) banner("demo", "Demo data: a synthetic market for trying gex-mcp, not real quotes.");
    if (stale) {
      banner("stale", "Stale: the source failed (" + plainError(stale.stale_reason || "no reason given") +
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
    // Each error once: one banner per distinct message, naming every panel it emptied (the
    // panels themselves only point here).
    var byMessage = {};
    Object.keys(state.errors).forEach(function (k) {
      var panel = k === "strikes" ? PER_STRIKE[state.metric] + " by strike" : (PANEL_NAMES[k] || k);
      var message = plainError(state.errors[k]);
      (byMessage[message] = byMessage[message] || []).push(panel);
    });
    Object.keys(byMessage).forEach(function (message) { banner("error", byMessage[message].join(", ") + ": " + message); });
    if (state.needKey && state.mode === "rest") keyForm();
    else if (keyFormEl) { $("banners").removeChild(keyFormEl); keyFormEl = null; }
  }

  function keyForm() {
    if (keyFormEl) return;
    var form = keyFormEl = el("div", { "class": "banner error controls", id: "key-form" });
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
    var s = state.answers.summary, c = state.answers.complex, b = state.answers.basket, a = main(), badge = $("regime");
    var book = currentBook();
    var regime = s ? s.gamma_regime : c ? c.gamma_regime : "unknown";
    badge.className = "badge " + regime;
    badge.dataset.regime = regime;
    badge.textContent = REGIME[regime] || regime;
    badge.hidden = !!book && book.kind === "basket";  // a basket has members' regimes, not one
    $("headline-symbol").textContent = book && book.kind === "basket" ? "Basket " + book.symbols.join(", ") :
      book ? book.symbol + " complex" : a ? a.symbol : state.symbol;
    $("headline-spot").textContent = a && !b ? fmtPrice(a.underlying_price) : "";
    if (book) {
      $("interpretation").textContent = c ? "One book of " + c.members.filter(function (m) { return !m.error; })
        .map(function (m) { return m.symbol; }).join(" + ") + " in " + c.symbol + " points: " + c.regime_reason + "." :
        b ? "Net exposures per 1% move of the whole basket, weights as notional shares." : "";
      return;
    }
    // REST names the sentence interpretation_text (its `interpretation` is the guide's object)
    $("interpretation").textContent = !s ? "" : typeof s.interpretation_text === "string" ? s.interpretation_text :
      typeof s.interpretation === "string" ? s.interpretation : "";
  }

  /** The last history point's change versus the prior session close, for one level. */
  function sinceClose(field) {
    var h = state.history, pts = h && h.points;
    if (!pts || !pts.length) return null;
    var last = pts[pts.length - 1], change = last[field + "_change"];
    return change === null || change === undefined ? null : change;
  }

  function card(box, key, name, value, detail, extra) {
    var c = el("div", { "class": "card", "data-level": key });
    c.appendChild(el("div", { "class": "name" }, name));
    c.appendChild(el("div", { "class": "value" }, value));
    if (detail) c.appendChild(el("div", { "class": "dist" }, detail));
    if (extra) c.appendChild(el("div", { "class": "dist", "data-change": key }, extra));
    box.appendChild(c);
    return c;
  }

  function changeText(field) {
    var ch = sinceClose(field);
    if (ch === null) return state.history ? "no prior close" : "";
    return (Math.abs(ch) < 1e-9 ? "unchanged" : (ch > 0 ? "▲ +" : "▼ −") + fmtPrice(Math.abs(ch))) + " since prior close";
  }

  function hedgeText(h) {
    if (!h) return "n/a";
    if (h.direction === "none") return "none";
    return h.direction + " " + fmtAmount(h.notional_usd);
  }

  /** The numbers a trader decides on, first: levels with their distance (level - spot) / spot
   *  and change since the prior close, net GEX, the dealer hedge for ±1%, the 0DTE share. */
  function renderLevels() {
    var box = $("levels"), more = $("more-levels"), lv = state.answers.levels, s = state.answers.summary;
    box.textContent = ""; more.textContent = "";
    var spot = (lv || s || {}).underlying_price;
    function dist(value) { return value === null || value === undefined ? "" : fmtPct(pctFromSpot(value, spot)) + " vs spot"; }
    var src = lv || s;
    if (src) {
      var flipDetail = src.gamma_flip_status !== "ok" ? (src.gamma_flip_reason || src.gamma_flip_status) : dist(src.gamma_flip);
      card(box, "gamma_flip", "Gamma flip", fmtPrice(src.gamma_flip), flipDetail, changeText("gamma_flip"));
      card(box, "call_wall", "Call wall", fmtPrice(src.call_wall), dist(src.call_wall), changeText("call_wall"));
      card(box, "put_wall", "Put wall", fmtPrice(src.put_wall), dist(src.put_wall), changeText("put_wall"));
    }
    if (s) {
      var netCh = sinceClose("net_gex");
      // REST (FlashAlpha's letter) keeps net GEX under exposures; MCP at the top
      card(box, "net_gex", "Net GEX", fmtAmount(s.net_gex !== undefined ? s.net_gex : (s.exposures || {}).net_gex), "USD per 1% move",
           netCh === null ? "" : (netCh >= 0 ? "▲ +" : "▼ −") + fmtAmount(Math.abs(netCh)) + " since prior close");
      card(box, "hedge", "Dealer hedge, spot ±1%", "+1%: " + hedgeText(s.dealer_hedge_up_1pct), null,
           "−1%: " + hedgeText(s.dealer_hedge_down_1pct) + " (USD notional)");
      card(box, "zero_dte", "0DTE share", s.zero_dte_pct_of_total === null || s.zero_dte_pct_of_total === undefined ?
        "none" : s.zero_dte_pct_of_total.toFixed(1) + "%", s.zero_dte_net_gex === null || s.zero_dte_net_gex === undefined ?
        "no options expire today" : "net " + fmtAmount(s.zero_dte_net_gex));
    }
    var c = state.answers.complex, b = state.answers.basket;
    if (c) {
      card(box, "net_gex", "Net GEX", fmtAmount(c.net_gex), "USD per 1% move");
      card(box, "net_dex", "Net DEX", fmtAmount(c.net_dex), "USD of dealer delta");
    }
    if (b) {
      [["net_gex", "Net GEX", "USD per 1% move"], ["net_dex", "Net DEX", "USD of dealer delta"],
       ["net_vex", "Net VEX", "USD of delta per vol point"], ["net_chex", "Net CHEX", "USD of delta per day"]]
        .forEach(function (spec) { card(box, spec[0], spec[1], fmtAmount(b.aggregate[spec[0]]), spec[2]); });
    }
    if (!src && !s && !b) box.appendChild(el("p", { "class": "caption wide" }, "Levels unavailable (the message above says why)."));
    if (lv) {
      [["max_positive_gamma", "Max +gamma"], ["max_negative_gamma", "Max −gamma"], ["zero_dte_magnet", "0DTE magnet"],
       ["highest_oi_strike", "Highest OI"]].forEach(function (spec) {
        card(more, spec[0], spec[1], fmtPrice(lv[spec[0]]), dist(lv[spec[0]]));
      });
    }
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

  /** Strikes within ±windowPct% of spot, one bar each (no binning): the strike chart reads as
   *  strikes, with the listed strikes on its axis. */
  function strikeBars(answer, metric, windowPct) {
    var spot = answer.underlying_price, lo = spot * (1 - windowPct / 100), hi = spot * (1 + windowPct / 100);
    var rows = answer.strikes.filter(function (r) { return r.strike >= lo && r.strike <= hi; });
    return { x: rows.map(function (r) { return r.strike; }),
             call: rows.map(function (r) { return r["call_" + metric]; }),
             put: rows.map(function (r) { return r["put_" + metric]; }),
             net: rows.map(function (r) { return r["net_" + metric]; }),
             binWidth: 0, strikes: rows.length };
  }

  /** Axis ink and grid from the theme's colours (canvas text does not follow CSS). */
  function axisStyle(extra) {
    var css = getComputedStyle(document.documentElement);
    var ink = css.getPropertyValue("--fg").trim() || "#1b1b1b", line = css.getPropertyValue("--line").trim() || "#d9d9d9";
    var out = { stroke: ink, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
    Object.keys(extra).forEach(function (k) { out[k] = extra[k]; });
    return out;
  }

  function chartWidth(node) {
    var w = node.clientWidth || document.documentElement.clientWidth - 32;
    return Math.max(260, Math.min(w, document.documentElement.clientWidth - 16));
  }

  /** Dashed lines at level values, across the plot whatever the x scale's orientation
   *  (vertical lines on the profile, horizontal ones on the strike chart). */
  function levelLines(values, colour) {
    return function (u) {
      var ctx = u.ctx, b = u.bbox, vertical = u.scales.x.ori === 1;
      ctx.save();
      ctx.lineWidth = 1.5 * uPlot.pxRatio;
      ctx.setLineDash([5 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
      values.forEach(function (m) {
        var p = u.valToPos(m.value, "x", true);
        ctx.strokeStyle = colour(m.level);
        ctx.beginPath();
        if (vertical) {
          if (p < b.top || p > b.top + b.height) return;
          ctx.moveTo(b.left, p); ctx.lineTo(b.left + b.width, p);
        } else {
          if (p < b.left || p > b.left + b.width) return;
          ctx.moveTo(p, b.top); ctx.lineTo(p, b.top + b.height);
        }
        ctx.stroke();
      });
      ctx.restore();
    };
  }

  // Okabe-Ito hues, darkened where needed for 3:1 contrast on white (WCAG 1.4.11).
  var LINE_COLOUR = {
    spot: "#000", gamma_flip: "#A8467F", call_wall: "#0072B2", max_positive_gamma: "#2C7FB8",
    put_wall: "#B34700", max_negative_gamma: "#9A6A00", zero_dte_magnet: "#00785A",
  };

  function lineColour(level) {
    if (level === "spot") return axisStyle({}).stroke;
    return document.documentElement.dataset.theme === "dark" ? (DARK_LINE[level] || LINE_COLOUR[level]) : LINE_COLOUR[level];
  }
  var DARK_LINE = { gamma_flip: "#f0a6d2", call_wall: "#56B4E9", max_positive_gamma: "#7cc4f0", put_wall: "#E69F00",
                    max_negative_gamma: "#F0C45A", zero_dte_magnet: "#3fd1a5" };

  function chartMarkers() {
    var lv = state.answers.levels || state.answers.summary || {}, a = state.answers.strikes || {};
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

  var LABEL_ROW = 17;

  /** Labels inside the plot at its right edge, each at its level's height; a level outside the
   *  strikes drawn is clamped to the top (▲ above) or bottom (▼ below) edge; labels that would
   *  overlap are pushed apart vertically, and none leaves the plot. */
  function placeMarkers(u, markers, strip) {
    strip.textContent = "";
    var top = u.bbox.top / uPlot.pxRatio, height = u.bbox.height / uPlot.pxRatio;
    var right = (u.bbox.left + u.bbox.width) / uPlot.pxRatio;
    var xmin = u.scales.x.min, xmax = u.scales.x.max;
    var placed = mergeSamePrice(markers).map(function (m) {
      var edge = m.value > xmax ? "above" : m.value < xmin ? "below" : "";
      var y = edge === "above" ? top : edge === "below" ? top + height : u.valToPos(m.value, "x");
      var text = (edge === "above" ? "▲ " : edge === "below" ? "▼ " : "") + m.label + " " + fmtPrice(m.value);
      var node = el("span", { "class": "marker", "data-level": m.level, "data-levels": m.levels.join(" "),
        "data-value": String(m.value), "data-edge": edge || "none", title: m.label + " " + fmtPrice(m.value) }, text);
      strip.appendChild(node);
      return { node: node, y: y, edge: edge, m: m };
    });
    placed.sort(function (p, q) { return p.y - q.y; });  // top (high strikes) first
    var n = placed.length, tops = placed.map(function (p) { return p.y - LABEL_ROW / 2; });
    for (var i = 0; i < n; i++) {  // push down past the previous label, not above the plot
      tops[i] = Math.max(tops[i], top, i ? tops[i - 1] + LABEL_ROW : top);
    }
    for (var j = n - 1; j >= 0; j--) {  // then up, so the last one stays inside the plot
      tops[j] = Math.min(tops[j], top + height - LABEL_ROW, j < n - 1 ? tops[j + 1] - LABEL_ROW : Infinity);
    }
    placed.forEach(function (p, k) {
      var w = p.node.offsetWidth;
      p.node.style.top = tops[k] + "px";
      p.node.style.left = Math.max(u.bbox.left / uPlot.pxRatio, right - w - 4) + "px";
      p.m.y = p.y; p.m.edge = p.edge || null;
    });
    state.markers = placed.map(function (p) { return p.m; });
  }

  var strikePlot = null, profilePlot = null;

  function renderTabs() {
    document.querySelectorAll(".tabs [role=tab]").forEach(function (t) {
      var on = t.dataset.metric === state.metric;
      t.setAttribute("aria-selected", String(on)); t.tabIndex = on ? 0 : -1;
      if (on) $("strike-panel").setAttribute("aria-labelledby", t.id);
    });
  }

  function tooltip(u, bars, name) {
    var tip = $("tooltip"), i = u.cursor.idx;
    if (i === null || i === undefined || u.cursor.left < 0) { tip.hidden = true; return; }
    tip.textContent = "";
    [["Strike", fmtPrice(bars.x[i])], ["Calls", fmtAmount(bars.call[i])], ["Puts", fmtAmount(bars.put[i])],
     ["Net " + name, fmtAmount(bars.net[i])]].forEach(function (row) {
      var line = el("div");
      line.appendChild(el("span", {}, row[0] + " "));
      line.appendChild(el("b", {}, row[1]));
      tip.appendChild(line);
    });
    tip.hidden = false;
    var wrap = tip.parentNode.clientWidth, left = u.bbox.left / uPlot.pxRatio + u.cursor.left + 14;
    var y = u.bbox.top / uPlot.pxRatio + u.valToPos(bars.x[i], "x") + 10;
    if (left + tip.offsetWidth > wrap) left = Math.max(0, left - tip.offsetWidth - 28);
    tip.style.left = left + "px";
    tip.style.top = y + "px";
    state.tooltip = { strike: bars.x[i], call: bars.call[i], put: bars.put[i], net: bars.net[i] };
  }

  /** Strike ticks: every k-th listed strike, k so that labels are at least 16 px apart. */
  function strikeSplits(strikes, rowPx) {
    var k = Math.max(1, Math.ceil(16 / rowPx));
    return function (u) {
      if (state.answers.complex) {  // the complex's key strikes are unevenly spaced: labels 16 px apart
        var last = null;
        state.strikeTicks = strikes.filter(function (s) {
          var px = u.valToPos(s, "x");
          if (last !== null && Math.abs(px - last) < 16) return false;
          last = px;
          return true;
        });
      } else state.strikeTicks = strikes.filter(function (s, i) { return i % k === 0; });
      return state.strikeTicks;
    };
  }

  function renderStrikeChart() {
    var box = $("strike-chart"), strip = $("markers"), a = state.answers.strikes;
    if (strikePlot) { strikePlot.destroy(); strikePlot = null; }
    box.textContent = ""; strip.textContent = ""; $("tooltip").hidden = true;
    renderTabs();
    box.classList.remove("failed");
    var name = PER_STRIKE[state.metric];
    if (!a) {
      state.chart = null;
      $("strike-caption").textContent = "";
      box.classList.add("failed");
      box.appendChild(el("p", { "class": "caption" }, "No " + name + " chart (the message above says why)."));
      return;
    }
    var bars = strikeBars(a, state.metric, state.windowPct);
    state.chart = bars;
    $("strike-caption").textContent = state.answers.complex ? "GEX by strike of the " + a.symbol + " complex, " +
      UNITS.gex + ", on the index's strike grid: the " + bars.strikes + " key strikes (largest |net| and nearest " +
      "spot, of " + a.strikes_total + ") within ±" + state.windowPct + "% of spot. Net GEX of the whole complex: " +
      fmtAmount(a.net_gex) + "." :
      name + " by strike, " + UNITS[state.metric] + "; the " + bars.strikes +
      " strikes within ±" + state.windowPct + "% of spot, one bar each. Net " + name + " over the whole chain: " +
      fmtAmount(a["net_" + state.metric]) + ".";
    if (!bars.x.length) {
      box.classList.add("failed");
      box.appendChild(el("p", { "class": "caption" }, "No strikes within ±" + state.windowPct +
        "% of spot: widen the window or lower the min OI."));
      return;
    }
    var width = chartWidth(box), phone = width < 600;
    // rows: one per listed strike; the complex's key strikes leave gaps, so one per step of its finest spacing
    var rows = bars.x.length;
    if (state.answers.complex && rows > 1) {
      var step = Infinity;
      for (var j = 1; j < rows; j++) step = Math.min(step, bars.x[j] - bars.x[j - 1]);
      rows = Math.round((bars.x[rows - 1] - bars.x[0]) / step) + 1;
    }
    var rowPx = phone ? 8 : 10, height = Math.max(phone ? 260 : 320, Math.min(phone ? 760 : 900, rows * rowPx + 80));
    if (state.mode === "app" && document.documentElement.dataset.display === "inline") height = Math.min(height, 360);
    rowPx = (height - 80) / bars.x.length;
    var gap = bars.x.length > 1 ? (bars.x[bars.x.length - 1] - bars.x[0]) / (bars.x.length - 1) : 1;
    var range = [bars.x[0] - gap / 2, bars.x[bars.x.length - 1] + gap / 2];
    var markers = chartMarkers();
    box.setAttribute("aria-label", name + " by strike for " + a.symbol + ": " + bars.x.length + " strikes from " +
      fmtPrice(bars.x[0]) + " to " + fmtPrice(bars.x[bars.x.length - 1]) + "; hover or touch a bar for its numbers.");
    var bar = uPlot.paths.bars;
    state.axisTitles = ["Strike (USD)", name + " (" + UNITS[state.metric] + ")"];
    strikePlot = new uPlot({
      width: width, height: height,
      scales: { x: { time: false, ori: 1, dir: 1, range: function () { return range; } }, y: { ori: 0, dir: 1 } },
      axes: [
        axisStyle({ scale: "x", side: 3, label: state.axisTitles[0], labelSize: 18, size: phone ? 44 : 52,
          splits: strikeSplits(bars.x, rowPx), values: function (u, vals) { return vals.map(fmtPrice); } }),
        axisStyle({ scale: "y", side: 2, label: state.axisTitles[1], labelSize: 18,
          values: function (u, vals) { return vals.map(fmtAmount); } }),
      ],
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      legend: { show: false },
      series: [
        { label: "Strike" },
        { label: "Calls", fill: "rgba(0,114,178,0.9)", stroke: "#0072B2", width: 0, points: { show: false },
          paths: bar({ size: [0.45, 16], align: -1 }) },
        { label: "Puts", fill: "rgba(179,71,0,0.85)", stroke: "#B34700", width: 0, points: { show: false },
          paths: bar({ size: [0.45, 16], align: 1 }) },
        { label: "Net", fill: axisStyle({}).stroke, stroke: axisStyle({}).stroke, width: 0, points: { show: false },
          paths: bar({ size: [0.25, 6], align: 0 }) },
      ],
      hooks: { draw: [levelLines(markers, lineColour),
                      function (u) { placeMarkers(u, markers, strip); }],
               setCursor: [function (u) { tooltip(u, bars, name); }] },
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
      box.appendChild(el("p", { "class": "caption" }, state.errors.profile ? "No profile (the message above says why)." :
        LAZY ? "Loads when scrolled into view." : "No profile."));
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
      axes: [axisStyle({ label: "Spot (USD)", labelSize: 18, values: function (u, v) { return v.map(fmtPrice); } }),
             axisStyle({ label: "Net GEX (USD per 1%)", labelSize: 18, size: 64, values: function (u, v) { return v.map(fmtAmount); } })],
      cursor: { points: { show: false } },
      series: [{ label: "Spot", value: function (u, v) { return v === null ? "" : fmtPrice(v); } },
               { label: "Net GEX", stroke: axisStyle({}).stroke, width: 2, points: { show: false }, value: legendAmount },
               { label: "zero", stroke: "#767676", width: 1, dash: [4, 4], points: { show: false } }],
      hooks: { draw: [levelLines(lines, lineColour)] },
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

  function cellText(v, format) { return v === null || v === undefined ? "" : format(v); }
  function signedPrice(v) { return (v >= 0 ? "+" : "−") + fmtPrice(Math.abs(v)); }

  /** The members of a complex (as-of, forward ratio, net GEX, share of gross GEX, error) or of a
   *  basket (weight, net exposures, contribution, regime); a member's symbol opens it alone. */
  function renderBook() {
    var panel = $("book-panel"), c = state.answers.complex, b = state.answers.basket;
    var head = document.querySelector("#book thead"), body = document.querySelector("#book tbody");
    head.textContent = ""; body.textContent = "";
    panel.hidden = !(c || b);
    $("book-note").textContent = "";
    delete $("book-note").dataset.mismatch;
    if (!c && !b) return;
    var cols, rows;
    if (c) {
      $("book-title").textContent = c.symbol + " complex: members";
      cols = [["Symbol"], ["As of"], ["Spot", "num"], ["Forward ratio", "num"], ["Net GEX", "num"],
              ["Share of gross GEX", "num"], ["Error"]];
      rows = c.members.map(function (m) {
        return [m.symbol, cellText(m.as_of, fmtTime), cellText(m.underlying_price, fmtPrice),
                cellText(m.forward_ratio, function (v) { return v.toFixed(4); }), cellText(m.net_gex, fmtAmount),
                cellText(m.gross_gex_share_pct, function (v) { return v.toFixed(1) + "%"; }),
                m.error ? firstSentence(plainError(m.error)) : ""];
      });
      $("book-note").dataset.mismatch = String(!!c.as_of_mismatch);
      $("book-note").textContent = c.as_of_mismatch ? "⚠ The members' snapshots are " + c.as_of_spread_sessions +
        " sessions apart: the book mixes days; compare with care." :
        "Each member's strikes and spot scaled to " + c.symbol + " points by its own forward ratio; shares are of the complex's gross GEX.";
    } else {
      $("book-title").textContent = "Basket: members";
      cols = [["Symbol"], ["Weight", "num"], ["Spot", "num"], ["Net GEX", "num"], ["Net DEX", "num"],
              ["Net VEX", "num"], ["Net CHEX", "num"], ["Contribution", "num"], ["Regime"]];
      rows = b.constituents.map(function (m) {
        return [m.symbol, cellText(m.weight, function (v) { return (v * 100).toFixed(1) + "%"; }),
                cellText(m.underlying_price, fmtPrice), cellText(m.net_gex, fmtAmount), cellText(m.net_dex, fmtAmount),
                cellText(m.net_vex, fmtAmount), cellText(m.net_chex, fmtAmount),
                cellText(m.contribution_pct, function (v) { return v.toFixed(1) + "%"; }), REGIME[m.regime] || m.regime || ""];
      });
      $("book-note").textContent = "As of " + fmtTime(b.as_of) + ". Net exposure of the basket = Σ weight × member's; " +
        "contribution is each member's share of the weighted |net GEX|." +
        (b.missing_symbols && b.missing_symbols.length ? " Left out (no data): " + b.missing_symbols.join(", ") + "." : "");
    }
    var tr = el("tr");
    cols.forEach(function (col) { tr.appendChild(el("th", col[1] ? { "class": col[1], scope: "col" } : { scope: "col" }, col[0])); });
    head.appendChild(tr);
    rows.forEach(function (row) {
      var line = el("tr", { "data-symbol": row[0] }), first = el("td");
      var open = el("button", { type: "button", "class": "linkish", "data-open": row[0] }, row[0]);
      open.addEventListener("click", function () { openSymbol(row[0]); });
      first.appendChild(open);
      line.appendChild(first);
      row.slice(1).forEach(function (text, i) { line.appendChild(el("td", cols[i + 1][1] ? { "class": cols[i + 1][1] } : {}, text)); });
      body.appendChild(line);
    });
  }

  /** One row per scenario: the flip (USD) or why it vanished, its change from the flip as quoted
   *  (points and % of spot), net GEX and regime; the answer's one-line reading above. */
  function renderScenarios() {
    var body = document.querySelector("#scenarios tbody"), held = state.scenarios;
    var s = held && held.key === scenariosKey() ? held.answer : null;
    if (state.scenariosLoading === scenariosKey() && !s) return;
    body.textContent = "";
    if (!s) {
      $("scenarios-reading").textContent = state.errors.scenarios ? "No scenarios (the message above says why)." :
        "Loads when scrolled into view.";
      $("scenarios-caption").textContent = "";
      return;
    }
    $("scenarios-reading").textContent = s.reading;
    var rows = [{ scenario: "As quoted", kind: "base", gamma_flip: s.gamma_flip, gamma_flip_status: s.gamma_flip_status,
                  gamma_flip_reason: s.gamma_flip_reason, flip_change: null, net_gex: s.net_gex,
                  gamma_regime: s.gamma_regime }].concat(s.scenarios);
    rows.forEach(function (r) {
      var tr = el("tr", { "data-kind": r.kind, "data-scenario": r.scenario });
      var name = r.scenario + (r.kind === "without_expiration" && r.near_spot_gamma_share_pct !== null &&
        r.near_spot_gamma_share_pct !== undefined ? " (" + r.near_spot_gamma_share_pct.toFixed(1) + "% of gamma near spot)" : "") +
        (r.ivs_floored ? " (" + r.ivs_floored + " IVs floored)" : "");
      var vanished = r.gamma_flip === null || r.gamma_flip === undefined;
      var change = vanished ? (r.gamma_flip_reason || r.gamma_flip_status || "") :
        r.flip_change === null || r.flip_change === undefined ? "" : signedPrice(r.flip_change) + " (" + fmtPct(r.flip_change_pct) + ")";
      [[name], [vanished ? "none (" + String(r.gamma_flip_status).replace(/_/g, " ") + ")" : fmtPrice(r.gamma_flip), "num"],
       [change, vanished ? "" : "num"], [fmtAmount(r.net_gex), "num"], [REGIME[r.gamma_regime] || r.gamma_regime || ""]]
        .forEach(function (c) { tr.appendChild(el("td", c[1] ? { "class": c[1] } : {}, c[0])); });
      body.appendChild(tr);
    });
    $("scenarios-caption").textContent = "Each row re-prices the whole chain (" + s.symbol + ", as of " + fmtTime(s.as_of) +
      (s.expiration ? ", expiry " + s.expiration : "") + "); change = scenario flip − quoted flip, in points and % of spot " +
      fmtPrice(s.underlying_price) + ". Dealer model as quoted: " + s.dealer_model + ".";
  }

  // ---- levels over time ------------------------------------------------------------------

  var HISTORY_DAYS = 5;
  var historyPlot = null;

  /** Spot, flip and walls over the last sessions (the history endpoint); its own panel, so a
   *  source with no stored history yet says so there without holding up the rest. */
  function loadHistory(seq, symbol, fresh) {
    document.body.dataset.history = "loading";
    if (!state.history || state.history.symbol !== symbol) {
      $("history-caption").textContent = "Loading " + HISTORY_DAYS + " sessions of " + symbol + "…";
    }
    var args = { symbol: symbol, days: HISTORY_DAYS };
    return transport.call("history", args, undefined, fresh).then(function (answer) {
      if (seq !== state.seq) return;
      state.history = answer;
      delete state.errors.history;
      renderHistory(answer, null);
      renderLevels();  // the changes since the prior close
      document.body.dataset.history = "ready";
    }, function (err) {
      if (seq !== state.seq) return;
      state.history = null;
      state.errors.history = err.message;
      renderHistory(null, err.message);
      renderBanners();
      renderLevels();
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
        error ? "No level history (the message above says why)." : "No level history: no records in the window."));
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
      axes: [axisStyle({ label: "Time (your browser's zone)", labelSize: 18 }),
             axisStyle({ label: "Price (USD)", labelSize: 18, size: 64, values: function (u, v) { return v.map(fmtPrice); } })],
      cursor: { points: { show: false } },
      series: [
        {},
        { label: "Spot", stroke: axisStyle({}).stroke, width: 2, points: { size: 4 }, value: legendPrice },
        { label: "Gamma flip", stroke: "#A8467F", width: 2, dash: [6, 4], points: { show: false }, value: legendPrice },
        { label: "Call wall", stroke: "#0072B2", width: 2, points: { show: false },
          paths: uPlot.paths.stepped({ align: 1 }), value: legendPrice },
        { label: "Put wall", stroke: "#B34700", width: 2, points: { show: false },
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
      $("scan-note").textContent = "Scan failed: " + plainError(err.message);
      document.body.dataset.scan = "error";
    });
  }

  /** A scan row with the distances of the other answers: (level - spot) / spot x 100. */
  function scanRecord(r) {
    var spot = r.underlying_price;
    function to(level) { return spot && level !== null && level !== undefined ? pctFromSpot(level, spot) : null; }
    return { row: r, symbol: r.symbol, as_of: r.as_of || null, underlying_price: spot,
             gamma_regime: r.gamma_regime, net_gex: r.net_gex, gamma_flip: r.gamma_flip,
             to_flip: to(r.gamma_flip), call_wall: r.call_wall, to_call_wall: to(r.call_wall),
             put_wall: r.put_wall, to_put_wall: to(r.put_wall) };
  }

  function renderScan(answer) {
    state.scan = answer;
    var records = answer.rows.map(scanRecord);
    records.forEach(function (rec) {
      var r = rec.row, before = state.lastRegime[r.symbol];
      rec.regimeChanged = before && r.gamma_regime && before !== r.gamma_regime ? before : null;
      if (r.gamma_regime) state.lastRegime[r.symbol] = r.gamma_regime;
    });
    state.scanRecords = records;
    var sessions = {};
    records.forEach(function (rec) { if (rec.as_of) sessions[sessionOf(rec.as_of)] = true; });
    var dates = Object.keys(sessions).sort();
    $("scan-note").textContent = dates.length > 1 ?
      "⚠ These rows come from different sessions (" + dates.join(", ") + "): compare them with care." :
      "Distances are (level − spot) / spot: + above spot, − below. Sort by a column with its heading.";
    $("scan-note").dataset.mixed = String(dates.length > 1);
    drawScanRows();
  }

  function drawScanRows() {
    var body = document.querySelector("#scan tbody"), records = (state.scanRecords || []).slice();
    var key = state.scanSort.key, dir = state.scanSort.dir;
    if (key) {
      records.sort(function (p, q) {
        var a = p[key], b = q[key];
        if (a === null || a === undefined) return 1;
        if (b === null || b === undefined) return -1;
        return (a < b ? -1 : a > b ? 1 : 0) * dir;
      });
    }
    document.querySelectorAll("#scan th[data-key]").forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.key === key ? (dir > 0 ? "ascending" : "descending") : "none");
    });
    body.textContent = "";
    records.forEach(function (rec) {
      var r = rec.row, tr = el("tr", { "data-symbol": r.symbol });
      var open = el("button", { type: "button", "class": "linkish", "data-open": r.symbol }, r.symbol);
      open.addEventListener("click", function (e) { e.stopPropagation(); openSymbol(r.symbol); });
      var first = el("td");
      first.appendChild(open);
      tr.appendChild(first);
      var flags = [];
      if (r.error) flags.push(firstSentence(plainError(r.error)));
      else {
        if (r.below_flip) flags.push("▼ below flip");
        if (r.near_call_wall) flags.push("near call wall");
        if (r.near_put_wall) flags.push("near put wall");
        if (rec.regimeChanged) flags.push("regime changed (was " + rec.regimeChanged.replace("_", " ") + ")");
        if (r.stale) flags.push("stale");
        if (r.outdated) flags.push("old snapshot");
        (r.notes || []).forEach(function (n) { if (n.indexOf("old snapshot:") !== 0) flags.push("note: " + n); });
        if (r.is_demo) flags.push("demo");
      }
      [[rec.as_of ? fmtTime(rec.as_of) : ""], [fmtPrice(r.underlying_price), "num"],
       [r.gamma_regime ? REGIME[r.gamma_regime] : ""], [r.net_gex === null || r.net_gex === undefined ? "n/a" : fmtAmount(r.net_gex), "num"],
       [fmtPrice(r.gamma_flip), "num"], [fmtPct(rec.to_flip), "num"],
       [fmtPrice(r.call_wall), "num"], [fmtPct(rec.to_call_wall), "num"],
       [fmtPrice(r.put_wall), "num"], [fmtPct(rec.to_put_wall), "num"]].forEach(function (c) {
        tr.appendChild(el("td", c[1] ? { "class": c[1] } : {}, r.error && c[0] === "n/a" ? "" : c[0]));
      });
      var td = el("td");
      flags.forEach(function (f) { td.appendChild(el("span", { "class": "flag" + (r.error ? " err" : "") }, f)); });
      tr.appendChild(td);
      tr.addEventListener("click", function () { openSymbol(r.symbol); });
      body.appendChild(tr);
    });
  }

  document.querySelectorAll("#scan th[data-key] button").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.parentNode.dataset.key;
      state.scanSort = { key: key, dir: state.scanSort.key === key ? -state.scanSort.dir : 1 };
      drawScanRows();
    });
  });

  // ---- the view in the URL -----------------------------------------------------------------

  var METRICS = Object.keys(PER_STRIKE), WINDOWS = ["2", "5", "10", "25"];

  function viewQuery() {
    var q = new URLSearchParams(location.search);
    var index = complexOf(state.symbol);
    if (state.basket.length) { q.set("basket", state.basket.join(",")); q.delete("symbol"); }
    else { q.delete("basket"); q.delete("weights"); q.set("symbol", index ? index + "-complex" : state.symbol); }
    [["expiration", state.expiration], ["tab", state.metric === "gex" ? "" : state.metric],
     ["window", state.windowPct === 5 ? "" : String(state.windowPct)], ["min_oi", state.minOi ? String(state.minOi) : ""]]
      .forEach(function (kv) { if (kv[1]) q.set(kv[0], kv[1]); else q.delete(kv[0]); });
    return "?" + q.toString();
  }

  /** One history entry per change of view (Back returns to the previous view). */
  function pushView() {
    if (state.mode !== "rest") return;
    var query = viewQuery();
    if (query !== location.search) history.pushState(null, "", query);
  }

  function readView() {
    var q = new URLSearchParams(location.search);
    state.symbol = (q.get("symbol") || CONFIG.symbol || "SPY").toUpperCase().slice(0, 12);
    state.expiration = /^\d{4}-\d{2}-\d{2}$/.test(q.get("expiration") || "") ? q.get("expiration") : "";
    state.metric = METRICS.indexOf(q.get("tab")) >= 0 ? q.get("tab") : "gex";
    state.windowPct = parseFloat(WINDOWS.indexOf(q.get("window")) >= 0 ? q.get("window") : "5");
    state.minOi = Math.max(0, parseInt(q.get("min_oi") || "0", 10) || 0);
    state.basket = (q.get("basket") || "").split(/[\s,]+/).map(function (x) { return x.trim().toUpperCase(); })
      .filter(function (x) { return x; }).slice(0, 50);
    state.weights = state.basket.length ? (q.get("weights") || "") : "";
    syncControls();
  }

  function syncControls() {
    $("symbol").value = state.basket.length ? "" : complexOf(state.symbol) ? complexOf(state.symbol) + "-complex" : state.symbol;
    $("window").value = String(state.windowPct);
    $("min-oi").value = String(state.minOi);
    if ($("expiration").querySelector('option[value="' + state.expiration + '"]')) $("expiration").value = state.expiration;
  }

  // ---- controls --------------------------------------------------------------------------

  function openSymbol(symbol) {
    state.symbol = symbol.toUpperCase();
    state.basket = [];
    state.weights = "";
    state.expiration = "";
    pushView();
    syncControls();
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

  function readMinOi() { return Math.max(0, parseInt($("min-oi").value || "0", 10) || 0); }

  onEnterOrClick(["symbol", "min-oi"], "show", function () {
    var symbol = $("symbol").value.trim().toUpperCase();
    var minOi = readMinOi();
    state.windowPct = parseFloat($("window").value);
    if (symbol && (symbol !== state.symbol || state.basket.length)) { state.minOi = minOi; openSymbol(symbol); return; }
    if (minOi !== state.minOi) { state.minOi = minOi; pushView(); refreshStrikes(); return; }
    pushView();
    renderStrikeChart();
    markLoaded();
  });
  $("refresh").addEventListener("click", function () { refresh(null, true); });
  $("expiration").addEventListener("change", function () { state.expiration = this.value; pushView(); refresh(); });
  $("window").addEventListener("change", function () {
    state.windowPct = parseFloat(this.value);
    pushView();
    renderStrikeChart();
    markLoaded();
  });
  $("min-oi").addEventListener("change", function () {
    var minOi = readMinOi();
    if (minOi === state.minOi) return;
    state.minOi = minOi;
    pushView();
    refreshStrikes();
  });
  onEnterOrClick(["watchlist"], "scan-button", runScan);

  var tabs = Array.prototype.slice.call(document.querySelectorAll(".tabs [role=tab]"));
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () {
      if (state.metric === tab.dataset.metric) return;
      state.metric = tab.dataset.metric;
      pushView();
      refreshStrikes();
    });
    tab.addEventListener("keydown", function (e) {
      var step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      e.preventDefault();
      var next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus(); next.click();
    });
  });

  window.addEventListener("popstate", function () {
    var before = { symbol: state.symbol, expiration: state.expiration, metric: state.metric, minOi: state.minOi,
                   basket: state.basket.join(",") + "|" + state.weights };
    readView();
    if (before.symbol !== state.symbol || before.expiration !== state.expiration ||
        before.basket !== state.basket.join(",") + "|" + state.weights) refresh();
    else if (before.metric !== state.metric || before.minOi !== state.minOi) refreshStrikes();
    else { renderStrikeChart(); markLoaded(); }
  });

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      if (state.answers.strikes) renderStrikeChart();
      if (state.answers.profile) renderProfile();
      if (state.history) renderHistory(state.history, null);
    }, 150);
  });

  // ---- the MCP App -----------------------------------------------------------------------

  /** Tell the model what the user is looking at (ext-apps ui/update-model-context). */
  function tellModel() {
    if (state.mode !== "app" || !state.bridgeReady) return;
    var a = main(), lv = state.answers.levels || state.answers.summary;
    if (!a || !a.symbol) return;  // a basket has no one symbol to name
    var key = [a.symbol, state.expiration, state.metric, a.as_of].join("|");
    if (key === state.toldModel) return;
    state.toldModel = key;
    var text = "The user is looking at the gex-mcp dashboard for " + a.symbol + (state.answers.complex ? " complex" : "") +
      (state.expiration ? " (expiry " + state.expiration + ")" : "") + ", " + PER_STRIKE[state.metric] +
      " tab: spot " + fmtPrice(a.underlying_price) + ", gamma flip " + fmtPrice(lv && lv.gamma_flip) +
      ", call wall " + fmtPrice(lv && lv.call_wall) + ", put wall " + fmtPrice(lv && lv.put_wall) +
      (state.answers.summary ? ", regime " + state.answers.summary.gamma_regime : "") + ", as of " + fmtTime(a.as_of) + ".";
    transport.request("ui/update-model-context", {
      content: [{ type: "text", text: text }],
      structuredContent: { symbol: a.symbol, expiration: state.expiration || null, tab: state.metric,
        underlying_price: a.underlying_price, gamma_flip: lv ? lv.gamma_flip : null,
        call_wall: lv ? lv.call_wall : null, put_wall: lv ? lv.put_wall : null, as_of: a.as_of },
    }).then(function () { state.modelContext = text; }, function () { state.modelContext = null; });
  }

  function appState(kind, text) {
    var box = $("app-state");
    document.body.dataset.app = kind;
    if (!text) { box.hidden = true; box.textContent = ""; return; }
    box.hidden = false;
    box.className = "app-state " + kind;
    box.textContent = text;
  }

  /** Panels below the first screen load when they scroll into view (the app's compact view). */
  function lazyPanels() {
    var pending = { profile: $("profile-chart"), history: $("history-chart"), scan: $("scan") };
    watchScenarios();
    function load(name) {
      if (name === "profile") {
        transport.call("profile", { symbol: state.symbol, expiration: state.expiration || undefined }).then(function (p) {
          state.answers.profile = p; delete state.errors.profile; renderProfile();
        }, function (err) { state.errors.profile = err.message; renderBanners(); renderProfile(); });
      } else if (name === "history") loadHistory(state.seq, state.symbol);
      else runScan();
    }
    if (!window.IntersectionObserver) { Object.keys(pending).forEach(load); return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        Object.keys(pending).forEach(function (name) {
          if (pending[name] === entry.target) { seen.unobserve(entry.target); delete pending[name]; load(name); }
        });
      });
    });
    Object.keys(pending).forEach(function (name) { seen.observe(pending[name]); });
  }

  function applyHostContext(ctx) {
    if (!ctx) return;
    if (ctx.theme) document.documentElement.dataset.theme = ctx.theme === "dark" ? "dark" : "light";
    if (ctx.displayMode) document.documentElement.dataset.display = ctx.displayMode;
    var modes = ctx.availableDisplayModes || (state.host && state.host.availableDisplayModes) || [];
    $("fullscreen").hidden = modes.indexOf("fullscreen") < 0;
    $("fullscreen").textContent = ctx.displayMode === "fullscreen" ? "Compact view" : "Fullscreen";
    if (ctx.containerDimensions) {
      var d = ctx.containerDimensions;
      if (d.maxHeight) document.documentElement.style.setProperty("--host-max-height", d.maxHeight + "px");
      if (d.width) document.documentElement.style.setProperty("--host-width", d.width + "px");
    }
    if (state.answers.strikes) renderStrikeChart();
  }

  // ---- start -----------------------------------------------------------------------------

  $("watchlist").value = (CONFIG.watchlist || []).join(", ");
  $("symbol").value = state.symbol;

  document.documentElement.dataset.mode = state.mode;
  if (state.mode === "app") {
    var bridge = transport, handed = false;
    document.documentElement.dataset.display = "inline";
    appState("loading", "Loading: waiting for the tool result from the host…");
    document.body.dataset.status = "waiting";
    // The tool call that opened the app: adopt its symbol (and expiry) while the result runs.
    bridge.on("ui/notifications/tool-input", function (params) {
      var args = params.arguments || {};
      if (args.symbol) state.symbol = String(args.symbol).toUpperCase();
      if (args.expiration) state.expiration = String(args.expiration);
      appState("loading", "Loading " + state.symbol + "…");
    });
    bridge.on("ui/notifications/tool-cancelled", function (params) {
      appState("cancelled", "Cancelled: the tool call was stopped" + (params && params.reason ? " (" + params.reason + ")" : "") +
        ". Ask the agent again, or press Refresh.");
      document.body.dataset.status = "cancelled";
    });
    bridge.on("ui/notifications/tool-result", function (result) {
      var data = result.structuredContent ? expandTables(result.structuredContent) : null;
      if (result.isError || !data || !data.symbol) {
        var text = (result.content || []).filter(function (c) { return c.type === "text"; }).map(function (c) { return c.text; }).join(" ");
        appState("error", "The tool failed: " + plainError(text || "no result"));
        document.body.dataset.status = "error";
        return;
      }
      handed = true;
      appState("ready", "");
      state.symbol = String(data.symbol).toUpperCase();
      state.expiration = data.expiration || "";
      state.toolResult = data;
      syncControls();
      // Render what the host handed over at once; ask only for what the first screen lacks.
      var keep = {};
      if (data.interpretation !== undefined) keep.summary = data;
      else if (Array.isArray(data.strikes) && data.strikes.length && !data.strikes_omitted &&
               data.strikes[0]["net_" + state.metric] !== undefined) keep.strikes = data;  // every strike listed
      state.answers = {};
      Object.keys(keep).forEach(function (k) { state.answers[k] = keep[k]; });
      render();
      refresh(keep).then(function () { if (!state.lazyStarted) { state.lazyStarted = true; lazyPanels(); } });
    });
    bridge.on("ui/notifications/host-context-changed", function (ctx) { applyHostContext(ctx); });
    bridge.on("ui/resource-teardown", function () { clearTimeout(state.timer); return {}; });
    $("fullscreen").addEventListener("click", function () {
      var want = document.documentElement.dataset.display === "fullscreen" ? "inline" : "fullscreen";
      bridge.request("ui/request-display-mode", { mode: want }).then(function (r) {
        applyHostContext({ displayMode: (r && r.mode) || want });
      }, function () {});
    });
    if (window.parent === window) {
      appState("outside", "This is the gex-mcp dashboard app: open it from an MCP host (an agent that " +
        "supports MCP Apps) by asking for a GEX summary or chart.");
      document.body.dataset.status = "outside";
    } else {
      bridge.request("ui/initialize", {
        appInfo: { name: "gex-mcp dashboard", version: CONFIG.version },
        appCapabilities: { availableDisplayModes: ["inline", "fullscreen"] }, protocolVersion: APP_PROTOCOL,
      }).then(function (init) {
        state.host = init && init.hostInfo;
        state.bridgeReady = true;
        applyHostContext(init && init.hostContext);
        bridge.notify("ui/notifications/initialized", {});
        if (window.ResizeObserver) {
          new ResizeObserver(function () {
            bridge.notify("ui/notifications/size-changed", {
              width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight });
          }).observe(document.body);
        }
        setTimeout(function () {
          if (!handed && document.body.dataset.status === "waiting") {
            appState("loading", "Still waiting for the tool result… press Refresh to load " + state.symbol + " now.");
          }
        }, 10000);
      }, function (err) {
        appState("outside", "Could not connect to the host (" + plainError(err.message) + "): open this from an MCP host.");
      });
    }
  } else {
    readView();
    if (new URLSearchParams(location.search).get("watchlist")) $("watchlist").value = new URLSearchParams(location.search).get("watchlist");
    refresh().then(watchScenarios);  // after the first screen is drawn, so "in view" means scrolled to
    runScan();
  }
})();
