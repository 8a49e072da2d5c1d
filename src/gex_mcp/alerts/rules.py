"""Alert rules: a pure function of (previous state, new levels) -> (events, new state).

`check(state, observation, config, rules)` never does I/O and never reads a clock. The first
observation of a symbol (state None) only sets the baseline: alerts are changes seen while
watching. Each rule has explicit hysteresis, so one crossing fires once:

- flip_cross: spot's side of the gamma flip. Above when spot > flip x (1 + b/100), below when
  spot < flip x (1 - b/100) with b = `flip_band_pct`; inside the band the side stays what it
  was. Fires when the side changes: a new crossing back needs spot beyond the band on the
  other side first.
- near_wall: spot within `near_wall_pct` percent of the call or put wall, |spot - wall| / spot
  x 100, or past it since the last poll (a jump across the wall). Fires on entering; re-arms
  only once the distance exceeds `near_wall_pct + wall_band_pct`.
- net_gex_sign: the sign of net GEX (USD per 1% move). Changes only when net GEX goes past zero
  by more than `net_gex_band` x the largest |net GEX| seen on the old side.
- regime_change: the engine's regime label. Neutral is the engine's band around the flip:
  it is a pass-through, so positive -> neutral -> positive fires nothing and positive ->
  neutral -> negative fires once.
- wall_move: the call or put wall on another strike, held for `wall_confirm` polls in a row
  (two near-equal strikes swapping the wall on alternate polls fire nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import get_args

from gex_mcp.labels import format_amount
from gex_mcp.models import AlertEvent, AlertRule

RULES: tuple[str, ...] = get_args(AlertRule)
WALLS = ("call", "put")
DECIDED_REGIMES = ("positive_gamma", "negative_gamma")


@dataclass(frozen=True)
class Observation:
    """One poll of one symbol: the numbers the rules read (prices in USD)."""

    symbol: str
    as_of: datetime
    spot: float
    flip: float | None
    call_wall: float | None
    put_wall: float | None
    net_gex: float
    regime: str
    source: str = "demo"
    is_demo: bool = False

    def wall(self, kind: str) -> float | None:
        return self.call_wall if kind == "call" else self.put_wall


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds and hysteresis bands (percent of spot unless said otherwise)."""

    near_wall_pct: float = 0.5
    wall_band_pct: float = 0.25
    flip_band_pct: float = 0.1
    net_gex_band: float = 0.05  # fraction of the old side's largest |net GEX|
    wall_confirm: int = 2  # polls a new wall strike must hold before it is announced


@dataclass(frozen=True)
class SymbolState:
    """What the rules remember about one symbol between polls (a fixed, small size)."""

    spot: float
    flip_side: int = 0  # +1 above the flip, -1 below, 0 not yet known
    near: frozenset[str] = frozenset()  # walls ("call", "put") spot is near (disarmed)
    seen_walls: tuple[float | None, float | None] = (None, None)  # last observed (call, put)
    gex_sign: int = 0
    gex_peak: float = 0.0  # largest |net GEX| seen since the sign was last decided
    regime: str | None = None  # last decided regime (positive or negative)
    walls: tuple[float | None, float | None] = (None, None)  # announced (call, put)
    pending: tuple[tuple[float | None, int], ...] = ((None, 0), (None, 0))  # per wall: strike, polls


def _event(obs: Observation, rule: str, message: str, *, level: float | None = None,
           previous: float | str | None = None, current: float | str | None = None) -> AlertEvent:
    return AlertEvent(symbol=obs.symbol, rule=rule, message=message, as_of=obs.as_of,
                      spot=obs.spot, level=level, previous=previous, current=current,
                      net_gex=obs.net_gex, source=obs.source, is_demo=obs.is_demo)


def flip_side(spot: float, flip: float | None, band_pct: float, previous: int) -> int:
    """+1 above the flip's band, -1 below it, `previous` inside it or when there is no flip."""
    if flip is None:
        return previous
    if spot > flip * (1 + band_pct / 100):
        return 1
    if spot < flip * (1 - band_pct / 100):
        return -1
    return previous


def baseline(obs: Observation, config: RuleConfig) -> SymbolState:
    """The state after a first observation (no events)."""
    walls = (obs.call_wall, obs.put_wall)
    near = frozenset(k for k, w in zip(WALLS, walls)
                     if w is not None and _distance_pct(obs.spot, w) <= config.near_wall_pct)
    sign = (obs.net_gex > 0) - (obs.net_gex < 0)
    return SymbolState(spot=obs.spot, flip_side=flip_side(obs.spot, obs.flip, config.flip_band_pct, 0),
                       near=near, seen_walls=walls, gex_sign=sign, gex_peak=abs(obs.net_gex),
                       regime=obs.regime if obs.regime in DECIDED_REGIMES else None, walls=walls)


def _distance_pct(spot: float, level: float) -> float:
    return abs(spot - level) / spot * 100


def check(state: SymbolState | None, obs: Observation, config: RuleConfig = RuleConfig(),
          rules: frozenset[str] | set[str] = frozenset(RULES)) -> tuple[list[AlertEvent], SymbolState]:
    """The alerts `obs` fires after `state`, and the state to keep (see the module docstring).

    Every rule's state is updated on every call, enabled or not, so turning a rule on later
    does not fire on old news.
    """
    if state is None:
        return [], baseline(obs, config)
    events: list[AlertEvent] = []
    sym, spot = obs.symbol, obs.spot

    # flip_cross
    side = flip_side(spot, obs.flip, config.flip_band_pct, state.flip_side)
    if state.flip_side and side != state.flip_side and "flip_cross" in rules:
        where = "above" if side > 0 else "below"
        events.append(_event(obs, "flip_cross", f"{sym} crossed {where} the gamma flip "
                             f"{obs.flip:.2f} (spot {spot:.2f}).", level=obs.flip,
                             previous="above" if state.flip_side > 0 else "below", current=where))

    # near_wall
    near = set()
    for i, kind in enumerate(WALLS):
        wall = obs.wall(kind)
        if wall is None:
            continue
        distance = _distance_pct(spot, wall)
        jumped = state.seen_walls[i] == wall and (state.spot - wall) * (spot - wall) < 0
        armed = kind not in state.near
        fired = armed and (distance <= config.near_wall_pct or jumped)
        if fired and "near_wall" in rules:
            what = "crossed" if distance > config.near_wall_pct else f"is within {distance:.2f}% of"
            events.append(_event(obs, "near_wall", f"{sym} {what} the {kind} wall {wall:g} "
                                 f"(spot {spot:.2f}).", level=wall, current=kind))
        if distance <= config.near_wall_pct or (
                (fired or not armed) and distance <= config.near_wall_pct + config.wall_band_pct):
            near.add(kind)

    # net_gex_sign
    sign, peak, net = state.gex_sign, state.gex_peak, obs.net_gex
    if sign == 0:
        sign, peak = (net > 0) - (net < 0), abs(net)
    elif net * sign >= 0:
        peak = max(peak, abs(net))
    elif abs(net) > config.net_gex_band * peak:
        sign, peak = -sign, abs(net)
        if "net_gex_sign" in rules:
            word = "positive" if sign > 0 else "negative"
            events.append(_event(obs, "net_gex_sign", f"{sym} net GEX turned {word}: "
                                 f"{format_amount(net)} USD per 1% move (spot {spot:.2f}).",
                                 previous="negative" if sign > 0 else "positive", current=word))

    # regime_change
    regime = state.regime
    if obs.regime in DECIDED_REGIMES:
        if regime is not None and obs.regime != regime and "regime_change" in rules:
            events.append(_event(obs, "regime_change", f"{sym} regime changed from {regime} to "
                                 f"{obs.regime} (spot {spot:.2f}, flip "
                                 f"{'n/a' if obs.flip is None else f'{obs.flip:.2f}'}).",
                                 level=obs.flip, previous=regime, current=obs.regime))
        regime = obs.regime

    # wall_move
    walls, pending = list(state.walls), list(state.pending)
    for i, kind in enumerate(WALLS):
        wall = obs.wall(kind)
        if walls[i] is None:
            walls[i], pending[i] = wall, (None, 0)
        elif wall is None or wall == walls[i]:
            pending[i] = (None, 0)
        else:
            held = pending[i][1] + 1 if pending[i][0] == wall else 1
            pending[i] = (wall, held)
            if held >= config.wall_confirm:
                if "wall_move" in rules:
                    events.append(_event(obs, "wall_move", f"{sym} {kind} wall moved from "
                                         f"{walls[i]:g} to {wall:g} (spot {spot:.2f}).",
                                         level=wall, previous=walls[i], current=wall))
                walls[i], pending[i] = wall, (None, 0)

    new = replace(state, spot=spot, flip_side=side, near=frozenset(near),
                  seen_walls=(obs.call_wall, obs.put_wall), gex_sign=sign, gex_peak=peak,
                  regime=regime, walls=(walls[0], walls[1]), pending=(pending[0], pending[1]))
    return events, new


def parse_rules(rules: str | list[str] | tuple[str, ...] | None) -> frozenset[str]:
    """Rule names from a list or a comma-separated string; None or empty means all of them.

    Raises:
        InputError: an unknown rule name (the sentence lists the known ones).
    """
    from gex_mcp.errors import InputError

    if rules is None:
        return frozenset(RULES)
    items = rules.split(",") if isinstance(rules, str) else [str(r) for r in rules]
    names = [r.strip().lower() for r in items if r and r.strip()]
    unknown = [r for r in names if r not in RULES]
    if unknown:
        raise InputError(f"Unknown alert rule {unknown[0][:40]!r}. Use any of: {', '.join(RULES)} "
                         "(comma-separated), or leave rules out for all of them.")
    return frozenset(names) if names else frozenset(RULES)
