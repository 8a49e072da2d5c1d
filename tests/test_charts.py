"""Tests for the GEX by strike PNG chart; inputs are small hand-made responses."""

from __future__ import annotations

import io
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from matplotlib.image import imread
from matplotlib.text import Annotation

from gex_mcp.charts.gex import (
    NO_STRIKES_MESSAGE,
    ZERO_GEX_MESSAGE,
    build_gex_figure,
    render_gex_chart,
)
from gex_mcp.charts.style import human
from gex_mcp.models import DataQuality, GexResponse, GexStrike, LevelsResponse

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
AS_OF = datetime(2025, 6, 13, 15, 45, tzinfo=timezone(timedelta(hours=-4)))


def make_strike(strike: float, call_gex: float, put_gex: float) -> GexStrike:
    return GexStrike(
        strike=strike, call_gex=call_gex, put_gex=put_gex, net_gex=call_gex + put_gex,
        call_oi=1_000, put_oi=800, call_volume=50, put_volume=40,
        call_oi_change=None, put_oi_change=None,
    )


def make_gex(
    strikes: list[GexStrike] | None = None,
    *,
    spot: float = 100.0,
    flip: float | None = 98.5,
    flip_status: str = "ok",
    symbol: str = "SPY",
    is_demo: bool = False,
    stale: bool = False,
) -> GexResponse:
    """A GexResponse around spot 100: puts below, calls above, flip at 98.5."""
    if strikes is None:
        strikes = [make_strike(k, max(k - 95, 0) * 2e7, -max(105 - k, 0) * 2e7)
                   for k in range(90, 111)]
    net = sum(s.net_gex for s in strikes)
    return GexResponse(
        symbol=symbol, underlying_price=spot, as_of=AS_OF, source="file:test",
        is_demo=is_demo, stale=stale, stale_age_seconds=312.0 if stale else None,
        stale_reason="upstream timeout" if stale else None,
        gamma_flip=flip, gamma_flip_status=flip_status,
        gamma_flip_reason=None if flip is not None else "net GEX positive everywhere",
        net_gex=net, net_gex_label=human(net),
        call_gex=sum(s.call_gex for s in strikes), put_gex=sum(s.put_gex for s in strikes),
        strikes=strikes,
        data_quality=DataQuality(contracts_total=2 * len(strikes), contracts_used=2 * len(strikes)),
    )


def make_levels(call_wall: float | None = 105.0, put_wall: float | None = 95.0) -> LevelsResponse:
    return LevelsResponse(
        symbol="SPY", underlying_price=100.0, as_of=AS_OF, source="file:test",
        gamma_flip=98.5, gamma_flip_status="ok",
        call_wall=call_wall, put_wall=put_wall, max_positive_gamma=108.0,
        max_negative_gamma=92.0, highest_oi_strike=100.0, zero_dte_magnet=None,
    )


def texts(fig) -> list[str]:
    """Every text the figure draws: titles, badges, in-plot messages, edge labels, legend."""
    ax = fig.axes[0]
    found = [t.get_text() for t in (*fig.texts, *ax.texts)]
    return found + [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def bar_heights(fig) -> list[float]:
    return [bar.get_height() for container in fig.axes[0].containers for bar in container]


def decode(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def assert_valid_png(png: bytes, width_px: int = 1400, height_px: int = 700) -> np.ndarray:
    assert png.startswith(PNG_SIGNATURE)
    pixels = decode(png)
    assert pixels.shape[:2] == (height_px, width_px)
    assert pixels[..., :3].var() > 0
    return pixels


def test_chart_is_a_png_of_the_requested_pixel_size():
    """The default render is a non-blank 1400x700 PNG."""
    assert_valid_png(render_gex_chart(make_gex(), make_levels()))


@pytest.mark.parametrize(("width_px", "height_px"), [(600, 300), (1001, 503), (2000, 900)])
def test_chart_has_exactly_the_requested_size_at_any_scale(width_px, height_px):
    """Odd and scaled sizes come out pixel-exact, despite Agg's integer truncation."""
    png = render_gex_chart(make_gex(), make_levels(), width_px=width_px, height_px=height_px)
    assert_valid_png(png, width_px, height_px)


def test_demo_chart_differs_from_the_same_chart_without_the_demo_flag():
    """Demo data carries a visible watermark and badge."""
    plain = decode(render_gex_chart(make_gex(is_demo=False)))
    demo = decode(render_gex_chart(make_gex(is_demo=True)))
    assert plain.shape == demo.shape
    assert not np.array_equal(plain, demo)


def test_stale_chart_differs_from_the_same_chart_when_fresh():
    """A stale answer carries a STALE badge."""
    fresh = decode(render_gex_chart(make_gex(stale=False)))
    stale = decode(render_gex_chart(make_gex(stale=True)))
    assert not np.array_equal(fresh, stale)


def test_empty_strike_list_renders_the_no_strikes_message():
    """No strikes at all: no bars, the no-strikes message in the plot, a valid PNG."""
    fig = build_gex_figure(make_gex([]), make_levels())
    assert NO_STRIKES_MESSAGE in texts(fig)
    assert bar_heights(fig) == []
    assert_valid_png(render_gex_chart(make_gex([]), make_levels()))


def test_window_that_hides_every_strike_still_renders():
    """Strikes all far from spot leave the window empty: the title counts them as hidden."""
    far = [make_strike(k, 1e8, -5e7) for k in (200.0, 210.0)]
    fig = build_gex_figure(make_gex(far), make_levels(), strikes_window_pct=5)
    drawn = texts(fig)
    assert NO_STRIKES_MESSAGE in drawn
    assert any("view ±5% of spot: 0 strikes shown, 2 hidden" in t for t in drawn)
    assert_valid_png(render_gex_chart(make_gex(far), make_levels(), strikes_window_pct=5))


def test_all_zero_gex_renders():
    """A flat profile (all GEX zero) says so in the plot and still renders."""
    zeros = [make_strike(k, 0.0, 0.0) for k in range(95, 106)]
    fig = build_gex_figure(make_gex(zeros, flip=None, flip_status="no_data"))
    assert ZERO_GEX_MESSAGE in texts(fig)
    assert_valid_png(render_gex_chart(make_gex(zeros, flip=None, flip_status="no_data")))


def test_single_strike_renders():
    """One strike: its call, put and net bars are drawn with their values."""
    fig = build_gex_figure(make_gex([make_strike(100.0, 3e8, -1e8)]), make_levels())
    assert sorted(bar_heights(fig)) == [-1e8, 2e8, 3e8]
    assert_valid_png(render_gex_chart(make_gex([make_strike(100.0, 3e8, -1e8)]), make_levels()))


def test_null_flip_renders_with_its_status():
    """A null gamma flip is reported as n/a with its status in the title and legend, not drawn."""
    gex = make_gex(flip=None, flip_status="no_crossing")
    fig = build_gex_figure(gex, make_levels())
    drawn = texts(fig)
    assert "flip: n/a (no_crossing)" in drawn
    assert any(t.endswith("spot 100.00, flip n/a (no_crossing)") for t in drawn)
    lines = fig.axes[0].lines
    vertical = {round(line.get_xdata()[0], 2) for line in lines
                if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]}
    markers = {round(line.get_xdata()[0], 2) for line in lines if len(line.get_xdata()) == 1}
    assert vertical == markers == {100.0, 105.0, 95.0}  # spot and the walls; no flip mark
    assert_valid_png(render_gex_chart(gex, make_levels()))


@pytest.mark.parametrize("magnitude", [1e13, 1e18, 1e250, 1.7e308])
def test_huge_values_render(magnitude):
    """Values far beyond any real market render, edge-label headroom included."""
    strikes = [make_strike(k, magnitude, -magnitude / 3) for k in (98.0, 100.0, 102.0)]
    assert_valid_png(render_gex_chart(make_gex(strikes), make_levels(call_wall=150.0)))


def test_walls_and_flip_outside_the_window_are_drawn_at_the_edge():
    """Levels beyond the window become labelled edge arrows; the axis stays on the window."""
    gex, levels = make_gex(flip=80.0), make_levels(call_wall=150.0, put_wall=60.0)
    fig = build_gex_figure(gex, levels, strikes_window_pct=5)
    ax = fig.axes[0]
    arrows = {a.get_text(): a.xy[0] for a in ax.texts
              if isinstance(a, Annotation) and a.arrow_patch is not None}
    assert arrows == {"gamma flip 80.00": 0.0, "call wall 150.00": 1.0, "put wall 60.00": 0.0}
    low, high = ax.get_xlim()
    assert low > 93 and high < 107  # the window is 95..105, padded by one strike
    assert "call wall 150.00 (off view)" in texts(fig)
    assert_valid_png(render_gex_chart(gex, levels, strikes_window_pct=5))


def test_dollar_signs_in_symbol_and_source_do_not_trigger_mathtext():
    """A '$' in data text is escaped, so rendering cannot fail on a mathtext parse."""
    gex = make_gex(symbol="$SPX").model_copy(update={"source": "file:$odd.csv"})
    assert_valid_png(render_gex_chart(gex))


def test_unsorted_and_duplicate_strikes_render():
    """Strike order does not matter and a duplicate strike does not zero the bar width."""
    strikes = [make_strike(k, 1e8, -4e7) for k in (105.0, 95.0, 100.0, 100.0)]
    assert_valid_png(render_gex_chart(make_gex(strikes)))


def test_concurrent_renders_match_a_serial_render():
    """Rendering uses no shared pyplot state, so threads produce identical bytes."""
    gex, levels = make_gex(is_demo=True), make_levels()
    expected = render_gex_chart(gex, levels)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: render_gex_chart(gex, levels), range(8)))
    assert all(png == expected for png in results)


@pytest.mark.parametrize("pct", [0.0, -5.0, math.nan, math.inf])
def test_non_positive_or_non_finite_window_is_a_value_error(pct):
    """The window half-width must be a positive finite percent."""
    with pytest.raises(ValueError) as info:
        render_gex_chart(make_gex(), strikes_window_pct=pct)
    assert str(info.value) == f"strikes_window_pct must be a positive number of percent, got {pct!r}."


@pytest.mark.parametrize(("width_px", "height_px"), [(100, 700), (1400, 50), (10_000, 700)])
def test_out_of_range_image_size_is_a_value_error(width_px, height_px):
    """Sizes too small to lay out, or absurdly large, are rejected, naming the bad side."""
    with pytest.raises(ValueError) as info:
        render_gex_chart(make_gex(), width_px=width_px, height_px=height_px)
    bad, value, low = (("width_px", width_px, 600) if not 600 <= width_px <= 6000
                       else ("height_px", height_px, 300))
    assert str(info.value) == f"{bad} must be between {low} and 6000 pixels, got {value!r}."


@pytest.mark.parametrize(
    ("value", "label"),
    [(1.2e9, "1.2B"), (3.5e8, "350M"), (-4e7, "-40M"), (1.25e12, "1.25T"), (12_000, "12K"),
     (0.0, "0"), (250.0, "250"), (2e18, "2e18"), (-4.5e17, "-4.5e17")],
)
def test_axis_labels_are_short_human_amounts(value, label):
    """Tick labels read like 1.2B / 350M / -40M."""
    assert human(value) == label


def test_levels_are_marked_above_the_plot_and_behind_the_bars():
    """Wall and flip lines never cover a bar: they sit behind the bars, labels above the axes;
    coinciding walls get labels on separate tiers."""
    gex = make_gex()
    fig = build_gex_figure(gex, make_levels(call_wall=100.0, put_wall=100.0))
    ax = fig.axes[0]
    bar_z = min(patch.get_zorder() for container in ax.containers for patch in container)
    level_lines = [line for line in ax.lines if len(line.get_xdata()) == 2
                   and line.get_xdata()[0] == line.get_xdata()[1]]
    assert level_lines and all(line.get_zorder() < bar_z for line in level_lines)
    labels = {a.get_text(): a.xyann[1] for a in ax.texts if isinstance(a, Annotation)
              and a.arrow_patch is None}
    assert set(labels) == {"spot 100.00", "gamma flip 98.50", "call wall 100.00", "put wall 100.00"}
    assert len({labels["spot 100.00"], labels["call wall 100.00"], labels["put wall 100.00"]}) == 3


def test_more_than_60_strikes_are_summed_into_fewer_wider_bars():
    """230 strikes 5 apart become at most 60 bins; bar sums equal the window's strike sums."""
    strikes = [make_strike(5000.0 + 5 * i, 1e8 * (i % 7), -5e7 * (i % 5)) for i in range(230)]
    gex = make_gex(strikes, spot=5575.0, flip=5500.0)
    fig = build_gex_figure(gex, strikes_window_pct=10)
    heights = bar_heights(fig)
    bars = len(heights) // 3
    assert bars <= 60
    shown = [s for s in strikes if 5575 * 0.9 <= s.strike <= 5575 * 1.1]
    net = heights[2 * bars:]
    assert math.isclose(sum(net), sum(s.net_gex for s in shown), rel_tol=1e-9)
    assert any("in " in t and " bins" in t for t in texts(fig))
    assert fig.axes[0].get_xlabel() == "Strike (bins of 20)"  # 1,110 points / 20 + 1 = 56.5 bins


def test_title_states_the_regime_given():
    """The title's regime is the one passed in (the regime tool's rule), e.g. neutral."""
    fig = build_gex_figure(make_gex(), make_levels(), regime="neutral")
    # the flip's distance by the one convention, (98.50 - 100) / 100 x 100
    assert any(t.endswith("spot 100.00 above flip 98.50 (flip -1.50% vs spot): neutral")
               for t in texts(fig))


def test_open_interest_overlay_draws_oi_per_bar_on_a_second_axis():
    gex = make_gex()
    fig = build_gex_figure(gex, make_levels(), oi_overlay=True)
    assert len(fig.axes) == 2
    (line,) = fig.axes[1].lines
    assert list(line.get_ydata()) == [1800.0] * len(gex.strikes)  # call 1,000 + put 800 each
    assert "open interest" in texts(fig)
