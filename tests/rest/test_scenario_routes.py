"""Issue 23's rows over REST on 127.0.0.1: the complex route (a service-level kind), the
level export's format parameter, flip_sensitivity's iv_shifts, and their clear errors."""

from __future__ import annotations

import anyio
import httpx
import pytest

from tests.rest.conftest import KEYS, demo_service

ONE = {"X-Api-Key": KEYS[0]}


def get(url: str, path: str, **params) -> httpx.Response:
    return httpx.get(url + path, params=params, headers=ONE, timeout=30)


def test_complex_route_answers_the_services_book(keyed_url):
    body = get(keyed_url, "/v1/exposure/complex/QQQ").json()
    own = anyio.run(lambda: demo_service().call("complex", symbol="NDX")).model_dump(mode="json")
    assert body["symbol"] == "NDX" and [m["symbol"] for m in body["members"]] == ["NDX", "QQQ"]
    assert body["gamma_flip"] == own["gamma_flip"] and body["net_gex"] == pytest.approx(own["net_gex"])
    bad = get(keyed_url, "/v1/exposure/complex/AAPL")
    assert bad.status_code == 400 and "not in an index complex" in bad.json()["message"]


def test_level_export_format_and_iv_shifts_are_query_parameters(keyed_url):
    pine = get(keyed_url, "/v1/exposure/level-export/SPY", format="thinkscript").json()
    assert pine["format"] == "thinkscript" and pine["content"].startswith("# gex-mcp levels for SPY")
    bad = get(keyed_url, "/v1/exposure/level-export/SPY", format="xls")
    assert bad.status_code == 400 and "format must be one of pine, thinkscript, csv" in bad.json()["message"]
    shifted = get(keyed_url, "/v1/exposure/flip-sensitivity/SPY", iv_shifts="-5,5").json()
    shifts = [s["iv_shift_points"] for s in shifted["scenarios"] if s["kind"] == "iv_shift"]
    assert shifts == [-5, -2, -1, 1, 2, 5]
