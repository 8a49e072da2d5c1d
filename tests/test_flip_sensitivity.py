"""flip_sensitivity on the real SPX 2023-02-07 snapshot against an independent re-pricing:
the scalar reference greeks (tests/engine/reference.py), summed contract by contract, and a
plain bisection for the zero of total dealer gamma."""

from __future__ import annotations

import math

import anyio
import numpy as np
import pytest

from gex_mcp.engine.prepare import DEFAULT_RATE, prepare_chain
from gex_mcp.errors import InputError
from gex_mcp.parsing import load_chain_file
from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from tests.engine import reference

pytestmark = pytest.mark.anyio

SPX_FEB = "cboe_quotedata_SPX_2023-02-07.csv"


@pytest.fixture(scope="module")
def feb(chains_dir):
    path = chains_dir / SPX_FEB
    return path, prepare_chain(load_chain_file(path), rate=DEFAULT_RATE)


async def call(path, **arguments):
    async with build_service(Settings(_env_file=None), chain_file=path) as service:
        with anyio.fail_after(60):
            return await service.call("flip_sensitivity", symbol="SPX", **arguments)


def reference_gex(prepared, x: float, *, iv_shift: float = 0.0, keep=None, sign=None) -> float:
    """Σ s · Γ(x) · OI · m · x² · 0.01 with the scalar reference gamma, one contract at a time."""
    total = 0.0
    signs = prepared.sign if sign is None else sign
    for i in range(len(prepared)):
        if keep is not None and not keep[i]:
            continue
        iv = max(float(prepared.iv[i]) + iv_shift / 100.0, 0.03)
        g = reference.greeks(x, float(prepared.strike[i]), float(prepared.t_years[i]), iv,
                             prepared.rate, float(prepared.dividend_yield[i]),
                             bool(prepared.is_call[i]))["gamma"]
        total += signs[i] * g * prepared.open_interest[i] * prepared.multiplier[i] * x * x * 0.01
    return total


def bisect_flip(f, lo: float, hi: float, tol: float = 0.005) -> float:
    f_lo = f(lo)
    assert f_lo * f(hi) < 0, "the bracket must hold a sign change"
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        f_mid = f(mid)
        if f_mid * f_lo > 0:
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


async def test_issue_reference_flips_and_independent_repricing(feb):
    """The issue's figures (4091.70 as quoted, 4093.11 with every IV +1 point) and a bisection
    on the reference greeks for the +1 and -2 point shifts."""
    path, prepared = feb
    answer = await call(path)
    assert answer.as_of.hour == 16 and answer.as_of.minute == 15
    assert abs(answer.gamma_flip - 4091.70) <= 0.05
    by_name = {s.scenario: s for s in answer.scenarios}
    plus_one = by_name["IV +1 vol pt"]
    assert abs(plus_one.gamma_flip - 4093.11) <= 0.05
    for shift in (1.0, -2.0):
        row = by_name[f"IV {shift:+g} vol pt"]
        ref = bisect_flip(lambda x, s=shift: reference_gex(prepared, x, iv_shift=s), 4070.0, 4110.0)
        assert abs(row.gamma_flip - ref) <= 0.02
        assert math.isclose(row.flip_change, row.gamma_flip - answer.gamma_flip, abs_tol=0.011)
        assert row.gamma_flip_status == "ok" and row.ivs_floored == 0
    # net GEX at spot falls as IV rises here (the book's gamma is concentrated near spot)
    shifts = [s for s in answer.scenarios if s.kind == "iv_shift"]
    assert [s.iv_shift_points for s in shifts] == [-2, -1, 1, 2]
    assert math.isclose(plus_one.net_gex, reference_gex(prepared, prepared.spot, iv_shift=1.0),
                        rel_tol=1e-7)
    # the reading quotes the largest ±1 point move
    moves = [abs(by_name[n].flip_change) for n in ("IV -1 vol pt", "IV +1 vol pt")]
    assert answer.max_flip_move_1vol == pytest.approx(max(moves), abs=0.011)
    assert f"{max(moves):.1f} points" in answer.reading and answer.robust is True


async def test_other_dealer_model_and_top_expiries(feb):
    """short_all: every sign -1, so G(S) = -Σ Γ·OI·m·S²·0.01 and there is no crossing; the
    top near-spot expiries are found independently and the flip without the first is the
    reference bisection over the rest of the chain."""
    path, prepared = feb
    answer = await call(path, iv_shifts=[5, -1])
    model = next(s for s in answer.scenarios if s.kind == "dealer_model")
    assert model.dealer_model == "short_all"
    minus = -np.ones(len(prepared))
    assert math.isclose(model.net_gex, reference_gex(prepared, prepared.spot, sign=minus), rel_tol=1e-7)
    assert model.gamma_flip is None and model.gamma_flip_status == "no_crossing"
    assert model.gamma_regime == "negative_gamma" and model.flip_change is None
    assert [s.iv_shift_points for s in answer.scenarios if s.kind == "iv_shift"] == [-2, -1, 1, 2, 5]

    # independent: gross |gamma| per expiry over strikes within ±2% of spot
    spot = prepared.spot
    gross: dict[str, float] = {}
    for i in range(len(prepared)):
        k = float(prepared.strike[i])
        if abs(k / spot - 1) > 0.02:
            continue
        g = reference.greeks(spot, k, float(prepared.t_years[i]), float(prepared.iv[i]),
                             prepared.rate, float(prepared.dividend_yield[i]),
                             bool(prepared.is_call[i]))["gamma"]
        day = str(prepared.expiry[i])
        gross[day] = gross.get(day, 0.0) + abs(g * prepared.open_interest[i] * prepared.multiplier[i])
    top = sorted(gross, key=gross.get, reverse=True)[:3]
    removed = [s for s in answer.scenarios if s.kind == "without_expiration"]
    assert [s.expiration_removed for s in removed] == top
    for s in removed:
        assert s.near_spot_gamma_share_pct == pytest.approx(
            gross[s.expiration_removed] / sum(gross.values()) * 100, abs=0.06)
    first = removed[0]
    keep = np.array([str(e) != first.expiration_removed for e in prepared.expiry])
    ref = bisect_flip(lambda x: reference_gex(prepared, x, keep=keep), 4070.0, 4120.0)
    assert abs(first.gamma_flip - ref) <= 0.02


async def test_bad_iv_shift_is_a_clear_error(chains_dir):
    with pytest.raises(InputError, match="iv_shifts"):
        await call(chains_dir / SPX_FEB, iv_shifts=[50])


async def test_through_a_real_mcp_client(chains_dir):
    """The tool (scenarios toolset) answers the same flips, its scenarios as a compact table;
    hidden from the default tools/list, it still runs through more_tools."""
    from mcp import Client

    from gex_mcp.mcp_server.server import build_server

    async with build_service(Settings(_env_file=None), chain_file=chains_dir / SPX_FEB) as service:
        async with Client(build_server(service, toolsets=None), mode="legacy") as client:
            with anyio.fail_after(60):
                result = await client.call_tool("flip_sensitivity", {"symbol": "SPX", "iv_shifts": [3]})
        async with Client(build_server(service, toolsets=frozenset({"core", "alerts"})),
                          mode="legacy") as client:
            with anyio.fail_after(60):
                names = {t.name for t in (await client.list_tools()).tools}
                hidden = await client.call_tool("more_tools", {"tool": "flip_sensitivity",
                                                               "arguments": {"symbol": "SPX"}})
    assert not result.is_error and "flip_sensitivity" not in names and not hidden.is_error
    data = result.structured_content
    table = data["scenarios"]
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
    plus_one = next(r for r in rows if r["scenario"] == "IV +1 vol pt")
    assert abs(data["gamma_flip"] - 4091.70) <= 0.05 and abs(plus_one["gamma_flip"] - 4093.11) <= 0.05
    assert [r["iv_shift_points"] for r in rows if r["kind"] == "iv_shift"] == [-2, -1, 1, 2, 3]
    assert data["reading"].endswith("robust.")
