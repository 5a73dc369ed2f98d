"""schemathesis against /openapi.json, in-process (ASGI).

No request makes a server error, every answer matches the schema, and the schema states what
the API enforces: a request the schema calls valid is accepted — it may only be answered 404
(the incident or draft does not exist) or 409 (the state does not allow it), never another
4xx.

Bounded: a fixed number of examples per operation and generation mode, no example database.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from commsbot.http.app import create_app
from tests.http.conftest import Stack
from tests.statuspage import scenario

EXAMPLES = 20
#: What a schema-valid request may be answered besides success: unknown or conflicting state.
STATE_REFUSALS = {404, 409}


@schemathesis.check
def schema_valid_requests_are_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """A positive (schema-valid) request is not refused for its shape or content."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if 400 <= status < 500 and status not in STATE_REFUSALS:
        raise AssertionError(
            f"{case.operation.label} refused a schema-valid request with {status}: "
            f"{response.text[:500]}\nbody: {case.body!r}"
        )
    return None


CHECKS: list[Any] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    schema_valid_requests_are_accepted,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_never_make_a_server_error(stack: Stack, mode: GenerationMode) -> None:
    scenario.build(stack.deps, stack.clock)  # real incidents and drafts to hit
    stack.ctx.pages.refresh()
    app = create_app(context=stack.ctx)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 12
    tried = 0
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=mode)

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            # admin reaches every route (the subscribers' too); it acts as the approver does.
            case.call_and_validate(headers=stack.auth("admin"), checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            # No input to negate (/healthz takes none): nothing to try in this mode.
            assert mode is GenerationMode.NEGATIVE
            continue
        tried += 1
    assert tried >= 10
