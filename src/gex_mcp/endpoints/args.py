"""The arguments endpoints take, each defined once with its bounds and the text a model reads.

An `Arg` becomes an MCP tool parameter (`annotation()`: a pydantic `Annotated` type whose
`Field` carries the description, bounds and examples, so the SDK rejects bad values before
the tool runs) and a CLI option or argument (`cli_flag`, `cli_help`). Bounds are module
constants, so the service's own checks and the schemas quote the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, create_model

from gex_mcp.engine.profile import DEFAULT_PROFILE_POINTS, DEFAULT_PROFILE_RANGE_PCT
from gex_mcp.errors import InputError
from gex_mcp.models import SourceName

MAX_SYMBOL_LENGTH = 32  # generous: the service gives the precise "not a ticker" message
MAX_EXPIRATION_LENGTH = 32  # likewise for "not an expiration date"
MAX_BASKET_SYMBOLS = 50  # a basket, any source (FlashAlpha's own limit)
MAX_SCAN_SYMBOLS = 25  # a scan that fetches from the network (cboe, flashalpha)
MAX_LOCAL_SCAN_SYMBOLS = 1000  # a scan of local data (file, demo sources) and any CLI scan
LOCAL_SOURCES = ("file", "demo")
DEFAULT_NEAR_WALL_PCT = 1.0
MAX_NEAR_WALL_PCT = 20.0
DEFAULT_STRIKE_WINDOW_PCT = 10.0
MAX_STRIKE_WINDOW_PCT = 100.0
DEFAULT_CLI_WINDOW_PCT = 5.0  # a terminal shows fewer rows than a model reads
DEFAULT_CHART_WINDOW_PCT = 10.0
MAX_CHART_WINDOW_PCT = 50.0
MAX_PROFILE_RANGE_PCT = 20.0

REQUIRED: Any = ...  # marks an argument without a default


@dataclass(frozen=True)
class Arg:
    """One argument of an endpoint.

    Attributes:
        name: the parameter name in MCP, the service and JSON.
        type: the Python type (without Annotated).
        description: what the model reads; `{default_source}` is filled in per server.
        default: the default, or REQUIRED.
        constraints: further pydantic `Field` keywords (bounds, examples).
        cli_flag: the CLI option ("--min-oi"); None makes it a positional argument.
        cli_help: the CLI help line.
        cli_type: the CLI's type, when it differs (e.g. a plain str for a Literal).
        cli_default: the CLI's default, when it differs from `default`.
        presentation: shapes the answer (which rows are shown), not the question: front ends
            use it, the service never sees it.
        mcp_only: MCP tools take it; CLI commands do not.
        rule: what a valid value is, for error messages ("a whole number of contracts >= 0").
        hint: what to do instead, ending an error message ("Use 0 to keep every strike.").
    """

    name: str
    type: Any
    description: str
    default: Any = REQUIRED
    constraints: dict[str, Any] = field(default_factory=dict)
    cli_flag: str | None = None
    cli_help: str = ""
    cli_type: Any = None
    cli_default: Any = REQUIRED
    presentation: bool = False
    mcp_only: bool = False
    rule: str = "valid"
    hint: str = ""

    @property
    def is_list(self) -> bool:
        """True for a list argument (a query string may repeat it or join it with commas)."""
        kind = self.type
        if get_origin(kind) is Annotated:  # e.g. WEIGHTS: the list inside a validator
            kind = get_args(kind)[0]
        kinds = [kind, *get_args(kind)]
        return any(k is list or get_origin(k) is list for k in kinds)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def annotation(self, **context: str) -> Any:
        """The MCP parameter type: `Annotated[type, Field(description=..., bounds...)]`."""
        return Annotated[self.type, Field(description=self.description.format(**context),
                                          **self.constraints)]

    @property
    def cli_value_default(self) -> Any:
        return self.default if self.cli_default is REQUIRED else self.cli_default


SYMBOL = Arg(
    "symbol", str,
    "US ticker or index, e.g. 'SPY', 'QQQ', 'AAPL', 'SPX' (no '^' or '_' needed).",
    constraints={"min_length": 1, "max_length": MAX_SYMBOL_LENGTH, "examples": ["SPY", "SPX"]},
    cli_type=str | None, cli_default=None,
    cli_help="Ticker or index, e.g. SPY or SPX. Optional with --chain (taken from the file).",
    rule=f"a ticker of 1 to {MAX_SYMBOL_LENGTH} characters", hint="Example: 'SPY' or 'SPX'.")

SOURCE = Arg(
    "source", SourceName | None,
    "Data source: cboe (free, delayed ~15 min), flashalpha (API key), file (saved snapshots) "
    "or demo (synthetic). Leave out for the server default ({default_source}).",
    default=None, constraints={"examples": ["cboe"]},
    cli_flag="--source", cli_type=str | None,
    cli_help="cboe, flashalpha, file or demo (default: GEX_SOURCE, else cboe).",
    rule="one of cboe, flashalpha, file, demo",
    hint="Example: 'cboe'; leave it out for the server default.")

EXPIRATION = Arg(
    "expiration", str | None,
    "Only options expiring on this date, YYYY-MM-DD, e.g. '2026-12-18'. "
    "Leave out for all expirations.",
    default=None,
    constraints={"max_length": MAX_EXPIRATION_LENGTH, "examples": ["2026-12-18"]},
    cli_flag="--expiration", cli_help="Only this expiration, YYYY-MM-DD.",
    rule="a date YYYY-MM-DD", hint="Example: '2026-12-18'; leave it out for all expirations.")

MIN_OI = Arg(
    "min_oi", int,
    "Leave out strikes whose call+put open interest is below this many contracts. "
    "0 keeps every strike.",
    default=0, constraints={"ge": 0, "examples": [0, 100]},
    cli_flag="--min-oi", cli_help="Drop strikes with call+put OI below N.",
    rule="a whole number of contracts >= 0", hint="Use 0 to keep every strike.")

STRIKES = Arg(
    "strikes", Literal["key", "window", "all"],
    "Which strikes to list: key (default) the strikes of largest |net| exposure plus those "
    "nearest spot, about 20; window every strike within ±window_pct% of spot; all every strike.",
    default="key", constraints={"examples": ["key", "window", "all"]},
    presentation=True, mcp_only=True,
    rule="one of key, window, all", hint="Example: 'all' to list every strike.")

def percent_arg(name: str, description: str, *, default: float, maximum: float,
                examples: list[float], hint: str, **more: Any) -> Arg:
    """A float argument in percent, above 0 and at most `maximum`: the bound and the
    sentence quoting it come from the one number."""
    return Arg(name, float, description, default=default,
               constraints={"gt": 0, "le": maximum, "examples": examples},
               rule=f"a percent above 0 and at most {maximum:g}", hint=hint, **more)


STRIKE_WINDOW = percent_arg(
    "window_pct",
    f"With strikes='window', list strikes within ±window_pct percent of spot (default "
    f"{DEFAULT_STRIKE_WINDOW_PCT:g}).",
    default=DEFAULT_STRIKE_WINDOW_PCT, maximum=MAX_STRIKE_WINDOW_PCT, examples=[5, 20],
    cli_flag="--window", cli_type=float, cli_default=DEFAULT_CLI_WINDOW_PCT, presentation=True,
    cli_help="Table shows strikes within this % of spot (0 = all). JSON is never windowed.",
    hint="Example: 20 for strikes within ±20% of spot.")

CHART_WINDOW = percent_arg(
    "window_pct", "Draw strikes within ±window_pct percent of spot.",
    default=DEFAULT_CHART_WINDOW_PCT, maximum=MAX_CHART_WINDOW_PCT, examples=[10],
    cli_flag="--window", cli_help="Strikes within this % of spot.", hint="Example: 10.")

OI_OVERLAY = Arg(
    "oi_overlay", bool, "Also draw call + put open interest per strike on a right-hand axis.",
    default=False, cli_flag="--oi", cli_help="Overlay open interest per strike.",
    rule="true or false", hint="Example: true.")

SYMBOLS = Arg(
    "symbols",
    list[Annotated[str, Field(min_length=1, max_length=MAX_SYMBOL_LENGTH)]],
    f"Watchlist as a JSON list of 1 to {MAX_SCAN_SYMBOLS} tickers, e.g. ['SPY', 'QQQ', 'IWM'] "
    f"(up to {MAX_LOCAL_SCAN_SYMBOLS} with source file or demo, which read local data).",
    constraints={"min_length": 1, "max_length": MAX_LOCAL_SCAN_SYMBOLS,
                 "examples": [["SPY", "QQQ", "IWM"]]},
    cli_type=list[str], cli_help="Symbols, e.g. SPY QQQ IWM TSLA.",
    rule=f"a list of 1 to {MAX_SCAN_SYMBOLS} tickers ({MAX_LOCAL_SCAN_SYMBOLS} with source file "
         "or demo)",
    hint="Example: ['SPY', 'QQQ', 'IWM']; split a longer watchlist into several scans.")

BASKET_SYMBOLS = Arg(
    "symbols",
    list[Annotated[str, Field(min_length=1, max_length=MAX_SYMBOL_LENGTH)]],
    f"The basket as a JSON list of 1 to {MAX_BASKET_SYMBOLS} tickers, e.g. ['SPY', 'QQQ', 'IWM'].",
    constraints={"min_length": 1, "max_length": MAX_BASKET_SYMBOLS,
                 "examples": [["SPY", "QQQ", "IWM"]]},
    cli_type=list[str], cli_help="Symbols, e.g. SPY QQQ IWM.",
    rule=f"a list of 1 to {MAX_BASKET_SYMBOLS} tickers",
    hint="Example: ['SPY', 'QQQ', 'IWM'].")


def _comma_list(value: Any) -> Any:
    """'0.5,0.3,0.2' (a CLI option or one query value) -> ['0.5', '0.3', '0.2']."""
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


WEIGHTS = Arg(
    "weights",
    Annotated[Annotated[list[Annotated[float, Field(ge=0, allow_inf_nan=False)]],
                        Field(min_length=1, max_length=MAX_BASKET_SYMBOLS)] | None,
              BeforeValidator(_comma_list)],
    "Notional weights, one per symbol in the same order, e.g. [0.5, 0.3, 0.2]; scaled to sum "
    "1. Leave out for equal weights.",
    default=None, constraints={"examples": [[0.5, 0.3, 0.2]]},
    cli_flag="--weights", cli_type=str | None,
    cli_help="Weights, comma-separated, one per symbol (default: equal).",
    rule="a list of numbers >= 0, one per symbol", hint="Example: [0.5, 0.3, 0.2].")

NEAR_WALL = percent_arg(
    "near_wall_pct", "Flag spot as near a wall when within this percent of it.",
    default=DEFAULT_NEAR_WALL_PCT, maximum=MAX_NEAR_WALL_PCT, examples=[1.0],
    cli_flag="--near-wall", cli_help="Near-wall threshold, % of spot.", hint="Example: 1.0.")

RANGE_PCT = percent_arg(
    "range_pct", f"Re-price across spot ± this percent ({DEFAULT_PROFILE_POINTS} points).",
    default=DEFAULT_PROFILE_RANGE_PCT, maximum=MAX_PROFILE_RANGE_PCT, examples=[5, 10],
    cli_flag="--range", cli_help="Spot range, ± percent.", hint="Example: 5.")

MOVES = Arg(
    "moves", list[Annotated[float, Field(ge=-20, le=20)]] | None,
    "Spot moves in percent to hedge for, e.g. [-2, -1, 1, 2]. Leave out for "
    "-3, -2, -1, -0.5, 0.5, 1, 2, 3.",
    default=None, constraints={"min_length": 1, "max_length": 20, "examples": [[-2, -1, 1, 2]]},
    cli_flag="--move", cli_type=list[float] | None,
    cli_help="A spot move in percent; repeat for several (default -3 -2 -1 -0.5 0.5 1 2 3).",
    rule="a list of 1 to 20 moves, each between -20 and 20 percent",
    hint="Example: [-2, -1, 1, 2].")

IV_SHIFTS = Arg(
    "iv_shifts", list[Annotated[float, Field(ge=-20, le=20)]] | None,
    "Extra IV shifts in vol points to try besides -2, -1, +1, +2, e.g. [-5, 5].",
    default=None, constraints={"max_length": 10, "examples": [[-5, 5]]},
    cli_flag="--iv-shift", cli_type=list[float] | None,
    cli_help="An extra IV shift in vol points; repeat for several (always -2 -1 1 2).",
    rule="a list of up to 10 shifts, each between -20 and 20 vol points",
    hint="Example: [-5, 5].")

EXPORT_FORMAT = Arg(
    "format", Literal["pine", "thinkscript", "csv"],
    "pine (a TradingView Pine v6 indicator), thinkscript (a thinkorswim study) or csv.",
    default="pine", constraints={"examples": ["pine", "thinkscript", "csv"]},
    cli_flag="--format", cli_type=str, cli_help="pine, thinkscript or csv.",
    rule="one of pine, thinkscript, csv", hint="Example: 'pine' for TradingView.")

MAX_AS_OF_LENGTH = 40
MAX_HISTORY_DAYS = 365
DEFAULT_HISTORY_DAYS = 5

AS_OF = Arg(
    "as_of", str | None,
    "Answer as of a past time: ISO-8601 (no offset = New York) or a date (= the end of that "
    "New York day). file and demo use their snapshot then; cboe answers only levels and regime, "
    "from stored records. Leave out for the latest.",
    default=None, constraints={"max_length": MAX_AS_OF_LENGTH, "examples": ["2026-11-24"]},
    cli_flag="--as-of", cli_help="Answer as of this time (ISO-8601, or YYYY-MM-DD = end of that day).",
    rule="an ISO-8601 time or a date YYYY-MM-DD",
    hint="Example: '2026-11-24' or '2026-11-24T16:00:00-05:00'; leave it out for the latest.")

DAYS = Arg(
    "days", int,
    f"Days of history before the window end (as_of, else the newest record), 1 to "
    f"{MAX_HISTORY_DAYS}; default {DEFAULT_HISTORY_DAYS}.",
    default=DEFAULT_HISTORY_DAYS, constraints={"ge": 1, "le": MAX_HISTORY_DAYS, "examples": [5, 30]},
    cli_flag="--days", cli_help="Days before the window end.",
    rule=f"a whole number of days from 1 to {MAX_HISTORY_DAYS}", hint="Example: 5.")

SINCE = Arg(
    "since", str | None,
    "Window start instead of days: ISO-8601 time or a date ('2026-11-17' = the start of that "
    "New York day).",
    default=None, constraints={"max_length": MAX_AS_OF_LENGTH, "examples": ["2026-11-17"]},
    cli_flag="--since", cli_help="Window start (ISO-8601, or YYYY-MM-DD = start of that day).",
    rule="an ISO-8601 time or a date YYYY-MM-DD", hint="Example: '2026-11-17'.")

INTERVAL = Arg(
    "interval", Literal["auto", "1m", "5m", "15m", "30m", "1h", "1d"],
    "Spacing of the points (the last record of each interval; 1d = each session's close). "
    "auto picks the finest giving at most 120 points.",
    default="auto", constraints={"examples": ["auto", "1h", "1d"]},
    cli_flag="--interval", cli_type=str, cli_help="auto, 1m, 5m, 15m, 30m, 1h or 1d.",
    rule="one of auto, 1m, 5m, 15m, 30m, 1h, 1d", hint="Example: '1d' for session closes.")

#: The arguments of a question about one symbol's chain (one expiration, or all of them).
ONE_SYMBOL = (SYMBOL, EXPIRATION, SOURCE, AS_OF)
#: ... when the answer is about every expiration at once.
ALL_EXPIRIES = (SYMBOL, SOURCE, AS_OF)
#: ... and of a per-strike question, which can be filtered.
PER_STRIKE = (SYMBOL, EXPIRATION, MIN_OI, SOURCE, AS_OF, STRIKES, STRIKE_WINDOW)
#: ... and of a question about a symbol's stored or replayed levels over time.
HISTORY_WINDOW = (SYMBOL, DAYS, SINCE, SOURCE, AS_OF)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, str) and len(value) > 36:
        return repr(value[:33] + "...")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def argument_error(tool: str, args: tuple[Arg, ...], error: dict[str, Any]) -> str:
    """One actionable sentence for the first pydantic error of a tool's arguments.

    Names the argument, what a valid value is and an example, e.g. "min_oi must be a whole
    number of contracts >= 0, got -5. Use 0 to keep every strike."
    """
    by_name = {a.name: a for a in args}
    loc = [str(part) for part in error.get("loc", ())]
    name = loc[0] if loc else "arguments"
    arg = by_name.get(name)
    if error.get("type") == "extra_forbidden" or arg is None:
        return (f"{tool} has no argument {name!r}. It takes: "
                f"{', '.join(a.name for a in args)}.")
    where = name + "".join(f"[{part}]" for part in loc[1:])
    if error.get("type") == "missing":
        return f"{where} is required: {arg.rule}. {arg.hint}".rstrip()
    if len(loc) > 1 and name == "symbols":  # one ticker of the list
        return (f"{where} must be a ticker of 1 to {MAX_SYMBOL_LENGTH} characters, got "
                f"{_shown(error.get('input'))}. {SYMBOL.hint}")
    return f"{where} must be {arg.rule}, got {_shown(error.get('input'))}. {arg.hint}".rstrip()


def argument_checker(tool: str, args: tuple[Arg, ...],
                     **context: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function validating raw arguments against `args` (unknown names refused), returning
    every argument with defaults filled in.

    Raises (from the returned function):
        InputError: one sentence from `argument_error`.
    """
    context.setdefault("default_source", "the configured one")
    model = create_model(
        f"{tool}_arguments", __config__=ConfigDict(extra="forbid"),
        **{a.name: (a.annotation(**context), ... if a.required else a.default) for a in args})

    def check(arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            valid = model.model_validate(arguments)
        except ValidationError as exc:
            raise InputError(argument_error(tool, args, exc.errors()[0])) from None
        return {a.name: getattr(valid, a.name) for a in args}

    return check
