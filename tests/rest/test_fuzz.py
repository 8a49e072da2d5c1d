"""A property-based API fuzzer (schemathesis) against the live REST app on 127.0.0.1.

It reads /openapi.json, generates requests for every operation (valid and invalid
parameters), and checks each answer: no 5xx, a status the document declares, a content
type it declares, and a body that fits the declared schema. The demo market answers, so
the run needs no network; example counts are kept small to stay within seconds.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.rest.conftest import demo_service, running

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES_PER_OPERATION = 30


def test_no_server_error_and_every_answer_fits_the_document():
    with running(demo_service()) as url:
        schema = schemathesis.openapi.from_url(url + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def fuzz(case):
                case.call_and_validate(checks=CHECKS)

            fuzz()
