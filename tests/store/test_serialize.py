"""Codecs: chains and models survive bytes unchanged; garbage is refused."""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gex_mcp.engine.chain import OptionChain
from gex_mcp.models import DataQuality
from gex_mcp.store.serialize import CHAIN_CODEC, decode_chain, encode_chain, json_codec, model_codec

ZONES = [UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"),
         timezone(timedelta(hours=5, minutes=30))]
FLOAT_COLUMNS = ("settle_time", "strike", "iv", "open_interest", "volume", "bid", "ask",
                 "prev_open_interest", "multiplier")


@st.composite
def chains(draw: st.DrawFn) -> OptionChain:
    """Small chains with NaN, infinities and odd strings anywhere a column allows them."""
    n = draw(st.integers(0, 12))
    floats = arrays(np.float64, n, elements=st.floats(allow_nan=True, allow_infinity=True))
    roots = draw(st.lists(st.text(string.ascii_uppercase, min_size=1, max_size=6),
                          min_size=n, max_size=n))
    days = draw(arrays(np.int64, n, elements=st.integers(-20_000, 60_000)))
    return OptionChain(
        symbol=draw(st.text(max_size=8)),
        spot=draw(st.floats()),
        as_of=draw(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2199, 1, 1),
                                timezones=st.sampled_from(ZONES), allow_imaginary=False)),
        root=np.asarray(roots, dtype=str),
        expiry=days.astype("datetime64[D]"),
        is_call=draw(arrays(np.bool_, n)),
        source=draw(st.text(max_size=12)),
        notes=tuple(draw(st.lists(st.text(max_size=20), max_size=3))),
        **{name: draw(floats) for name in FLOAT_COLUMNS},
    )


@given(chain=chains())
def test_any_chain_round_trips_exactly(
        chain: OptionChain, assert_same_chain: Callable[[OptionChain, OptionChain], None]) -> None:
    """decode(encode(chain)) equals chain in every column, NaN positions and dtypes included."""
    assert_same_chain(decode_chain(encode_chain(chain)), chain)


def test_as_of_keeps_its_zone_and_offset(make_chain: Callable[..., OptionChain]) -> None:
    """A New York as_of comes back in New York time, not only as a fixed offset."""
    new_york = ZoneInfo("America/New_York")
    chain = make_chain()
    chain = OptionChain(**{**vars(chain), "as_of": datetime(2026, 3, 9, 10, 30, tzinfo=new_york)})
    as_of = decode_chain(encode_chain(chain)).as_of
    assert as_of.tzinfo is new_york
    assert as_of.isoformat() == "2026-03-09T10:30:00-04:00"


@pytest.mark.parametrize("payload", [b"", b"not a zip", encode_chain.__doc__.encode()])
def test_garbage_is_a_value_error(payload: bytes) -> None:
    """Bytes that are not an encoded chain raise ValueError, never something stranger."""
    with pytest.raises(ValueError, match=r"^not an encoded option chain"):
        decode_chain(payload)


def test_truncated_chain_is_a_value_error(make_chain: Callable[..., OptionChain]) -> None:
    """A payload cut short (a torn write) is refused."""
    payload = encode_chain(make_chain())
    with pytest.raises(ValueError, match=r"^not an encoded option chain"):
        decode_chain(payload[: len(payload) // 2])


def test_chain_codec_is_named_for_its_format() -> None:
    """The codec's name is what the cache stores next to each payload."""
    assert CHAIN_CODEC.name == "option_chain/1"


def test_pydantic_model_round_trips_through_model_codec() -> None:
    """model_codec stores a response model as JSON and validates it back."""
    codec = model_codec(DataQuality)
    quality = DataQuality(contracts_total=10, contracts_used=7, notes=["repaired a date"])
    assert codec.decode(codec.encode(quality)) == quality
    assert codec.name == "pydantic:gex_mcp.models.base.DataQuality"


def test_json_codec_refuses_nan() -> None:
    """Plain JSON values round-trip; NaN is refused rather than written as non-JSON."""
    codec = json_codec()
    assert codec.decode(codec.encode({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
    with pytest.raises(ValueError):
        codec.encode({"a": float("nan")})
