"""`FlashAlphaBackend`: ready answers from FlashAlpha's API, translated, cached, budgeted.

FlashAlpha answers gex, dex, vex, chex, levels and summary itself (`FlashAlphaClient`
translates each into our model). The regime is derived here from its summary with the
engine's one regime rule (`engine.regime.regime_from_flip`, neutral band included), and the
summary's own regime is re-stated by that rule, so every backend classifies alike.
Endpoints that need a raw chain (flip_distance, expiry_breakdown, oi_changes, ...) are not
answered: the endpoint table says so, and the service refuses them before calling here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from gex_mcp.backends.base import Query, stale_flags
from gex_mcp.endpoints import Endpoint
from gex_mcp.engine.regime import NEUTRAL_BAND_PCT, regime_from_flip
from gex_mcp.errors import InputError
from gex_mcp.labels import format_amount
from gex_mcp.models import FlipInfo, Provenance, RegimeResponse, SummaryResponse
from gex_mcp.responses import round_or_none
from gex_mcp.sources.flashalpha import FlashAlphaClient
from gex_mcp.store.budget import RequestBudget
from gex_mcp.store.cache import ChainCache
from gex_mcp.store.serialize import model_codec

Call = Callable[[Query], Awaitable[BaseModel]]
_WHOLE_CHAIN_ONLY = frozenset({"levels", "summary", "regime"})  # FlashAlpha takes no expiration


class FlashAlphaBackend:
    """Answers the endpoints FlashAlpha computes, from one API key.

    Args:
        client: the FlashAlpha client (owns the key).
        cache: answers are cached like chains: TTL, single-flight, stale on upstream failure.
        budget: the local daily request budget, spent before each upstream call.
        ttl_seconds: how long an answer counts as fresh.
        neutral_band_pct: half-width of the neutral regime band, percent of spot.
    """

    kind = "flashalpha"

    def __init__(self, client: FlashAlphaClient, cache: ChainCache, *,
                 budget: RequestBudget | None = None, ttl_seconds: float = 60.0,
                 neutral_band_pct: float = NEUTRAL_BAND_PCT) -> None:
        self.client = client
        self.cache = cache
        self.budget = budget
        self.ttl_seconds = ttl_seconds
        self.neutral_band_pct = neutral_band_pct
        c = client
        self._upstream: dict[str, Call] = {
            "gex": lambda q: c.gex(q.symbol, expiration=q.expiration, min_oi=q.min_oi or None),
            "dex": lambda q: c.dex(q.symbol, expiration=q.expiration),
            "vex": lambda q: c.vex(q.symbol, expiration=q.expiration),
            "chex": lambda q: c.chex(q.symbol, expiration=q.expiration),
            "levels": lambda q: c.levels(q.symbol),
            "summary": lambda q: c.summary(q.symbol),
        }

    @property
    def answers(self) -> frozenset[str]:
        """Names of the endpoints this backend answers."""
        return frozenset((*self._upstream, "regime"))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def answer(self, endpoint: Endpoint, query: Query) -> BaseModel:
        if query.expiration is not None and endpoint.name in _WHOLE_CHAIN_ONLY:
            raise InputError(f"FlashAlpha answers {endpoint.name} for all expirations only. Leave "
                             "expiration out, or use source cboe for one expiration.")
        if endpoint.name == "regime":
            return self._regime(await self._summary(query))
        if endpoint.name == "summary":
            return await self._summary(query)
        return await self._fetch(endpoint.name, endpoint.response, query)

    async def _fetch(self, name: str, model: type[BaseModel], query: Query) -> BaseModel:
        key = ("flashalpha", query.symbol, name, f"expiration={query.expiration}",
               f"min_oi={query.min_oi}")

        async def fetch() -> BaseModel:
            if self.budget is not None:
                self.budget.check_and_spend()
            return await self._upstream[name](query)

        cached = await self.cache.get_or_fetch(key, fetch, ttl_seconds=self.ttl_seconds,
                                               codec=model_codec(model))
        if not cached.stale:
            return cached.value
        return cached.value.model_copy(update=stale_flags(cached))

    async def _summary(self, query: Query) -> SummaryResponse:
        summary = await self._fetch("summary", SummaryResponse, query)
        assert isinstance(summary, SummaryResponse)
        if summary.gamma_flip is None:
            return summary  # FlashAlpha's own word is all there is
        call = regime_from_flip(summary.underlying_price, summary.gamma_flip,
                                status=summary.gamma_flip_status,
                                neutral_band_pct=self.neutral_band_pct)
        return summary.model_copy(update={
            "gamma_regime": call.regime, "regime_reason": f"{call.reason} ({summary.regime_reason})",
            "flip_above_spot_pct": round_or_none(call.flip_above_spot_pct, 3),
            "flip_above_spot_points": round_or_none(call.flip_above_spot_points, 2)})

    def _regime(self, s: SummaryResponse) -> RegimeResponse:
        carried = {name: getattr(s, name) for name in (*Provenance.model_fields, *FlipInfo.model_fields)}
        return RegimeResponse(
            **carried, gamma_regime=s.gamma_regime, regime_reason=s.regime_reason,
            net_gex=s.net_gex, net_gex_label=format_amount(s.net_gex),
            flip_above_spot_pct=s.flip_above_spot_pct,
            flip_above_spot_points=s.flip_above_spot_points,
            neutral_band_pct=self.neutral_band_pct)


__all__ = ["FlashAlphaBackend"]
