"""gzip, ETag and Cache-Control on the page and the JSON answers, over a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

import httpx

from tests.rest.conftest import demo_service, running


class Raw:
    """A GET's status, headers and body as sent (no automatic decompression)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        with httpx.Client(timeout=30) as client, client.stream("GET", url, headers=headers) as response:
            self.status_code, self.headers = response.status_code, response.headers
            self.content = b"".join(response.iter_raw())


def raw_get(url: str, **headers: str) -> Raw:
    return Raw(url, headers)


def test_page_and_answers_are_gzipped_with_an_etag_and_revalidate_to_304():
    with running(demo_service()) as url:
        for path in ("/", "/v1/exposure/gex/SPY", "/v1/exposure/summary/SPY"):
            plain = raw_get(url + path, **{"Accept-Encoding": "identity"})
            zipped = raw_get(url + path, **{"Accept-Encoding": "gzip"})
            assert plain.status_code == zipped.status_code == 200
            assert zipped.headers["content-encoding"] == "gzip"
            body = gzip.decompress(zipped.content)
            assert re.sub(rb'"age_seconds":[0-9.]+', b"", body) == re.sub(rb'"age_seconds":[0-9.]+', b"", plain.content)
            assert len(zipped.content) < len(plain.content) / 2, path  # JSON and HTML compress well
            # the validator: the weak hash of the identity body without its moving age_seconds
            ageless = re.sub(rb'"age_seconds":[0-9.]+', b"", plain.content)
            assert (ageless == plain.content) == (path == "/")
            expected = 'W/"' + hashlib.sha256(ageless).hexdigest()[:32] + '"'
            assert plain.headers["etag"] == zipped.headers["etag"] == expected
            again = raw_get(url + path, **{"If-None-Match": expected, "Accept-Encoding": "gzip"})
            assert again.status_code == 304 and again.content == b""
            other = raw_get(url + path, **{"If-None-Match": 'W/"nope", "also-not"', "Accept-Encoding": "identity"})
            assert other.status_code == 200 and other.headers["etag"] == expected


def test_answers_carry_the_cache_lifetime_and_errors_no_validator():
    service = demo_service()
    with running(service) as url:
        ok = raw_get(url + "/v1/exposure/levels/SPY")
        assert ok.headers["cache-control"] == f"private, max-age={int(service.refresh_seconds())}"
        assert "cache-control" not in raw_get(url + "/").headers  # the page is not /v1
        missing = raw_get(url + "/v1/exposure/levels/ZZZZ")
        assert missing.status_code == 404 and "etag" not in missing.headers
        assert json.loads(missing.content)["error"]
