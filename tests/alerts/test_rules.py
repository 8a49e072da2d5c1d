"""The alert rules as a pure function, on hand-built level sequences.

Expected events are derived here by other means than the rules' own state machine: crossings
by run-length over the points outside the band, wall entries from zone labels, hand counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gex_mcp.alerts.rules import RULES, Observation, RuleConfig, check, parse_rules
from gex_mcp.errors import InputError

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CONFIG = RuleConfig(near_wall_pct=0.5, wall_band_pct=0.25, flip_band_pct=0.1, net_gex_band=0.05,
                    wall_confirm=2)


def obs(i: int, spot: float, *, flip: float | None = 100.0, call_wall: float | None = 200.0,
        put_wall: float | None = 20.0, net_gex: float = 1e9, regime: str = "positive_gamma"):
    return Observation(symbol="SPY", as_of=T0 + timedelta(minutes=i), spot=spot, flip=flip,
                       call_wall=call_wall, put_wall=put_wall, net_gex=net_gex, regime=regime)


def run(observations, rules=frozenset(RULES), config=CONFIG):
    state, fired = None, []
    for o in observations:
        events, state = check(state, o, config, rules)
        fired.append(events)
    return fired, state


def by_rule(fired, rule):
    return [(i, e) for i, events in enumerate(fired) for e in events if e.rule == rule]


def test_the_first_observation_only_sets_the_baseline():
    fired, _ = run([obs(0, 100.02, call_wall=100.0, put_wall=100.0)])
    assert fired == [[]]


def test_flip_cross_fires_once_per_crossing_and_jitter_inside_the_band_fires_nothing():
    # flip 100, band 0.1%: above means > 100.1, below means < 99.9
    spots = [101.0, 100.05, 99.95, 100.05, 99.95, 99.5, 99.95, 100.08, 100.2, 100.05, 99.2]
    fired, _ = run([obs(i, s) for i, s in enumerate(spots)])
    crossings = by_rule(fired, "flip_cross")
    # by hand: 101 above; 99.5 (i=5) is the first point below the band; 100.2 (i=8) above; 99.2 below
    assert [(i, e.current) for i, e in crossings] == [(5, "below"), (8, "above"), (10, "below")]
    first = crossings[0][1]
    assert (first.level, first.spot, first.previous) == (100.0, 99.5, "above")
    assert "crossed below the gamma flip 100.00 (spot 99.50)" in first.message


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-0.3, 0.3), min_size=2, max_size=80), st.floats(98.5, 101.5))
def test_flip_crossings_equal_the_side_changes_of_the_points_outside_the_band(steps, start):
    spots = [start]
    for step in steps:
        spots.append(spots[-1] * (1 + step / 100))
    fired, _ = run([obs(i, s) for i, s in enumerate(spots)], rules={"flip_cross"})
    outside = ["above" if s > 100.1 else "below" for s in spots if s > 100.1 or s < 99.9]
    runs = [side for k, side in enumerate(outside) if k == 0 or side != outside[k - 1]]
    assert [e.current for _, e in by_rule(fired, "flip_cross")] == runs[1:]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-0.2, 0.2), min_size=2, max_size=80), st.floats(98.0, 102.0))
def test_near_wall_fires_on_entering_and_rearms_only_beyond_the_band(steps, start):
    spots = [start]
    for step in steps:
        spots.append(spots[-1] * (1 + step / 100))
    fired, _ = run([obs(i, s, call_wall=100.0, flip=None) for i, s in enumerate(spots)],
                   rules={"near_wall"})
    distance = [abs(s - 100.0) / s * 100 for s in spots]
    # steps of at most 0.2% cannot jump across the 1%-wide zone: entries are the only events
    expected, armed = [], distance[0] > 0.5
    for i, d in enumerate(distance[1:], 1):
        if d <= 0.5 and armed:
            expected.append(i)
            armed = False
        elif d > 0.75:
            armed = True
    assert [i for i, e in by_rule(fired, "near_wall") if e.current == "call"] == expected


def test_a_jump_across_a_wall_counts_as_reaching_it():
    fired, _ = run([obs(0, 98.0, call_wall=100.0), obs(1, 102.0, call_wall=100.0),
                    obs(2, 102.1, call_wall=100.0)], rules={"near_wall"})
    walls = by_rule(fired, "near_wall")
    assert [(i, e.level) for i, e in walls] == [(1, 100.0)]
    assert "crossed the call wall 100" in walls[0][1].message


def test_net_gex_sign_changes_need_five_percent_of_the_old_sides_peak():
    nets = [100.0, 50.0, -2.0, -10.0, -3.0, 0.4, 1.0]
    # by hand: -2 is within 5% of the peak 100: no; -10 is past: fires; then the peak is 10,
    # +0.4 is within 5% of it: no; +1 is past: fires
    fired, _ = run([obs(i, 150.0, net_gex=n) for i, n in enumerate(nets)])
    assert [(i, e.current) for i, e in by_rule(fired, "net_gex_sign")] == [(3, "negative"), (6, "positive")]


def test_regime_changes_pass_through_neutral_without_firing_on_a_return():
    regimes = ["positive_gamma", "neutral", "positive_gamma", "neutral", "negative_gamma",
               "negative_gamma", "unknown", "neutral", "positive_gamma"]
    fired, _ = run([obs(i, 150.0, regime=r) for i, r in enumerate(regimes)])
    assert [(i, e.previous, e.current) for i, e in by_rule(fired, "regime_change")] == [
        (4, "positive_gamma", "negative_gamma"), (8, "negative_gamma", "positive_gamma")]


def test_a_wall_move_is_announced_once_it_holds_for_two_polls():
    walls = [600.0, 605.0, 600.0, 605.0, 605.0, 610.0, 610.0, 610.0, None, 610.0]
    fired, _ = run([obs(i, 500.0, call_wall=w) for i, w in enumerate(walls)])
    assert [(i, e.previous, e.current) for i, e in by_rule(fired, "wall_move")] == [
        (4, 600.0, 605.0), (6, 605.0, 610.0)]


def test_disabled_rules_keep_their_state_so_enabling_one_later_fires_no_old_news():
    state = None
    for i, s in enumerate([101.0, 99.0]):
        events, state = check(state, obs(i, s), CONFIG, rules=set())
        assert events == []
    events, state = check(state, obs(2, 98.9), CONFIG, rules={"flip_cross"})
    assert events == []  # the crossing happened while the rule was off


def test_no_flip_keeps_the_side():
    fired, _ = run([obs(0, 101.0), obs(1, 99.0, flip=None), obs(2, 99.0)], rules={"flip_cross"})
    assert [i for i, _ in by_rule(fired, "flip_cross")] == [2]


def test_rule_names_are_checked_with_a_sentence_listing_them():
    assert parse_rules(None) == frozenset(RULES)
    assert parse_rules("flip_cross, near_wall") == {"flip_cross", "near_wall"}
    with pytest.raises(InputError, match="Unknown alert rule 'flip'. Use any of: flip_cross, near_wall"):
        parse_rules(["flip"])
