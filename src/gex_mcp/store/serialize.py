"""Codecs: how the SQLite cache turns values into bytes and back.

A `Codec` is a name plus an `encode`/`decode` pair. The name is stored next to each
payload; a row written by another codec (or another version of one) is treated as absent,
never decoded by the wrong function.

`CHAIN_CODEC` stores an `OptionChain` as an uncompressed `.npz` archive: one `.npy` entry
per column (roots as a fixed-width unicode array, expiries as datetime64[D]) and a JSON
entry for the scalars. `as_of` keeps its UTC offset, and its IANA zone when it has one.
Loading never unpickles (`allow_pickle=False`), so a tampered cache file cannot run code.

`model_codec(Model)` stores a pydantic model as its JSON.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from pydantic import BaseModel

from gex_mcp.engine.chain import OptionChain

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

CHAIN_FORMAT = "option_chain/1"
_META = "__meta__"
_COLUMNS = ("root", "expiry", "settle_time", "strike", "is_call", "iv", "open_interest",
            "volume", "bid", "ask", "prev_open_interest", "multiplier")


@dataclass(frozen=True)
class Codec(Generic[T]):
    """Turns values of one type into bytes and back; `name` identifies the format."""

    name: str
    encode: Callable[[T], bytes]
    decode: Callable[[bytes], T]


def encode_chain(chain: OptionChain) -> bytes:
    """An `OptionChain` as bytes (an uncompressed npz archive)."""
    tz = chain.as_of.tzinfo
    meta = {
        "format": CHAIN_FORMAT,
        "symbol": chain.symbol,
        "spot": chain.spot,
        "as_of": chain.as_of.isoformat(),
        "tz": tz.key if isinstance(tz, ZoneInfo) else None,
        "source": chain.source,
        "notes": list(chain.notes),
        "retrieved_at": chain.retrieved_at.isoformat() if chain.retrieved_at else None,
    }
    arrays: dict[str, Any] = {name: np.asarray(getattr(chain, name)) for name in _COLUMNS}
    # An object array would need pickle to store; roots are plain strings anyway.
    arrays["root"] = np.asarray(chain.root, dtype=str)
    arrays[_META] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def decode_chain(payload: bytes) -> OptionChain:
    """The `OptionChain` that `encode_chain` turned into `payload`.

    Raises:
        ValueError: the payload is not a chain in this format (truncated, other version).
    """
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            meta = json.loads(archive[_META].tobytes())
            columns = {name: archive[name] for name in _COLUMNS}
        if meta.get("format") != CHAIN_FORMAT:
            raise ValueError(f"unknown format {meta.get('format')!r}")
        as_of = datetime.fromisoformat(meta["as_of"])
        symbol, spot, source, notes = meta["symbol"], meta["spot"], meta["source"], meta["notes"]
    except Exception as exc:  # BadZipFile, KeyError, JSONDecodeError, EOFError, ...
        raise ValueError(f"not an encoded option chain: {exc}") from exc
    if meta.get("tz"):
        # An unknown zone keeps the fixed offset: same instant, same wall time.
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            as_of = as_of.astimezone(ZoneInfo(meta["tz"]))
    retrieved = meta.get("retrieved_at")  # absent in rows cached before it existed
    return OptionChain(symbol=symbol, spot=float(spot), as_of=as_of, source=source,
                       notes=tuple(notes), **columns,
                       retrieved_at=datetime.fromisoformat(retrieved) if retrieved else None)


CHAIN_CODEC: Codec[OptionChain] = Codec(CHAIN_FORMAT, encode_chain, decode_chain)


def model_codec(model: type[M]) -> Codec[M]:
    """A codec storing instances of the pydantic `model` as JSON."""

    def decode(payload: bytes) -> M:
        return model.model_validate_json(payload)

    def encode(value: M) -> bytes:
        return value.model_dump_json().encode()

    return Codec(f"pydantic:{model.__module__}.{model.__qualname__}", encode, decode)


def json_codec(name: str = "json") -> Codec[Any]:
    """A codec for plain JSON values (dicts, lists, str, numbers); NaN is refused."""
    return Codec(name, lambda value: json.dumps(value, allow_nan=False).encode(), json.loads)
