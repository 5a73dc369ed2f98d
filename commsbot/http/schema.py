"""``/openapi.json``: FastAPI's schema, made to state exactly what the API accepts.

- no 422 answers (a malformed request gets 400 here); every operation with a body may answer
  413 (too large) and 415 (not JSON);
- a map keyed by component names says what a name may be with ``propertyNames`` (pydantic
  writes a key pattern as ``patternProperties``, which leaves other keys unconstrained);
- with a configured component catalogue, those names (and a maintenance's list of them) are the
  catalogue's, listed as an enum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from commsbot.http import errors

_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def build_schema(app: FastAPI, *, components: Sequence[str] = ()) -> dict[str, Any]:
    """The OpenAPI document of ``app``.

    Args:
        components: the configured component names (empty: components are made on first use).
    """
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    body_refusals = errors.responses(413, 415)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
            if "requestBody" in operation:  # BodyLimit and the JSON check answer before a route
                for status, described in body_refusals.items():
                    operation["responses"].setdefault(
                        str(status),
                        {"description": described["description"], "content": _ERROR_REF},
                    )
    models = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        models.pop(name, None)
    for model in models.values():
        _name_keys(model, components)
    listed = models.get("ScheduleRequest", {}).get("properties", {}).get("components")
    if components and listed is not None:
        # A list of component names (a maintenance's): the catalogue's, as for the maps.
        listed["items"] = {"enum": list(components)}
    return schema


def _name_keys(node: Any, components: Sequence[str]) -> None:
    """Turn ``patternProperties`` of one pattern into ``propertyNames`` (recursively)."""
    if isinstance(node, list):
        for item in node:
            _name_keys(item, components)
        return
    if not isinstance(node, dict):
        return
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1:
        ((pattern, values),) = patterns.items()
        del node["patternProperties"]
        names = dict(node.get("propertyNames") or {})
        names["pattern"] = pattern
        if components:
            names = {"enum": list(components)}
        node["propertyNames"] = names
        node["additionalProperties"] = values
    for value in node.values():
        _name_keys(value, components)
