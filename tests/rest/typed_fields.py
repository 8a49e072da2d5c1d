"""Check a JSON answer against one of the SDK's TypedDicts (`flashalpha/types.py`), field by field.

`check(answer, TypedDictClass)` walks the declared fields with `typing.get_type_hints`,
`get_origin` and `get_args`: every declared field must be present, with a value of the
declared type (None only where the annotation allows it; an int where a float is declared,
as JSON writes 5000.0 as 5000 in some encoders; never a bool for a number). Lists are
checked item by item. The result names each field path seen and each mismatch, so a caller
can require that every declared path was seen over several answers (an empty list or a null
parent hides the fields below it).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin, get_type_hints


def is_typed_dict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__annotations__") \
        and hasattr(tp, "__total__")


@dataclass
class Report:
    """Paths seen (`a.b[].c`) and mismatches (path: why)."""

    seen: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


def declared_paths(td: type, prefix: str = "") -> set[str]:
    """Every field path a TypedDict declares, nested ones included (`strikes[].call_oi`)."""
    paths: set[str] = set()
    for name, tp in get_type_hints(td).items():
        path = f"{prefix}{name}"
        paths.add(path)
        for sub, suffix in _nested(tp):
            paths |= declared_paths(sub, f"{path}{suffix}.")
    return paths


def _nested(tp: Any, suffix: str = "") -> list[tuple[type, str]]:
    if is_typed_dict(tp):
        return [(tp, suffix)]
    origin = get_origin(tp)
    if origin is list:
        return _nested(get_args(tp)[0], suffix + "[]")
    if origin in (typing.Union, types.UnionType):
        return [n for a in get_args(tp) for n in _nested(a, suffix)]
    return []


def check(value: Any, td: type, report: Report | None = None, prefix: str = "", *,
          partial: bool = False) -> Report:
    """Check `value` (a JSON object) against TypedDict `td`; returns the report. With
    `partial`, top-level fields may be absent (the ones present are still checked)."""
    report = report if report is not None else Report()
    if not isinstance(value, dict):
        report.errors.append(f"{prefix or '<answer>'}: expected an object, got {type(value).__name__}")
        return report
    for name, tp in get_type_hints(td).items():
        path = f"{prefix}{name}"
        if name not in value:
            if not partial:
                report.errors.append(f"{path}: missing")
            continue
        report.seen.add(path)
        _check_value(value[name], tp, report, path)
    return report


def _check_value(value: Any, tp: Any, report: Report, path: str) -> None:
    why = _mismatch(value, tp, report, path)
    if why:
        report.errors.append(f"{path}: {why}")


def _mismatch(value: Any, tp: Any, report: Report, path: str) -> str | None:
    if tp is Any:
        return None
    if tp is type(None):
        return None if value is None else f"expected null, got {value!r:.40}"
    if is_typed_dict(tp):
        check(value, tp, report, f"{path}.")
        return None
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if value is None:
            return None if type(None) in options else "null where the type allows none"
        failures = []
        for option in options:
            if option is type(None):
                continue
            trial = Report()
            why = _mismatch(value, option, trial, path)
            if why is None and not trial.errors:
                report.seen |= trial.seen
                return None
            failures.append(why or "; ".join(trial.errors[:3]))
        return " | ".join(failures)
    if origin is Literal:
        return None if value in get_args(tp) else f"{value!r} not one of {get_args(tp)}"
    if origin is list:
        if not isinstance(value, list):
            return f"expected a list, got {type(value).__name__}"
        (item,) = get_args(tp)
        for element in value:
            _check_value(element, item, report, f"{path}[]")
        return None
    if origin is dict:
        return None if isinstance(value, dict) else f"expected an object, got {type(value).__name__}"
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else f"expected a number, got {value!r:.40}"
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"expected an integer, got {value!r:.40}"
    if tp in (str, bool):
        return None if isinstance(value, tp) else f"expected {tp.__name__}, got {value!r:.40}"
    return None if isinstance(value, tp) else f"expected {tp}, got {type(value).__name__}"
