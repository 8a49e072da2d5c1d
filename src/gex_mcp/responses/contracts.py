"""The listed contracts of an analysed chain as rows (`ContractsResponse`).

Every unsettled contract of the chain (of `expiration` when given), with the source's
bid, ask and IV (where the source gives none, the IV the engine implied from the mid), and
greeks at spot from that IV (`engine.greeks`, `engine.quote_greeks`): T = (settlement -
as_of) / 365 days, r the engine's rate, q the expiry's yield implied from put-call parity
(0 where the engine priced none of its contracts; large just before an ex-dividend date).
A contract without any IV has null greeks.
"""

from __future__ import annotations

import math

import numpy as np

from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.greeks import all_greeks
from gex_mcp.engine.quote_greeks import DAYS_PER_YEAR, theta_vega_rho
from gex_mcp.models import ContractRow, ContractsResponse, Provenance
from gex_mcp.responses._common import DEFAULT_CONTEXT, BuildContext

SECONDS_PER_YEAR = DAYS_PER_YEAR * 86_400.0


def _num(value: float, digits: int) -> float | None:
    return round(float(value), digits) if math.isfinite(value) else None


def contracts_response(a: ChainAnalysis, prov: Provenance,
                       ctx: BuildContext = DEFAULT_CONTEXT) -> ContractsResponse:
    chain, prepared = a.chain, a.prepared
    rows = chain.settle_time > prepared.as_of_epoch
    if prov.expiration is not None:
        rows &= chain.expiry == np.datetime64(prov.expiration)
    idx = np.flatnonzero(rows)
    t = (chain.settle_time[idx] - prepared.as_of_epoch) / SECONDS_PER_YEAR
    iv = chain.iv[idx].astype(float)
    implied = {(e, k, c): v for e, k, c, v in zip(prepared.expiry, prepared.strike, prepared.is_call,
                                                  prepared.iv, strict=True)}
    missing = ~(np.isfinite(iv) & (iv > 0))
    iv[missing] = [implied.get((chain.expiry[i], chain.strike[i], chain.is_call[i]), np.nan)
                   for i in idx[missing]]
    known = np.isfinite(iv) & (iv > 0)
    sigma = np.where(known, iv, 0.2)  # a placeholder, never reported: its greeks are nulled
    yields = {e: q for e, q in zip(prepared.expiry, prepared.dividend_yield, strict=True)}
    q = np.array([yields.get(e, 0.0) for e in chain.expiry[idx]], dtype=float)
    spot, is_call, strike = prepared.spot, chain.is_call[idx], chain.strike[idx].astype(float)
    g = all_greeks(spot, strike, t, sigma, is_call, prepared.rate, q)
    theta, vega, rho = theta_vega_rho(spot, strike, t, sigma, is_call, prepared.rate, q)
    out = []
    for j, i in enumerate(idx):
        bid, ask = float(chain.bid[i]), float(chain.ask[i])
        has = bool(known[j])
        out.append(ContractRow(
            root=str(chain.root[i]), expiration=str(chain.expiry[i]), strike=float(chain.strike[i]),
            type="call" if chain.is_call[i] else "put",
            bid=_num(bid, 4), ask=_num(ask, 4),
            mid=_num((bid + ask) / 2.0, 4) if math.isfinite(bid) and math.isfinite(ask) else None,
            iv=_num(iv[j], 6) if has else None,
            delta=_num(g.delta[j], 6) if has else None, gamma=_num(g.gamma[j], 8) if has else None,
            theta=_num(theta[j], 6) if has else None, vega=_num(vega[j], 6) if has else None,
            rho=_num(rho[j], 6) if has else None, vanna=_num(g.vanna[j] / 100.0, 8) if has else None,
            charm=_num(g.charm[j] / DAYS_PER_YEAR, 8) if has else None,
            open_interest=int(chain.open_interest[i]) if math.isfinite(chain.open_interest[i]) else 0,
            volume=int(chain.volume[i]) if math.isfinite(chain.volume[i]) else 0))
    return ContractsResponse(**prov.model_dump(), contracts=out)


__all__ = ["contracts_response"]
