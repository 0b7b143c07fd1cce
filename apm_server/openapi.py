"""Backend API v1 as an OpenAPI 3.1 document, built from the same models the code uses.

`python -m apm_server.openapi > api/openapi.yaml` writes the committed contract; a test
fails when the models and the committed file disagree, so the document cannot go stale.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from kiosk.backend import models as m

SCHEMAS: list[type[BaseModel]] = [
    m.ApiError,
    m.KioskConfig,
    m.Catalogue,
    m.IdentifyByCard,
    m.IdentifyByNikPin,
    m.Session,
    m.RequestList,
    m.SubmitRequest,
    m.LetterRequest,
    m.MarkPrinted,
    m.Rating,
    m.Heartbeat,
    m.HeartbeatAck,
]

ERRORS = {
    "400": "Malformed request (bad_request)",
    "401": "Missing or wrong bearer token (unauthorized), wrong NIK/PIN (wrong_pin) or expired session (session_expired)",
    "403": "Service not enabled for this kiosk (service_unavailable)",
    "404": "Unknown card (unknown_card) or unknown request (not_found)",
    "409": "Idempotency key reused with another body (idempotency_conflict) or wrong state (invalid_state)",
    "422": "Body does not match the schema (bad_request) or form fields invalid (invalid_form, with field_errors)",
    "423": "Too many wrong PINs (locked, with retry_after_s)",
    "500": "Server error (internal)",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def operation(
    summary: str,
    ok: dict[str, Any],
    *,
    errors: tuple[str, ...] = (),
    body: Any = None,
    headers: tuple[str, ...] = (),
    admin: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": dict(ok)}
    for code in (*errors, "401", "500"):
        op["responses"][code] = json_body(ref("ApiError"), ERRORS[code])
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if headers:
        op["parameters"] = [{"$ref": f"#/components/parameters/{h}"} for h in headers]
    if admin:
        op["security"] = [{"adminToken": []}]
    return op


def request_id_param() -> dict[str, Any]:
    return {"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}


def build() -> dict[str, Any]:
    _, defs = models_json_schema(
        [(s, "serialization") for s in SCHEMAS], ref_template="#/components/schemas/{model}"
    )
    identify = {
        "oneOf": [ref("IdentifyByCard"), ref("IdentifyByNikPin")],
        "discriminator": {
            "propertyName": "method",
            "mapping": {
                "card": "#/components/schemas/IdentifyByCard",
                "nik_pin": "#/components/schemas/IdentifyByNikPin",
            },
        },
    }
    pdf = {
        "description": "The signed letter, byte for byte",
        "headers": {
            "X-Document-SHA256": {
                "schema": {"type": "string"},
                "description": "hex SHA-256 of the body",
            }
        },
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
    paths = {
        "/kiosk/config": {
            "get": operation(
                "This kiosk's configuration", {"200": json_body(ref("KioskConfig"), "OK")}
            )
        },
        "/catalogue": {
            "get": operation(
                "The service catalogue with each service's form fields",
                {
                    "200": json_body(ref("Catalogue"), "OK (ETag is the catalogue version)"),
                    "304": {"description": "Not modified (If-None-Match matched)"},
                },
                headers=("IfNoneMatch",),
            )
        },
        "/identify": {
            "post": operation(
                "Identify a resident by card UID or NIK + PIN; opens a short session",
                {"200": json_body(ref("Session"), "Identified")},
                errors=("404", "422", "423"),
                body=identify,
            )
        },
        "/requests": {
            "get": operation(
                "The session's resident's open requests",
                {"200": json_body(ref("RequestList"), "OK")},
                headers=("SessionToken",),
            ),
            "post": operation(
                "Submit a letter request (exactly once per Idempotency-Key)",
                {
                    "201": json_body(ref("LetterRequest"), "Created"),
                    "200": json_body(
                        ref("LetterRequest"),
                        "Replay of an earlier submission with the same key (Idempotent-Replayed: true)",
                    ),
                },
                errors=("400", "403", "409", "422"),
                body=ref("SubmitRequest"),
                headers=("SessionToken", "IdempotencyKey"),
            ),
        },
        "/requests/{request_id}": {
            "parameters": [request_id_param()],
            "get": operation(
                "A request's status (lifecycle: under_review, awaiting_signature, ready, collected, rejected, cancelled)",
                {"200": json_body(ref("LetterRequest"), "OK")},
                errors=("404",),
            ),
        },
        "/requests/{request_id}/document": {
            "parameters": [request_id_param()],
            "get": operation("Download the signed PDF", {"200": pdf}, errors=("404", "409")),
        },
        "/requests/{request_id}/printed": {
            "parameters": [request_id_param()],
            "post": operation(
                "Mark the letter printed (collected); idempotent",
                {"200": json_body(ref("LetterRequest"), "OK")},
                errors=("404", "409", "422"),
                body=ref("MarkPrinted"),
                headers=("IdempotencyKey",),
            ),
        },
        "/ratings": {
            "post": operation(
                "One-tap satisfaction rating (SKM scale 1-4)",
                {"204": {"description": "Stored"}},
                errors=("422",),
                body=ref("Rating"),
            )
        },
        "/heartbeat": {
            "post": operation(
                "Kiosk heartbeat with device states",
                {"200": json_body(ref("HeartbeatAck"), "OK")},
                errors=("422",),
                body=ref("Heartbeat"),
            )
        },
        "/admin/requests/{request_id}/sign": {
            "parameters": [request_id_param()],
            "post": operation(
                "Back office: sign the request (reference server only)",
                {"200": json_body(ref("LetterRequest"), "Signed")},
                errors=("404", "409"),
                admin=True,
            ),
        },
        "/admin/requests/{request_id}/reject": {
            "parameters": [request_id_param()],
            "post": operation(
                "Back office: reject the request with a reason (reference server only)",
                {"200": json_body(ref("LetterRequest"), "Rejected")},
                errors=("404", "409", "422"),
                body={
                    "type": "object",
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string", "minLength": 1}},
                },
                admin=True,
            ),
        },
    }
    header = lambda name, description, required: {  # noqa: E731
        "name": name,
        "in": "header",
        "required": required,
        "schema": {"type": "string"},
        "description": description,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "APM Kiosk backend API",
            "version": "1.0.0",
            "description": "What an APM kiosk needs from a village's letter system. Generated from "
            "kiosk/backend/models.py by `python -m apm_server.openapi`; do not edit by hand.",
        },
        "servers": [{"url": m.API_PREFIX}],
        "security": [{"kioskToken": []}],
        "paths": paths,
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {
                "kioskToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The kiosk's device token",
                },
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Back-office token",
                },
            },
            "parameters": {
                "SessionToken": header(
                    "X-Session-Token", "The resident's session from /identify", True
                ),
                "IdempotencyKey": header(
                    "Idempotency-Key", "Unique per intended action; a retry reuses it", True
                ),
                "IfNoneMatch": header(
                    "If-None-Match", "The catalogue version the kiosk has, quoted", False
                ),
            },
        },
    }


def render() -> str:
    return yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
