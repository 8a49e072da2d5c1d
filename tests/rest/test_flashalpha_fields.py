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

import anyio
import pytest
from flashalpha import FlashAlpha
from flashalpha import types as fa_types

from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from tests.conftest import CHAINS_DIR
from tests.rest.conftest import KEYS, running
from tests.rest.typed_fields import Report, check, declared_paths


@pytest.fixture(scope="module")
def fa(tmp_path_factory):
    settings = Settings(_env_file=None, source="file", chains_dir=CHAINS_DIR,
                        data_dir=tmp_path_factory.mktemp("data"))
    service = build_service(settings)
    with running(service, keys=KEYS, rate_limit_per_minute=100_000) as url:
        yield FlashAlpha(KEYS[0], base_url=url)
    anyio.run(service.aclose)


def first_expiry(fa: FlashAlpha, symbol: str) -> str:
    """The nearest expiration with strikes that have open interest."""
    return next(e["expiration"] for e in fa.options(symbol)["expirations"] if e["strikes"])


@dataclass(frozen=True)
class Method:
    """One SDK method: the TypedDict it declares and the calls that together show every field."""

    name: str
    typed: str
    calls: Callable[[FlashAlpha], list[Any]]


def _quote(fa: FlashAlpha) -> list[Any]:
    meta = next(e for e in fa.options("SPY")["expirations"] if e["strikes"])
    strike = meta["strikes"][len(meta["strikes"]) // 2]
    one = fa.option_quote("SPY", expiry=meta["expiration"], strike=strike, type="call")
    listed = fa.option_quote("SPY", expiry=meta["expiration"])
    assert isinstance(listed, list) and listed
    return [one, *listed[:20]]


METHODS = (
    Method("gex", "GexResponse", lambda fa: [fa.gex("SPX"), fa.gex("SPY", expiration=first_expiry(fa, "SPY"),
                                                                   min_oi=100)]),
    Method("dex", "DexResponse", lambda fa: [fa.dex("SPX"), fa.dex("SPY", expiration=first_expiry(fa, "SPY"))]),
    Method("vex", "VexResponse", lambda fa: [fa.vex("SPX"), fa.vex("SPY", expiration=first_expiry(fa, "SPY"))]),
    Method("chex", "ChexResponse", lambda fa: [fa.chex("SPX"),
                                               fa.chex("SPY", expiration=first_expiry(fa, "SPY"))]),
    Method("exposure_summary", "ExposureSummaryResponse", lambda fa: [fa.exposure_summary("SPX"),
                                                                      fa.exposure_summary("SPY")]),
    Method("exposure_levels", "ExposureLevelsResponse", lambda fa: [fa.exposure_levels("SPX")]),
    Method("narrative", "NarrativeResponse", lambda fa: [fa.narrative("SPX"), fa.narrative("SPY")]),
    Method("zero_dte", "ZeroDteResponse",
           lambda fa: [fa.zero_dte("SPX", expiry=first_expiry(fa, "SPX"), strike_range=0.02),
                       fa.zero_dte("SPY")]),
    Method("exposure_sheet", "ExposureSheetResponse",
           lambda fa: [fa.exposure_sheet("SPX"), fa.exposure_sheet("SPY", min_oi=100)]),
    Method("exposure_term_structure", "ExposureTermStructureResponse",
           lambda fa: [fa.exposure_term_structure("SPX")]),
    Method("exposure_basket", "ExposureBasketResponse",
           lambda fa: [fa.exposure_basket(["SPX", "SPY", "ZZZZ"], weights=[2, 1, 1])]),
    Method("exposure_oi_diff", "ExposureOiDiffResponse",
           lambda fa: [fa.exposure_oi_diff("SPY", top_n=5), fa.exposure_oi_diff("SPX")]),
    Method("max_pain", "MaxPainResponse", lambda fa: [fa.max_pain("SPY"),
                                                      fa.max_pain("SPX", expiration=first_expiry(fa, "SPX"))]),
    Method("expected_move", "ExpectedMoveResponse", lambda fa: [fa.expected_move("SPX")]),
    Method("options", "OptionsMetaResponse", lambda fa: [fa.options("SPX")]),
    Method("option_quote", "OptionQuoteResponse", _quote),
    Method("symbols", "SymbolsResponse", lambda fa: [fa.symbols()]),
    Method("tickers", "TickersResponse", lambda fa: [fa.tickers()]),
    Method("stock_quote", "StockQuoteResponse", lambda fa: [fa.stock_quote("SPY")]),
)

NO_VERSION: set[str] = set()  # every answer, each quote of a list too, carries endpoint_version


def field_report(fa: FlashAlpha, method: Method) -> tuple[Report, set[str]]:
    """The union over the method's calls of the fields seen, and the declared fields never seen."""
    typed = getattr(fa_types, method.typed)
    report = Report()
    for answer in method.calls(fa):
        check(answer, typed, report)
    return report, declared_paths(typed) - report.seen


@pytest.mark.parametrize("method", METHODS, ids=[m.name for m in METHODS])
def test_every_declared_field_is_answered_with_its_type(fa, method):
    report, unseen = field_report(fa, method)
    assert not report.errors, "\n".join(sorted(set(report.errors))[:40])
    assert not unseen, f"declared but never answered: {sorted(unseen)}"


@pytest.mark.parametrize("method", [m for m in METHODS if m.name not in NO_VERSION],
                         ids=[m.name for m in METHODS if m.name not in NO_VERSION])
def test_each_answer_carries_endpoint_version(fa, method):
    for answer in method.calls(fa):
        assert isinstance(answer.get("endpoint_version"), str) and answer["endpoint_version"]
