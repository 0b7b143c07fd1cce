"""API v1 as an OpenAPI 3.1 document, generated from the routes of `apm_server.app`.

`python -m apm_server.openapi > api/openapi.yaml` writes the committed contract; a test
fails when the routes and the committed file disagree, so the document cannot go stale.
The routes declare their bodies and answers with the shared models of `apm_api.models`.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from apm_api.models import API_PREFIX

DESCRIPTION = (
    "What an APM kiosk needs from a village's letter system, and what a district's staff "
    "need from the service. Every error answer is an ApiError JSON body (also 400 for a "
    "request HTTP itself refuses, 405 for a known path with another method, 411 for a "
    "chunked body, 413 for a body over 64 KiB). Requests made with the same "
    "Idempotency-Key are carried out once. Generated from the routes of apm_server/app.py "
    "by `python -m apm_server.openapi`; do not edit by hand."
)
FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")


def build() -> dict[str, Any]:
    from apm_server.app import create_app

    document = create_app().openapi()
    document["info"]["description"] = DESCRIPTION
    document["servers"] = [{"url": API_PREFIX}]
    document["paths"] = {
        path.removeprefix(API_PREFIX): {
            method: _without_framework_errors(operation) for method, operation in item.items()
        }
        for path, item in document["paths"].items()
    }
    for name in FRAMEWORK_SCHEMAS:
        document["components"]["schemas"].pop(name, None)
    return document


def _without_framework_errors(operation: dict[str, Any]) -> dict[str, Any]:
    """FastAPI adds a 422 in its own error shape to routes with parameters; ours list the
    refusals they really give, each an ApiError."""
    responses = operation["responses"]
    for status, answer in list(responses.items()):
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("$ref", "").endswith("/HTTPValidationError"):
            del responses[status]
    return operation


def render() -> str:
    return yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
