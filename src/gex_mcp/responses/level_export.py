"""Today's levels written for a charting platform: TradingView Pine v6, thinkorswim
thinkScript, CSV.

The levels are the analysis's own (spot, gamma flip, call and put walls, max ± gamma
strikes, 0DTE magnet) plus the expected-move band of the nearest expiration,
spot ± S · σ_ATM · √T (see `engine/expected_move.py`). A level that is not determined is
left out and listed in `missing` with the reason; every drawn price is to the cent.
"""

from __future__ import annotations

import csv
import io

from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.models import ExportedLevel, LevelExportResponse, Provenance
from gex_mcp.responses._common import DEFAULT_CONTEXT, BuildContext

#: name -> (label, Pine color, thinkScript color, dashed)
_STYLE = {
    "spot": ("Spot", "color.gray", "Color.GRAY", False),
    "gamma_flip": ("Gamma flip", "color.orange", "Color.ORANGE", True),
    "call_wall": ("Call wall", "color.green", "Color.GREEN", False),
    "put_wall": ("Put wall", "color.red", "Color.RED", False),
    "max_pos_gamma": ("Max +gamma", "color.teal", "Color.CYAN", True),
    "max_neg_gamma": ("Max -gamma", "color.maroon", "Color.MAGENTA", True),
    "zero_dte_magnet": ("0DTE magnet", "color.purple", "Color.VIOLET", True),
    "em_upper": ("EM upper", "color.blue", "Color.BLUE", True),
    "em_lower": ("EM lower", "color.blue", "Color.BLUE", True),
}
_EXTENSIONS = {"pine": "pine", "thinkscript": "ts", "csv": "csv"}


def export_levels(a: ChainAnalysis) -> tuple[list[ExportedLevel], list[str]]:
    """(levels drawn, levels missing with why), in `_STYLE` order."""
    lv, spot = a.levels, a.prepared.spot
    prices: dict[str, float | None] = {
        "spot": spot, "gamma_flip": a.flip.price, "call_wall": lv.call_wall,
        "put_wall": lv.put_wall, "max_pos_gamma": lv.max_positive_gamma,
        "max_neg_gamma": lv.max_negative_gamma, "zero_dte_magnet": lv.zero_dte_magnet}
    why = {"gamma_flip": f"gamma flip {a.flip.status}: {a.flip.reason}",
           "zero_dte_magnet": "no options expire today",
           "max_pos_gamma": "no strike has positive net GEX",
           "max_neg_gamma": "no strike has negative net GEX"}
    band = next((m for m in a.expected_moves if m.iv_move is not None), None)
    suffix = ""
    if band is not None and band.iv_move is not None:
        prices["em_upper"], prices["em_lower"] = spot + band.iv_move, spot - band.iv_move
        suffix = f" {band.expiration}"
    else:
        prices["em_upper"] = prices["em_lower"] = None
        why["em_upper"] = why["em_lower"] = "no expiration has an at-the-money IV"
    drawn, missing = [], []
    for name, (label, *_rest) in _STYLE.items():
        price = prices.get(name)
        if price is None:
            missing.append(f"{name}: {why.get(name, 'not determined')}")
            continue
        text = f"{label}{suffix if name.startswith('em_') else ''} {price:.2f}"
        drawn.append(ExportedLevel(name=name, label=text, price=round(float(price), 2)))
    return drawn, missing


def _header(prov: Provenance) -> str:
    return (f"gex-mcp levels for {prov.symbol} as of {prov.as_of.isoformat()} "
            f"(source {prov.source}{', DEMO DATA' if prov.is_demo else ''}); prices in USD")


def pine_script(levels: list[ExportedLevel], prov: Provenance) -> str:
    """A TradingView Pine Script v6 indicator: one `hline` per level plus a label on the
    last confirmed bar."""
    lines = ["//@version=6", f"// {_header(prov)}",
             f'indicator("GEX levels {prov.symbol}", shorttitle = "GEX {prov.symbol}", '
             f"overlay = true, max_labels_count = {max(len(levels), 1)})"]
    lines += [f"{lv.name} = {lv.price:.2f}" for lv in levels]
    for lv in levels:
        _, color, _, dashed = _STYLE[lv.name]
        style = "hline.style_dashed" if dashed else "hline.style_solid"
        lines.append(f'hline({lv.name}, title = "{lv.label}", color = {color}, '
                     f"linestyle = {style}, linewidth = 2)")
    lines.append("if barstate.islastconfirmedhistory")
    for lv in levels:
        color = _STYLE[lv.name][1]
        lines.append(f'    label.new(bar_index, {lv.name}, "{lv.label}", style = label.style_label_left, '
                     f"color = {color}, textcolor = color.white, size = size.small)")
    return "\n".join(lines) + "\n"


def _camel(name: str) -> str:
    return "".join(part.capitalize() if not part[0].isdigit() else part.upper()
                   for part in name.split("_"))


def thinkscript_study(levels: list[ExportedLevel], prov: Provenance) -> str:
    """A thinkorswim thinkScript study: one horizontal plot per level and a chart bubble with
    its label on the last bar."""
    lines = [f"# {_header(prov)}", "declare upper;",
             "def lastBar = !IsNaN(close) and IsNaN(close[-1]);"]
    for lv in levels:
        _, _, color, dashed = _STYLE[lv.name]
        plot = _camel(lv.name)
        lines += [f"plot {plot} = {lv.price:.2f};",
                  f"{plot}.SetDefaultColor({color});",
                  f"{plot}.SetPaintingStrategy(PaintingStrategy.HORIZONTAL);",
                  f"{plot}.SetStyle(Curve.{'MEDIUM_DASH' if dashed else 'FIRM'});",
                  f"{plot}.SetLineWeight(2);",
                  f'AddChartBubble(lastBar, {plot}, "{lv.label}", {color}, yes);']
    return "\n".join(lines) + "\n"


def csv_text(levels: list[ExportedLevel], prov: Provenance) -> str:
    """CSV with a header: symbol, as_of, name, label, price."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["symbol", "as_of", "name", "label", "price"])
    writer.writerows([prov.symbol, prov.as_of.isoformat(), lv.name, lv.label, f"{lv.price:.2f}"]
                     for lv in levels)
    return out.getvalue()


_RENDER = {"pine": pine_script, "thinkscript": thinkscript_study, "csv": csv_text}


def level_export_response(a: ChainAnalysis, prov: Provenance,
                          ctx: BuildContext = DEFAULT_CONTEXT) -> LevelExportResponse:
    """The levels in the format `ctx.options['format']` (default pine)."""
    fmt = ctx.options.get("format") or "pine"
    levels, missing = export_levels(a)
    name = prov.symbol.lower().replace(".", "_").replace("/", "_")
    return LevelExportResponse(
        **prov.model_dump(), format=fmt, filename=f"{name}_gex_levels.{_EXTENSIONS[fmt]}",
        levels=levels, missing=missing, content=_RENDER[fmt](levels, prov))
