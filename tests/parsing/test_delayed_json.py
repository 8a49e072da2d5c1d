"""The CBOE delayed-quotes JSON entry point that the HTTP source calls."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest

from gex_mcp.parsing import parse_cboe_delayed_json, parse_chain_bytes
from tests.engine import reference
from tests.parsing.provenance import CHAINS

AAPL = CHAINS / "cboe_delayed_AAPL_2025-09-05.json"


def payload(**data_overrides) -> dict:
    """A two-option SPX payload built from the first two real AAPL options."""
    real = json.loads(AAPL.read_bytes())
    options = real["data"]["options"][:2]
    options[0] = {**options[0], "option": "SPXW250912C06500000", "iv": 0.0}
    options[1] = {**options[1], "option": "SPX250919P06500000", "bid": None}
    data = {**real["data"], "options": options, "symbol": "_SPX", "current_price": 6481.5,
            "close": 6481.5, **data_overrides}
    return {"timestamp": "2025-09-07 00:32:02", "data": data, "symbol": "_SPX"}


def encode(value: dict) -> bytes:
    return json.dumps(value).encode()


def test_the_given_name_becomes_the_source_label() -> None:
    """The HTTP source passes name='cboe:AAPL'; the chain's source is that name."""
    chain = parse_cboe_delayed_json(AAPL.read_bytes(), name="cboe:AAPL")
    assert chain.source == "cboe:AAPL"
    assert chain.symbol == "AAPL"
    assert len(chain) == 2336


def test_the_same_bytes_from_a_file_are_labelled_as_a_file() -> None:
    """Through parse_chain_bytes the source is file:NAME; the columns are identical."""
    from_file = parse_chain_bytes(AAPL.read_bytes(), name="AAPL.json")
    from_http = parse_cboe_delayed_json(AAPL.read_bytes(), name="cboe:AAPL")
    assert from_file.source == "file:AAPL.json"
    assert (from_file.strike == from_http.strike).all()


def test_an_index_symbol_loses_its_underscore_and_keeps_both_roots() -> None:
    """'_SPX' is SPX; SPXW and SPX options settle at 16:00 and 09:30."""
    chain = parse_cboe_delayed_json(encode(payload()), name="cboe:SPX")
    assert chain.symbol == "SPX"
    assert chain.spot == 6481.5
    assert chain.root.tolist() == ["SPXW", "SPX"]
    assert chain.is_call.tolist() == [True, False]


def test_zero_iv_and_null_bid_become_nan() -> None:
    """IV 0 means 'not computed'; a null bid is unknown, not zero."""
    chain = parse_cboe_delayed_json(encode(payload()), name="t")
    assert np.isnan(chain.iv[0]) and chain.iv[1] > 0
    assert np.isnan(chain.bid[1]) and chain.bid[0] > 0


def test_last_trade_time_is_the_snapshot_time_in_new_york() -> None:
    """data.last_trade_time wins over the later file timestamp."""
    chain = parse_cboe_delayed_json(encode(payload()), name="t")
    assert chain.as_of.replace(tzinfo=None) == datetime(2025, 9, 5, 16, 0)
    assert chain.as_of.utcoffset() == timedelta(hours=-4)
    assert chain.notes == ()


def test_without_last_trade_time_the_file_timestamp_is_used_and_noted() -> None:
    """The top-level timestamp is the fallback, also read as New York time; taken on a Sunday,
    it shows Friday's close, so that is as_of and the timestamp is retrieved_at."""
    chain = parse_cboe_delayed_json(encode(payload(last_trade_time=None)), name="t")
    assert chain.as_of.replace(tzinfo=None) == datetime(2025, 9, 5, 16, 15)  # SPX options: 16:15
    assert chain.retrieved_at.replace(tzinfo=None) == datetime(2025, 9, 7, 0, 32, 2)
    assert chain.notes == ("as_of is the file timestamp (no data.last_trade_time)",)


def test_without_a_close_the_current_price_is_the_spot_and_noted() -> None:
    """A file produced after the close whose data.close is null falls back to
    data.current_price, with a note."""
    chain = parse_cboe_delayed_json(encode(payload(close=None)), name="t")
    assert chain.spot == 6481.5
    assert chain.notes == ("data.close missing or not positive; spot is data.current_price",)


def test_during_the_session_the_spot_is_the_current_price() -> None:
    """A file produced at 11:00 on a trading day holds live quotes: spot is current_price,
    not the previous close."""
    value = payload(current_price=6500.25, close=6481.5, last_trade_time="2025-09-05T11:00:00")
    value["timestamp"] = "2025-09-05 11:00:05"
    chain = parse_cboe_delayed_json(encode(value), name="t")
    assert chain.spot == 6500.25 and chain.notes == ()


def test_adjusted_roots_in_json_are_dropped_with_a_note() -> None:
    """An AAPL1 option is left out, as in the tables."""
    value = payload()
    value["data"]["options"][1]["option"] = "AAPL1250919P00065000"
    chain = parse_cboe_delayed_json(encode(value), name="t")
    assert chain.root.tolist() == ["SPXW"]
    assert chain.notes == ("dropped 1 contracts of adjusted roots AAPL1 "
                           "(non-standard deliverables)",)


@pytest.mark.parametrize("symbol", ["AAPL", "GOOGL", "META"])
def test_an_after_hours_file_takes_the_close_the_quotes_were_made_at(symbol: str) -> None:
    """Saved on a weekend, current_price is the after-hours price while the option quotes are
    at Friday's close: the spot is data.close, and the spot the quotes' own parity forwards
    imply (fitted in the test) is nearer the close than the after-hours price."""
    raw = (CHAINS / f"cboe_delayed_{symbol}_2025-09-05.json").read_bytes()
    data = json.loads(raw)["data"]
    chain = parse_cboe_delayed_json(raw, name=symbol)
    assert chain.spot == data["close"] != data["current_price"]
    implied = reference.parity_spot(chain, 0.04)
    assert abs(implied - data["close"]) < abs(implied - data["current_price"])
