"""Backend API v1 as an OpenAPI 3.1 document, built from the same models the code uses.

`python -m apm_api.openapi > api/openapi.yaml` writes the committed contract; a test
fails when the models and the committed file disagree, so the document cannot go stale.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from apm_api import models as m

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
    m.EnrolmentCreate,
    m.EnrolmentToken,
    m.Enrol,
    m.Enrolled,
    m.Fleet,
    m.Figures,
]

# The same rule as apm_server.app.IDEMPOTENCY_KEY (the server imports it from here): 8 to 200 visible ASCII characters.
IDEMPOTENCY_KEY_PATTERN = "^[!-~]{8,200}$"

ERRORS = {
    "400": "Malformed request (bad_request): e.g. Idempotency-Key missing, Content-Length not a number",
    "401": "Missing or wrong bearer token (unauthorized), wrong NIK/PIN (wrong_pin), expired session (session_expired), or a submit with neither a session nor an applicant (session_expired)",
    "403": "Service not enabled for this kiosk (service_unavailable), or an enrolment token unknown, used or expired (forbidden)",
    "404": "Unknown card (unknown_card) or unknown request (not_found)",
    "409": "Idempotency key reused with another body (idempotency_conflict) or wrong state (invalid_state)",
    "413": "Body larger than 64 KiB (bad_request)",
    "422": "Body does not match the schema (bad_request), form fields invalid (invalid_form, with field_errors), an offline submission's applicant not found (unknown_card, unknown_resident), or a session and an applicant together (bad_request)",
    "423": "Too many wrong PINs (locked, with retry_after_s and a Retry-After header)",
    "429": "Too many wrong PINs across NIKs at this kiosk or overall (too_many_attempts, with retry_after_s and a Retry-After header); cards still work",
    "500": "Server error (internal)",
}

ERROR_HEADERS = {
    "401": {"WWW-Authenticate": {"$ref": "#/components/headers/WWWAuthenticate"}},
    "423": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
    "429": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(
    schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if headers:
        answer["headers"] = headers
    answer["content"] = {"application/json": {"schema": schema}}
    return answer


def header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


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
    if body is not None:
        errors = (*errors, "400", "413", "422")
    for code in sorted({*errors, "401", "500"}):
        op["responses"][code] = json_body(ref("ApiError"), ERRORS[code], ERROR_HEADERS.get(code))
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if headers:
        op["parameters"] = [{"$ref": f"#/components/parameters/{h}"} for h in headers]
    if admin:
        op["security"] = [{"adminToken": []}]
    return op


def without_token(op: dict[str, Any]) -> dict[str, Any]:
    """An operation that takes no bearer token (so cannot answer 401)."""
    op["responses"].pop("401", None)
    return {**op, "security": []}


def request_id_param() -> dict[str, Any]:
    return {"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}


def build() -> dict[str, Any]:
    _, defs = models_json_schema(
        [(s, "serialization") for s in SCHEMAS], ref_template="#/components/schemas/{model}"
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "APM Kiosk backend API",
            "version": "1.0.0",
            "description": DESCRIPTION,
        },
        "servers": [{"url": m.API_PREFIX}],
        "security": [{"kioskToken": []}],
        "paths": {**kiosk_paths(), **back_office_paths(), **public_paths()},
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
                    "description": "Back-office token (reference server only)",
                },
            },
            "parameters": parameters(),
            "headers": headers(),
        },
    }


DESCRIPTION = (
    "What an APM kiosk needs from a village's letter system. Every error answer is an "
    "ApiError JSON body (also 405 for a known path with another method, 411 for a chunked "
    "body). Requests made with the same Idempotency-Key are carried out once. Generated from "
    "apm_api/models.py by `python -m apm_api.openapi`; do not edit by hand."
)


def kiosk_paths() -> dict[str, Any]:
    replayed = {"Idempotent-Replayed": header_ref("IdempotentReplayed")}
    return {
        "/kiosk/config": {
            "get": operation(
                "This kiosk's configuration", {"200": json_body(ref("KioskConfig"), "OK")}
            )
        },
        "/catalogue": {
            "get": operation(
                "The service catalogue with each service's form fields",
                {
                    "200": json_body(
                        ref("Catalogue"),
                        "OK (the ETag is the quoted catalogue version)",
                        {"ETag": header_ref("ETag")},
                    ),
                    "304": {
                        "description": "Not modified: If-None-Match names the current version",
                        "headers": {"ETag": header_ref("ETag")},
                    },
                },
                headers=("IfNoneMatch",),
            )
        },
        "/identify": {
            "post": operation(
                "Identify a resident by card UID or NIK + PIN; opens a 15-minute session",
                {"200": json_body(ref("Session"), "Identified")},
                errors=("404", "423", "429"),
                body=identify_body(),
            )
        },
        "/requests": {
            "get": operation(
                "The session's resident's requests that are not final, newest first",
                {"200": json_body(ref("RequestList"), "OK")},
                headers=("SessionToken",),
            ),
            "post": operation(
                "Submit a letter request (exactly once per Idempotency-Key)",
                {
                    "201": json_body(ref("LetterRequest"), "Created"),
                    "200": json_body(
                        ref("LetterRequest"),
                        "Replay of an earlier submission with the same key and body: the "
                        "same request, in its current state",
                        replayed,
                    ),
                },
                errors=("403", "409"),
                body=ref("SubmitRequest"),
                headers=("SubmitSessionToken", "IdempotencyKey"),
            ),
        },
        "/requests/{request_id}": {
            "parameters": [request_id_param()],
            "get": operation(
                "A request's status (lifecycle: under_review, awaiting_signature, ready, "
                "collected; or rejected, cancelled)",
                {"200": json_body(ref("LetterRequest"), "OK")},
                errors=("404",),
            ),
        },
        "/requests/{request_id}/document": {
            "parameters": [request_id_param()],
            "get": operation(
                "Download the signed PDF (409 invalid_state before signing)",
                {"200": pdf_answer()},
                errors=("404", "409"),
            ),
        },
        "/requests/{request_id}/printed": {
            "parameters": [request_id_param()],
            "post": operation(
                "Mark the letter printed (collected); idempotent",
                {"200": json_body(ref("LetterRequest"), "Collected", replayed)},
                errors=("404", "409"),
                body=ref("MarkPrinted"),
                headers=("IdempotencyKey",),
            ),
        },
        "/ratings": {
            "post": operation(
                "One-tap satisfaction rating (SKM scale 1-4)",
                {"204": {"description": "Stored"}},
                body=ref("Rating"),
            )
        },
        "/heartbeat": {
            "post": operation(
                "Kiosk heartbeat with device states; the last one per kiosk is kept",
                {"200": json_body(ref("HeartbeatAck"), "OK")},
                body=ref("Heartbeat"),
            )
        },
    }


def back_office_paths() -> dict[str, Any]:
    reason = {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}},
    }
    return {
        "/admin/requests/{request_id}/sign": {
            "parameters": [request_id_param()],
            "post": operation(
                "Back office: make and sign the letter; the request becomes ready "
                "(reference server only)",
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
                errors=("404", "409"),
                body=reason,
                admin=True,
            ),
        },
        "/enrol": {
            "post": without_token(
                operation(
                    "A new kiosk trades its one-time enrolment token for its own device token "
                    "(no bearer token: the enrolment token is the proof)",
                    {"201": json_body(ref("Enrolled"), "Enrolled")},
                    errors=("403",),
                    body=ref("Enrol"),
                )
            ),
        },
        "/admin/fleet": {
            "get": operation(
                "District staff: every kiosk's latest heartbeat, late ones flagged (an HTML page "
                "when the Accept header asks for text/html; HTTP Basic with the admin token as "
                "the password also works, for a browser)",
                {
                    "200": {
                        "description": "The fleet",
                        "content": {
                            "application/json": {"schema": ref("Fleet")},
                            "text/html": {"schema": {"type": "string"}},
                        },
                    }
                },
                admin=True,
            ),
        },
        "/admin/figures": {
            "get": {
                **operation(
                    "District staff: per kiosk and for the village over a period, services "
                    "delivered, median hours to signature and to print, availability (heartbeat "
                    "coverage) and satisfaction (SNI ISO 37122); JSON, or CSV with format=csv",
                    {
                        "200": {
                            "description": "The figures",
                            "content": {
                                "application/json": {"schema": ref("Figures")},
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        }
                    },
                    errors=("400",),
                    admin=True,
                ),
                "parameters": [
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "description": text,
                        "schema": schema,
                    }
                    for name, text, schema in (
                        (
                            "from",
                            "First day, YYYY-MM-DD (default: the 1st of this month)",
                            {"type": "string", "format": "date"},
                        ),
                        (
                            "to",
                            "Last day, included (default: today)",
                            {"type": "string", "format": "date"},
                        ),
                        ("format", "csv for a spreadsheet", {"type": "string", "enum": ["csv"]}),
                    )
                ],
            },
        },
        "/admin/enrolments": {
            "post": operation(
                "Back office: a one-time enrolment token for a kiosk about to be set up",
                {"201": json_body(ref("EnrolmentToken"), "Created")},
                body=ref("EnrolmentCreate"),
                admin=True,
            ),
        },
        "/admin/kiosks/{kiosk_id}/revoke": {
            "parameters": [
                {"name": "kiosk_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "post": operation(
                "Back office: the kiosk's device token stops working (a stolen or retired kiosk)",
                {"204": {"description": "Revoked"}},
                errors=("404",),
                admin=True,
            ),
        },
        "/admin/out-of-service": {
            "put": operation(
                "Back office: close the village's kiosks for a while; they show the reason "
                "on the attract screen and take nobody (reference server only)",
                {"200": json_body(ref("Text"), "Closed")},
                body={
                    "type": "object",
                    "required": ["reason"],
                    "properties": {"reason": ref("Text")},
                },
                admin=True,
            ),
            "delete": operation(
                "Back office: open the kiosks again (reference server only)",
                {"204": {"description": "Open"}},
                admin=True,
            ),
        },
    }


def public_paths() -> dict[str, Any]:
    """Outside /api/v1 and without a token: the letter's QR code and a liveness probe."""
    root = [{"url": "/"}]
    html = {"text/html": {"schema": {"type": "string"}}}
    return {
        "/verify/{request_id}": {
            "servers": root,
            "get": {
                "summary": "Verification page opened by the QR code on the letter (HTML, Indonesian)",
                "security": [],
                "parameters": [
                    request_id_param(),
                    {
                        "name": "code",
                        "in": "query",
                        "required": True,
                        "description": "The request's tracking code (ddmmyy-NNN)",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Letter number, date, subject, applicant (masked NIK), "
                        "signer, document SHA-256 and status",
                        "content": html,
                    },
                    "404": {"description": "No letter with this id and code", "content": html},
                },
            },
        },
        "/healthz": {
            "servers": root,
            "get": {
                "summary": "Liveness probe",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The server runs",
                        "content": {"text/plain": {"schema": {"const": "ok"}}},
                    }
                },
            },
        },
    }


def identify_body() -> dict[str, Any]:
    return {
        "oneOf": [ref("IdentifyByCard"), ref("IdentifyByNikPin")],
        "discriminator": {
            "propertyName": "method",
            "mapping": {
                "card": "#/components/schemas/IdentifyByCard",
                "nik_pin": "#/components/schemas/IdentifyByNikPin",
            },
        },
    }


def pdf_answer() -> dict[str, Any]:
    return {
        "description": "The signed letter, byte for byte (PAdES signature embedded)",
        "headers": {
            "X-Document-SHA256": {
                "schema": {"type": "string", "pattern": m.SHA256_PATTERN},
                "description": "Lower-case hex SHA-256 of the body",
            },
            "Content-Length": {"schema": {"type": "integer", "minimum": 1}},
        },
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }


def parameters() -> dict[str, Any]:
    def header(
        name: str, description: str, required: bool, schema: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "name": name,
            "in": "header",
            "required": required,
            "schema": schema,
            "description": description,
        }

    text = {"type": "string"}
    return {
        "SessionToken": header(
            "X-Session-Token", "The resident's session from /identify", True, text
        ),
        "SubmitSessionToken": header(
            "X-Session-Token",
            "The resident's session from /identify; absent for a request taken offline, "
            "where `applicant` in the body names the resident instead (never both)",
            False,
            text,
        ),
        "IdempotencyKey": header(
            "Idempotency-Key",
            "Unique per intended action (a UUID); a retry of the same action reuses it",
            True,
            {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
        ),
        "IfNoneMatch": header(
            "If-None-Match", "The catalogue version the kiosk has, quoted", False, text
        ),
    }


def headers() -> dict[str, Any]:
    return {
        "ETag": {"description": "The catalogue version, quoted", "schema": {"type": "string"}},
        "IdempotentReplayed": {
            "description": "Present (true) when the answer replays an earlier one",
            "schema": {"type": "string", "const": "true"},
        },
        "RetryAfter": {
            "description": "Seconds until the NIK may be tried again",
            "schema": {"type": "integer", "minimum": 1},
        },
        "WWWAuthenticate": {"description": "Bearer", "schema": {"type": "string"}},
    }


def render() -> str:
    return yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
