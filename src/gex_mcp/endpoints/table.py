"""The endpoint table: every question gex-mcp answers, defined once.

The MCP tools (`mcp_server/server.py`), the CLI commands (`cli.py`), the REST routes and
OpenAPI paths (`http/rest/`), the terminal views (`terminal/views.py`), the service's
per-endpoint methods, the README's tools table and the tests' call lists are all generated
from `ENDPOINTS` (or checked against it). Every behaviour that differs between endpoints is
chosen here, on the row: its model and builder (referenced, never looked up by name), how
the service answers it (`kind`), its REST path and shape, its terminal view, and whether a
live source answers it at a past time from a stored level record (`from_record`). Adding an
endpoint means: a row here, its response model in `models/`, its builder in `responses/`,
and its test.

What a row is (`Endpoint`, its kinds, views and toolsets) is `row.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from gex_mcp import models, responses
from gex_mcp.endpoints.args import (
    ALL_EXPIRIES,
    AS_OF,
    BASKET_SYMBOLS,
    CHART_WINDOW,
    EXPIRATION,
    EXPORT_FORMAT,
    HISTORY_WINDOW,
    INTERVAL,
    IV_SHIFTS,
    MIN_OI,
    MOVES,
    NEAR_WALL,
    OI_OVERLAY,
    ONE_SYMBOL,
    PER_STRIKE,
    RANGE_PCT,
    SOURCE,
    SYMBOL,
    SYMBOLS,
    WEIGHTS,
)
from gex_mcp.endpoints.row import BOTH, CHAINS, PNG_KINDS, Endpoint, Kind, Toolset, View
from gex_mcp.responses import contracts as contract_responses
from gex_mcp.responses import flashalpha_expiries as fa_bodies
from gex_mcp.responses import flashalpha_exposures as fa_exposures
from gex_mcp.responses import history as history_responses
from gex_mcp.responses.guide import LEVELS_SHAPE, SUMMARY_SHAPE, FlashAlphaPath


def _greek(name: str, title: str, response: type[BaseModel], build: Callable[..., BaseModel],
           what: str, when: str, net: str, summary: str, cost: str) -> Endpoint:
    return Endpoint(
        name=name, title=title,
        description=(what, when,
                     f"By default about 20 key strikes are listed (largest |net| and nearest "
                     f"spot; {cost}); {net} the whole chain."),
        summary=summary, args=PER_STRIKE, response=response, build=build, backends=BOTH,
        per_strike=True, example={"symbol": "SPY"}, app=name == "gex",
        view="gex" if name == "gex" else "greek", toolset="core" if name == "gex" else "exposures",
        flashalpha_paths=(FlashAlphaPath("/v1/exposure/sheet/{symbol}", fa_exposures.sheet_body,
                                         needs=("dex", "vex", "chex")),) if name == "gex" else ())


ENDPOINTS: tuple[Endpoint, ...] = (
    _greek(
        "gex", "Gamma exposure by strike",
        models.GexResponse, responses.gex_response,
        "Dealer gamma exposure per strike (call, put and net GEX in USD per 1% move, with OI, "
        "volume and OI change), plus whole-chain totals and the gamma flip.",
        "Use it for the strike-by-strike gamma profile; for just the key price levels use levels, "
        "for the regime and interpretation use summary, for a picture use gex_chart.",
        "net_gex, call_gex and put_gex always cover",
        "per-strike call/put/net GEX (USD per 1% move), OI, volume, OI change; flip, totals",
        "for SPX about 600 tokens, strikes='window' about 3,500, strikes='all' about 7,600"),
    _greek(
        "dex", "Delta exposure by strike",
        models.DexResponse, responses.dex_response,
        "Dealer delta exposure per strike (call, put and net DEX in USD of delta), plus the "
        "whole-chain net DEX.",
        "Use it to see how much directional delta dealers carry and at which strikes; for gamma "
        "use gex, for all four exposures in one answer use summary.",
        "net_dex always covers", "per-strike dealer delta exposure (USD of delta)",
        "for SPX about 450 tokens, strikes='window' about 2,200, strikes='all' about 5,000"),
    _greek(
        "vex", "Vanna exposure by strike",
        models.VexResponse, responses.vex_response,
        "Dealer vanna exposure per strike (call, put and net VEX in USD of delta per vol point), "
        "plus the whole-chain net VEX and a one-line interpretation.",
        "Use it to judge how dealer hedging flows react to a change in implied volatility; for "
        "time decay use chex, for gamma use gex.",
        "net_vex always covers", "per-strike dealer vanna exposure (USD of delta per vol point) and its reading",
        "for SPX about 450 tokens, strikes='window' about 2,200, strikes='all' about 5,000"),
    _greek(
        "chex", "Charm exposure by strike",
        models.ChexResponse, responses.chex_response,
        "Dealer charm exposure per strike (call, put and net CHEX in USD of delta per calendar "
        "day), plus the whole-chain net CHEX and a one-line interpretation.",
        "Use it to see how dealer delta drifts with the passage of time, e.g. into an expiration; "
        "for implied-volatility sensitivity use vex, for gamma use gex.",
        "net_chex always covers", "per-strike dealer charm exposure (USD of delta per day) and its reading",
        "for SPX about 450 tokens, strikes='window' about 2,200, strikes='all' about 5,000"),
    Endpoint(
        name="levels", title="Key gamma levels",
        description=(
            "Key price levels for one symbol, in USD: gamma flip (with status and every zero "
            "crossing), call wall, put wall, largest positive and negative net-gamma strikes, "
            "highest open-interest strike and the 0DTE magnet.",
            "Use it for support and resistance levels; for regime, exposures and hedging in one "
            "answer use summary, for several symbols at once use scan.",
            "Walls come from open interest, which exchanges publish once a day; a level is null "
            "when it cannot be determined."),
        summary="gamma flip, call wall, put wall, max ± gamma strikes, highest OI, 0DTE magnet",
        args=ONE_SYMBOL, response=models.LevelsResponse, build=responses.levels_response,
        backends=BOTH, example={"symbol": "SPX"}, view="levels", rest_shape=LEVELS_SHAPE,
        from_record=history_responses.levels_from_record,
        resource="Gamma flip, walls and other key levels of one symbol as JSON (the levels "
                 "tool's answer, default source)."),
    Endpoint(
        name="summary", title="Gamma summary",
        description=(
            "Overview of one symbol: gamma regime and why, net GEX, DEX, VEX and CHEX (units as "
            "in the server instructions), distance to the gamma flip, walls, dealer shares to "
            "trade for a ±1% move, GEX by expiration, top open-interest changes and an "
            "interpretation in words.",
            "Use it first for a single symbol; use scan for a watchlist, and levels, regime or "
            "flip_distance when you need only that part.",
            "Check is_demo and stale before quoting the numbers as market data."),
        summary="regime, net GEX/DEX/VEX/CHEX, interpretation, dealer hedging for ±1%, expiries, "
                "OI movers",
        args=ONE_SYMBOL, response=models.SummaryResponse, build=responses.summary_response,
        backends=BOTH, example={"symbol": "TSLA"}, app=True, view="summary",
        rest_shape=SUMMARY_SHAPE,
        flashalpha_paths=(FlashAlphaPath("/v1/exposure/narrative/{symbol}", fa_exposures.narrative_body,
                                         needs=("levels",)),),
        resource="Regime, exposures, hedging and levels of one symbol as JSON (the summary "
                 "tool's answer, default source)."),
    Endpoint(
        name="scan", title="Watchlist scan", kind="scan",
        description=(
            "One row per watchlist symbol: spot, gamma flip, regime, net GEX (USD per 1% move), "
            "call and put walls, distance to the flip in percent, and flags for spot below the "
            "flip or near a wall.",
            "Use it to compare or screen several symbols at once (e.g. which are in negative "
            "gamma); for one symbol use summary or levels.",
            "Symbols are fetched concurrently; one that fails carries its reason in its row's "
            "error field and the others still answer."),
        summary="per symbol: price, flip, regime, net GEX, walls, distance to flip, flags; "
                "errors per row",
        args=(SYMBOLS, SOURCE, NEAR_WALL, AS_OF), response=models.ScanResponse, backends=BOTH,
        example={"symbols": ["SPY", "IWM"]}, view="scan"),
    Endpoint(
        name="regime", toolset="exposures", title="Gamma regime",
        description=(
            "Dealer gamma regime of one symbol (positive_gamma, negative_gamma, neutral or "
            "unknown) with the reason, net GEX in USD per 1% move and the distance from spot to "
            "the gamma flip.",
            "Use it for a quick answer to whether dealer hedging dampens or amplifies moves; "
            "summary gives the same plus exposures and hedging, scan does it for a watchlist.",
            "neutral means spot lies within neutral_band_pct percent of the flip."),
        summary="positive / negative / neutral gamma with the numbers behind it",
        args=ONE_SYMBOL, response=models.RegimeResponse, build=responses.regime_response,
        backends=BOTH, example={"symbol": "IWM"}, view="regime",
        from_record=history_responses.regime_from_record),
    Endpoint(
        name="flip_distance", toolset="exposures", title="Distance to gamma flip",
        description=(
            "Distance from spot to the gamma flip in percent and USD points, the nearest zero "
            "crossings above and below spot, and the distances to the call and put walls in "
            "percent (all positive when spot is above the level).",
            "Use it to tell how close a symbol is to changing gamma regime; levels gives the "
            "levels themselves, regime the classification.",
            "The flip is null, with a reason, when total dealer gamma does not cross zero in the "
            "searched range."),
        summary="distance from spot to the flip (% and points), nearest crossings, walls",
        args=ONE_SYMBOL, response=models.FlipDistanceResponse,
        build=responses.flip_distance_response, example={"symbol": "AAPL"}),
    Endpoint(
        name="expiry_breakdown", toolset="expiries", title="GEX by expiration", cli_name="expiries",
        description=(
            "Net GEX (USD per 1% move) of each expiration with its kind (0dte, weekly, monthly, "
            "...) and share of total |GEX|, plus the 0DTE, weekly and monthly shares in percent.",
            "Use it to see whether gamma sits in short-dated options (which roll off fast) or in "
            "monthlies; for per-strike detail of one expiry use gex with expiration.",
            "0DTE options are listed only while today's session is open."),
        summary="net GEX per expiration and 0DTE / weekly / monthly shares",
        args=ALL_EXPIRIES, response=models.ExpiryBreakdownResponse,
        build=responses.expiry_breakdown_response, example={"symbol": "SPX"}, view="expiries"),
    Endpoint(
        name="oi_changes", toolset="expiries", title="Open interest changes",
        description=(
            "Strikes whose open interest changed most since the previous snapshot, in "
            "contracts (call, put and total absolute change), each contract against itself: "
            "contracts that settled in between are counted apart (expired_oi), never as falls, "
            "and oi_change_basis names the real gap in sessions.",
            "Use it to spot new positioning; for current open interest by strike use gex.",
            "When the source reports no previous OI, changes come from this server's stored "
            "snapshots, and oi_change_known is false until one exists."),
        summary="strikes whose open interest moved most since the previous snapshot (expired apart)",
        args=ALL_EXPIRIES, response=models.OIChangesResponse, build=responses.oi_changes_response,
        example={"symbol": "NVDA"}, view="oi_changes",
        flashalpha_paths=(FlashAlphaPath("/v1/exposure/oi-diff/{symbol}", fa_bodies.oi_diff_body,
                                         extras=("topN",), needs=("gex",)),)),
    Endpoint(
        name="expirations", toolset="expiries", title="Listed expirations",
        description=(
            "Every listed expiration of one symbol with its kind (0dte, weekly, monthly, "
            "quarterly, leaps), settlement (AM or PM), days to expiry, open interest and share "
            "of gross GEX in percent, plus the gamma roll-off by the next expiry and by Friday.",
            "Use it to pick an expiration before calling gex, levels or gex_chart with "
            "expiration; expiry_breakdown gives net GEX per expiration instead.",
            "Expirations already settled at as_of are not listed; SPX lists about 50 dates."),
        summary="every listed expiration: kind, AM/PM settlement, days, OI, share of gross GEX",
        args=ALL_EXPIRIES, response=models.ExpirationsResponse,
        build=responses.expirations_response, example={"symbol": "SPX"}),
    Endpoint(
        name="profile", toolset="scenarios", title="GEX profile across spot",
        description=(
            "Total dealer GEX (USD per 1% move) and DEX (USD of delta) re-priced at 41 spots "
            "across ±range_pct% of spot (default 5), with every IV held fixed: the curve whose "
            "zero is the gamma flip.",
            "Use it to explain how dealer gamma changes if price moves, e.g. positive at spot but "
            "negative 1% lower; levels gives just the flip.",
            "Takes expiration for one expiry's curve; about 1,000 tokens."),
        summary="total GEX and DEX re-priced across spot ±N%: the curve behind the flip",
        args=(*ONE_SYMBOL, RANGE_PCT), response=models.ProfileResponse,
        build=responses.profile_response, example={"symbol": "SPY"}),
    Endpoint(
        name="hedging", toolset="scenarios", title="Dealer hedging by move size",
        description=(
            "Shares (or index units) dealers must trade to re-hedge after each spot move, with "
            "direction, notional in USD and the same trade in liquid hedges (ES and SPY for "
            "SPX, NQ for NDX, RTY for RUT, the stock itself otherwise).",
            "Use it for \"how much do dealers buy or sell if SPX drops 2%\"; summary gives "
            "only ±1%.",
            "Dealer delta is re-priced at each new spot with IV fixed; positive shares mean buy."),
        summary="dealer hedge flow for any list of moves: shares, notional, futures/ETF units",
        args=(*ONE_SYMBOL, MOVES), response=models.HedgingResponse,
        build=responses.hedging_response, example={"symbol": "SPX"}),
    Endpoint(
        name="flip_sensitivity", toolset="scenarios", title="How robust is the gamma flip",
        description=(
            "The gamma flip (USD) and net GEX (USD per 1% move) re-found with every IV shifted "
            "by -2, -1, +1, +2 vol points (and any iv_shifts), under the other dealer model, and "
            "without each of the three expirations holding most gamma within ±2% of spot, each "
            "with its status and change from the flip as quoted, plus a one-line reading.",
            "Use it for \"would the flip move if IV rose a point\" or \"which expiries hold the "
            "flip up\"; levels gives the flip alone, profile the GEX curve across spot.",
            "A flip that vanishes under a scenario is null with its status; about 500 tokens."),
        summary="the flip under IV shifts, the other dealer model and without the top expiries",
        args=(*ONE_SYMBOL, IV_SHIFTS), response=models.FlipSensitivityResponse,
        build=responses.flip_sensitivity_response, example={"symbol": "SPX"},
        view="flip_sensitivity"),
    Endpoint(
        name="level_export", toolset="scenarios", title="Levels for a charting platform",
        cli_name="export-levels", file=True,
        description=(
            "Today's levels (spot, gamma flip, call and put walls, max ± gamma strikes, 0DTE "
            "magnet, the nearest expiration's ±1σ expected-move band; USD) as the text of a "
            "TradingView Pine v6 indicator, a thinkorswim thinkScript study or CSV, in content.",
            "Use it when the user wants the levels drawn on their own chart; levels gives the "
            "same numbers as JSON.",
            "A level that is not determined is left out and listed in missing; paste content "
            "into the Pine Editor or a new thinkorswim study."),
        summary="levels as a TradingView Pine v6 indicator, thinkorswim study or CSV",
        args=(*ONE_SYMBOL, EXPORT_FORMAT), response=models.LevelExportResponse,
        build=responses.level_export_response, example={"symbol": "SPX", "format": "pine"}),
    Endpoint(
        name="complex", toolset="scenarios", title="Index complex as one book", kind="complex",
        description=(
            "An index and its ETF/mini siblings as one book in index points (SPX + SPY + XSP, "
            "NDX + QQQ, RUT + IWM; each scaled by its own forward ratio): gamma flip, walls, "
            "regime, net GEX (USD per 1% move) and DEX, key strikes on the index's grid, and "
            "each member's as_of, net GEX and share.",
            "Use it for \"where is the SPX complex's flip\" counting SPY and XSP options too; "
            "levels and summary cover one symbol.",
            "as_of_mismatch flags members whose snapshots are more than a session apart; a "
            "sibling that fails is listed with its error and left out."),
        summary="SPX+SPY+XSP, NDX+QQQ or RUT+IWM as one book: flip, walls, regime, shares",
        args=(SYMBOL, SOURCE, AS_OF), response=models.ComplexResponse,
        example={"symbol": "SPX"}),
    Endpoint(
        name="basket", toolset="scenarios", title="Weighted watchlist as one book", kind="basket",
        description=(
            "A weighted watchlist of up to 50 symbols as one book: net GEX (USD per 1% move), "
            "DEX (USD of delta), VEX (USD of delta per vol point) and CHEX (USD of delta per day) "
            "as Σ weight x each member's own, weights as notional shares scaled to sum 1 (equal "
            "when left out), and each member's weight, exposures, share of the weighted |GEX| "
            "and regime, in the shape of FlashAlpha's /v1/exposure/basket.",
            "Use it for \"what is the gamma of my watchlist as one position\"; scan compares the "
            "symbols row by row, complex merges an index with its ETFs strike by strike.",
            "A symbol without data is listed in missing_symbols and the other weights re-scaled; "
            "members' snapshots may differ in time (as_of_spread_seconds)."),
        summary="a weighted watchlist as one book: net GEX/DEX/VEX/CHEX, each member's share",
        args=(BASKET_SYMBOLS, WEIGHTS, SOURCE, AS_OF), response=models.BasketResponse,
        backends=BOTH, example={"symbols": ["SPY", "QQQ", "IWM"]}),
    Endpoint(
        name="max_pain", toolset="expiries", title="Max pain",
        description=(
            "Max pain of each expiration: the settlement price (a strike, USD) at which call "
            "and put holders collect the least, its distance from spot and that payout, plus "
            "the payout curve around it for one expiration.",
            "Use it for pinning questions into an expiration; give expiration for one date "
            "(and its curve), else every date and the nearest one's curve.",
            "Computed from open interest alone, which is published once a day."),
        summary="max pain per expiration with the payout curve around it",
        args=ONE_SYMBOL, response=models.MaxPainResponse,
        build=responses.max_pain_response, example={"symbol": "SPY"},
        flashalpha_paths=(FlashAlphaPath("/v1/maxpain/{symbol}", fa_bodies.max_pain_body,
                                         needs=("gex", "levels", "expected_move")),)),
    Endpoint(
        name="expected_move", toolset="expiries", title="Expected move",
        description=(
            "The move the options market prices to each expiration: the at-the-money straddle "
            "(USD and % of spot), the ATM IV and the ±1σ and ±2σ price ranges it implies.",
            "Use it for \"how far could SPY move by Friday\"; give expiration for one date, "
            "else every date.",
            "Straddle from bid/ask mids (delayed quotes); sigma = spot x ATM IV x sqrt(T)."),
        summary="ATM straddle and ±1σ/2σ ranges from ATM IV per expiration",
        args=ONE_SYMBOL, response=models.ExpectedMoveResponse,
        build=responses.expected_move_response, example={"symbol": "QQQ"},
        flashalpha_paths=(FlashAlphaPath("/v1/expected-move/{symbol}", fa_bodies.expected_move_body,
                                         params=(("expiry", "expiration"),)),)),
    Endpoint(
        name="zero_dte", toolset="expiries", title="0DTE options",
        description=(
            "Today's expiration alone: its gamma regime and flip, net GEX (USD per 1% move) and "
            "share of the chain's gross GEX, the 0DTE magnet, pin risk (open interest within "
            "±1% of spot) and dealer hedging for ±0.5% and ±1% moves.",
            "Use it for intraday questions about same-day options; summary covers the whole "
            "chain, expirations lists what expires when.",
            "Outside a trading day, or after today's settlement, there are no 0DTE options and "
            "the numbers are null with the reason."),
        summary="today's expiry alone: regime, flip, magnet, pin risk, hedging, share of GEX",
        args=ALL_EXPIRIES, response=models.ZeroDteResponse,
        build=responses.zero_dte_response, example={"symbol": "SPY"}),
    Endpoint(
        name="gex_chart", title="GEX chart", kind="chart", cli_name="chart",
        description=(
            "PNG bar chart of net GEX by strike (USD per 1% move) with spot, gamma flip, call "
            "wall and put wall marked above the bars, plus the plotted bars as structured data.",
            "Use it when the user wants to see the gamma profile; for the numbers alone use gex "
            "or levels.",
            "More than 60 strikes are summed into wider bins; demo data is watermarked; levels "
            "outside the window are drawn as arrows at the edge."),
        summary="PNG of net GEX by strike with spot, flip and walls, plus the numbers",
        args=(SYMBOL, EXPIRATION, MIN_OI, SOURCE, AS_OF, CHART_WINDOW, OI_OVERLAY),
        response=models.GexChartInfo, rest_segment="chart",
        backends=BOTH, example={"symbol": "SPY"}),
    Endpoint(
        name="history", toolset="history", title="Level history", kind="history",
        description=(
            "The series of one symbol's levels over time (USD): spot, gamma flip and status, "
            "call and put walls, max ± gamma strikes, net GEX/DEX/VEX/CHEX, regime and 0DTE "
            "share, each point with its change versus the prior session's close, plus each "
            "session's close.",
            "Use it for \"how have SPY's walls moved this week\" or \"what were the levels at "
            "Tuesday's close\" (as_of); for today's levels use levels, for how well levels held "
            "use level_accuracy, for a picture use history_chart.",
            "cboe history is what this server recorded after each analysis (at most one a "
            "minute, kept GEX_HISTORY_DAYS days); the file source analyses its snapshot files "
            "and demo replays its market hourly, with no prior run needed."),
        summary="levels over time with change versus the prior session's close",
        args=(*HISTORY_WINDOW[:3], INTERVAL, *HISTORY_WINDOW[3:]), response=models.HistoryResponse,
        build=history_responses.history_series_response, example={"symbol": "SPY", "days": 2},
        view="history"),
    Endpoint(
        name="level_accuracy", toolset="history", title="How the levels held", kind="history",
        description=(
            "For each past session, how the prior close's call wall, put wall and gamma flip "
            "held: touched or not, closed beyond or not, their distance from the prior close "
            "and the session's range (percent of spot), plus counts per level.",
            "Use it to judge how much to trust the walls and the flip for a symbol; history "
            "gives the levels themselves.",
            "The range comes from the recorded spots (the sources give no intraday high or "
            "low): with one snapshot per session a touch is an exact hit."),
        summary="per session: touches and closes beyond the walls and flip, range vs distance",
        args=HISTORY_WINDOW, response=models.LevelAccuracyResponse,
        build=history_responses.level_accuracy_response, example={"symbol": "SPY", "days": 5},
        view="level_accuracy"),
    Endpoint(
        name="history_chart", toolset="history", title="Level history chart", kind="history_chart",
        description=(
            "PNG line chart of spot with the gamma flip, call wall and put wall over time, the "
            "background tinted by gamma regime and net GEX (USD per 1% move) below, plus the "
            "numbers behind it.",
            "Use it when the user wants to see how levels moved; history gives the series as "
            "numbers.",
            "Nights and weekends take no room on the time axis; demo data is watermarked."),
        summary="PNG of spot, flip and walls over time, net GEX below",
        args=(*HISTORY_WINDOW[:3], INTERVAL, *HISTORY_WINDOW[3:]),
        response=models.HistoryChartInfo, example={"symbol": "SPY", "days": 2}),
)

#: Questions only FlashAlpha's REST paths ask (no MCP tool, CLI command or /v1/exposure route):
#: the service answers them by name like any row (`gex_mcp.http.rest.flashalpha`).
REST_ONLY: tuple[Endpoint, ...] = (
    Endpoint(
        name="contracts", title="Listed contracts",
        description=(
            "Every listed, unsettled contract with bid, ask, IV and greeks at spot.",
            "Read by FlashAlpha's option quote and 0DTE paths.",
            "Greeks are null where the source gives no IV."),
        summary="listed contracts with quotes and greeks",
        args=ONE_SYMBOL, response=models.ContractsResponse, build=contract_responses.contracts_response,
        example={"symbol": "SPY"}),
)

BY_NAME: dict[str, Endpoint] = {e.name: e for e in (*ENDPOINTS, *REST_ONLY)}


def endpoint(name: str) -> Endpoint:
    """The endpoint called `name` (KeyError when there is none: a bug, not user input)."""
    return BY_NAME[name]


__all__ = ["BOTH", "BY_NAME", "CHAINS", "ENDPOINTS", "PNG_KINDS", "REST_ONLY", "Endpoint", "Kind", "Toolset",
           "View", "endpoint"]
