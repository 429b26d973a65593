"""OpenAPI description of POST /api/v1/leads (a plain Django view, so drf-spectacular
cannot see it) and of the error replies of every operation: added to the generated
schema by postprocessing hooks (SPEC §6; leads/tests/test_api_schema_fuzz.py holds the
API to it)."""

from __future__ import annotations

from leads.choices import InquiryType, Source
from leads.intake import TEXT_LIMITS


def _string(name: str, **extra) -> dict:
    return {"type": "string", "maxLength": TEXT_LIMITS[name], **extra}


LEAD_FIELDS = {
    "email": _string("email", format="email"),
    "phone": _string("phone", description="Any format; E.164 (+country code) or with `country`."),
    **{name: _string(name) for name in ("first_name", "last_name", "company", "job_title", "website", "region")},
    "name": _string("name"),
    "city": _string("city"),
    "postal_code": _string("postal_code"),
    "country": _string("country", description="ISO 3166-1 alpha-2", pattern="^[A-Za-z]{2}$"),
    "timezone": _string("timezone", description="IANA Area/Location time zone, e.g. Europe/Paris, or UTC"),
    "inquiry_type": {"type": "string", "enum": InquiryType.values, "default": "general"},
    "source": {"type": "string", "enum": Source.values, "description": "Default: the intake key's source."},
    "product_interest": _string("product_interest"),
    "message": _string("message"),
    "submitted_at": {
        "type": "string",
        "format": "date-time",
        "description": "ISO 8601 with offset; default now; at most 30 days ago.",
    },
    "external_id": _string("external_id", description="Idempotency key per lead source."),
    "consent_email": {"type": "boolean"},
    "consent_sms": {"type": "boolean"},
    "consent_whatsapp": {"type": "boolean", "description": "Extension: agreed to WhatsApp messages."},
    "utm_source": _string("utm_source"),
    "utm_medium": _string("utm_medium"),
    "utm_campaign": _string("utm_campaign"),
    "extra": {"type": "object", "additionalProperties": True, "description": "Finite numbers only (no NaN)."},
    "language": _string(
        "language",
        pattern="^([Ee][Nn]|[Mm][Ss]|[Ii][Dd]|[Ii][Nn])([-_][A-Za-z0-9]{1,8})*$",
        description="Optional: the lead's language, en, ms or id (ms-MY and the like accepted); default: from "
        "`country` (MY ms, ID id, else en).",
    ),
}
ERRORS = {
    "type": "object",
    "properties": {
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
    },
    "required": ["errors"],
}
# DRF's own errors (authentication, permission, not found, unreadable body) keep its
# `{"detail": "..."}` shape; validation errors are `{"errors": {field: [messages]}}`.
DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
ERRORS_OR_DETAIL = {"anyOf": [ERRORS, DETAIL]}
ACCEPTED = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": ["accepted", "duplicate", "junk"]},
        "temperature": {"type": "string", "enum": ["hot", "warm", "cold"]},
        "duplicate_of": {"type": "integer", "nullable": True},
        "sla": {
            "type": "object",
            "properties": {
                "assign_by": {"type": "string", "format": "date-time", "nullable": True},
                "first_contact_by": {"type": "string", "format": "date-time", "nullable": True},
                "after_hours": {"type": "boolean"},
            },
        },
    },
    "required": ["id", "status", "temperature", "duplicate_of", "sla"],
}


def _reply(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


INTAKE_OPERATION = {
    "operationId": "leads_intake",
    "summary": "Submit a lead",
    "description": "Stores the lead before replying, then acknowledges and routes it. Send `email` or `phone`.",
    "tags": ["intake"],
    "security": [{"intakeKey": []}],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "properties": LEAD_FIELDS}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": LEAD_FIELDS}},
        },
    },
    "responses": {
        "201": _reply("Stored (a new lead, a repeat inquiry on a recent lead, or junk kept for audit)", ACCEPTED),
        "200": _reply("This external_id was already stored: the same body again", ACCEPTED),
        "400": _reply("Invalid fields, with messages per field", ERRORS),
        "401": _reply("Missing, unknown or revoked intake key", ERRORS),
        "413": _reply("Body over 64 KiB", ERRORS),
        "415": _reply("Not JSON or form-encoded", ERRORS),
        "429": _reply("Rate limit of the key or the client address reached; see Retry-After", ERRORS),
        "503": _reply("The lead store is unavailable; retry after Retry-After", ERRORS),
    },
}


def add_intake_operation(result, generator, request, public):
    result.setdefault("paths", {})["/api/v1/leads"] = {"post": INTAKE_OPERATION}
    schemes = result.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["intakeKey"] = {"type": "http", "scheme": "bearer", "description": "An intake key of a lead source."}
    schemes["twilioSignature"] = {
        "type": "apiKey", "in": "header", "name": "X-Twilio-Signature",
        "description": "Twilio's request signature, keyed with the connection's auth token.",
    }  # fmt: skip
    schemes["webhookSignature"] = {
        "type": "apiKey", "in": "header", "name": "webhook-signature",
        "description": "Standard Webhooks HMAC-SHA256 with webhook-id and webhook-timestamp, the connection's secret.",
    }  # fmt: skip
    return result


def _token_operation(operation: dict) -> bool:
    return any("tokenAuth" in scheme for scheme in operation.get("security") or [])


def add_error_responses(result, generator, request, public):
    """Document the errors every DRF operation can answer with: 400 for a body or query,
    401/403 without a user or the right role, 404 for a lead the caller may not see. The
    inbound webhook authenticates with its connection's provider signature."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if operation.get("operationId") == "leads_intake":
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", [])):
                responses.setdefault("400", _reply("Invalid fields, with messages per field", ERRORS_OR_DETAIL))
            if _token_operation(operation):
                responses.setdefault("401", _reply("No valid user token or session", DETAIL))
                responses.setdefault("403", _reply("The caller's role may not do this", ERRORS_OR_DETAIL))
            if "{id}" in path:
                responses.setdefault("404", _reply("No such lead, or not one the caller may see", DETAIL))
            if "requestBody" in operation:
                responses.setdefault("415", _reply("Unsupported media type", DETAIL))
            if path.startswith("/api/v1/inbound"):
                _inbound_responses(path, operation, responses)
    return result


def _inbound_responses(path: str, operation: dict, responses: dict) -> None:
    if path == "/api/v1/inbound":  # retired: says where to post instead
        operation["security"] = []
        responses["401"] = _reply("Use /api/v1/inbound/{slug}, signed by the connection's provider", ERRORS)
        return
    operation["security"] = [{"twilioSignature": []}, {"webhookSignature": []}]
    responses.setdefault("401", _reply("Unknown connection, or a missing, wrong or stale signature", ERRORS))
    responses.setdefault("404", _reply("Not a webhook address", DETAIL))
    responses.setdefault("429", _reply("Rate limit of the connection or the sender reached; see Retry-After", ERRORS))
