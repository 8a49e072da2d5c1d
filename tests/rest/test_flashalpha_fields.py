"""Every exposure-family call of FlashAlpha's official SDK, unchanged, against a live loopback
server on the file source (real SPX and SPY snapshots): every field its TypedDicts
(`flashalpha/types.py`) declare is present, with the declared type, and each answer carries
`endpoint_version`.

The declared fields are read from the SDK itself (`typing.get_type_hints`), so a new SDK
release that declares more fields fails here until the server answers them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flashalpha import FlashAlpha
from flashalpha import types as fa_types

from tests.rest.conftest import Clients
from tests.rest.typed_fields import Report, check, declared_paths


def first_expiry(fa: FlashAlpha, symbol: str) -> str:
    """The nearest expiration with strikes that have open interest."""
    return next(e["expiration"] for e in fa.options(symbol)["expirations"] if e["strikes"])


@dataclass(frozen=True)
class Method:
    """One SDK method: the TypedDict it declares and the calls that together show every field."""

    name: str
    typed: str
    calls: Callable[[FlashAlpha, FlashAlpha], list[Any]]


def _quote(fa: FlashAlpha, prior: FlashAlpha) -> list[Any]:
    meta = next(e for e in fa.options("SPY")["expirations"] if e["strikes"])
    strike = meta["strikes"][len(meta["strikes"]) // 2]
    one = fa.option_quote("SPY", expiry=meta["expiration"], strike=strike, type="call")
    listed = fa.option_quote("SPY", expiry=meta["expiration"])
    assert isinstance(listed, list) and listed
    return [one, *listed[:20]]


METHODS = (
    Method("gex", "GexResponse", lambda fa, prior: [fa.gex("SPX"), fa.gex("SPY", expiration=first_expiry(fa, "SPY"),
                                                                   min_oi=100)]),
    Method("dex", "DexResponse", lambda fa, prior: [fa.dex("SPX"), fa.dex("SPY", expiration=first_expiry(fa, "SPY"))]),
    Method("vex", "VexResponse", lambda fa, prior: [fa.vex("SPX"), fa.vex("SPY", expiration=first_expiry(fa, "SPY"))]),
    Method("chex", "ChexResponse", lambda fa, prior: [fa.chex("SPX"),
                                               fa.chex("SPY", expiration=first_expiry(fa, "SPY"))]),
    Method("exposure_summary", "ExposureSummaryResponse", lambda fa, prior: [fa.exposure_summary("SPX"),
                                                                      fa.exposure_summary("SPY")]),
    Method("exposure_levels", "ExposureLevelsResponse", lambda fa, prior: [fa.exposure_levels("SPX")]),
    Method("narrative", "NarrativeResponse", lambda fa, prior: [fa.narrative("SPX"), prior.narrative("SPY")]),
    Method("zero_dte", "ZeroDteResponse",
           lambda fa, prior: [fa.zero_dte("SPX", expiry=first_expiry(fa, "SPX"), strike_range=0.02),
                       fa.zero_dte("SPY")]),
    Method("exposure_sheet", "ExposureSheetResponse",
           lambda fa, prior: [fa.exposure_sheet("SPX"), fa.exposure_sheet("SPY", min_oi=100)]),
    Method("exposure_term_structure", "ExposureTermStructureResponse",
           lambda fa, prior: [fa.exposure_term_structure("SPX")]),
    Method("exposure_basket", "ExposureBasketResponse",
           lambda fa, prior: [fa.exposure_basket(["SPX", "SPY", "ZZZZ"], weights=[2, 1, 1])]),
    Method("exposure_oi_diff", "ExposureOiDiffResponse",
           lambda fa, prior: [prior.exposure_oi_diff("SPY", top_n=5), fa.exposure_oi_diff("SPX")]),
    Method("max_pain", "MaxPainResponse", lambda fa, prior: [fa.max_pain("SPY"),
                                                      fa.max_pain("SPX", expiration=first_expiry(fa, "SPX"))]),
    Method("expected_move", "ExpectedMoveResponse", lambda fa, prior: [fa.expected_move("SPX")]),
    Method("options", "OptionsMetaResponse", lambda fa, prior: [fa.options("SPX")]),
    Method("option_quote", "OptionQuoteResponse", _quote),
    Method("symbols", "SymbolsResponse", lambda fa, prior: [fa.symbols()]),
    Method("tickers", "TickersResponse", lambda fa, prior: [fa.tickers()]),
    Method("stock_quote", "StockQuoteResponse", lambda fa, prior: [fa.stock_quote("SPY")]),
)

NO_VERSION: set[str] = set()  # every answer, each quote of a list too, carries endpoint_version


def field_report(clients: Clients, method: Method) -> tuple[Report, set[str]]:
    """The union over the method's calls of the fields seen, and the declared fields never seen."""
    typed = getattr(fa_types, method.typed)
    report = Report()
    for answer in method.calls(*clients):
        # FlashAlpha's answer for a symbol without a same-day expiry: the flag, a message and the
        # next expiry, and no analysis fields (those present must still have their types)
        check(answer, typed, report, partial=answer.get("no_zero_dte") is True)
    return report, declared_paths(typed) - report.seen


@pytest.mark.parametrize("method", METHODS, ids=[m.name for m in METHODS])
def test_every_declared_field_is_answered_with_its_type(clients, method):
    report, unseen = field_report(clients, method)
    assert not report.errors, "\n".join(sorted(set(report.errors))[:40])
    assert not unseen, f"declared but never answered: {sorted(unseen)}"


def test_zero_dte_without_a_same_day_expiry_answers_as_flashalpha_does(clients):
    """SPY's latest snapshot is taken at 16:00 on 2023-09-14: that day's options are settled."""
    answer = clients.fa.zero_dte("SPY")
    expirations = clients.fa.options("SPY")["expirations"]
    assert answer["no_zero_dte"] is True and answer["expiration"] is None
    assert answer["next_zero_dte_expiry"] == expirations[0]["expiration"] > "2023-09-14"
    assert "SPY" in answer["message"] and answer["endpoint_version"]


@pytest.mark.parametrize("method", [m for m in METHODS if m.name not in NO_VERSION],
                         ids=[m.name for m in METHODS if m.name not in NO_VERSION])
def test_each_answer_carries_endpoint_version(clients, method):
    for answer in method.calls(*clients):
        assert isinstance(answer.get("endpoint_version"), str) and answer["endpoint_version"]
