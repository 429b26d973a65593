"""Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>` with the
webhook's secret; the response itself is in the body (`form_response`).

The document holds each answer under its field's `ref` (type-aware: an email, a phone
number, text, a choice's label, several choices joined, a boolean, a number, a date, a
URL), the first answer of each type under "type:<type>" (so an email question is found
even when its ref was never set), the hidden fields under "hidden" (UTM) and the
submission time."""

from __future__ import annotations

from integrations.providers.base import Adapter, Incoming, PayloadError, header, text
from integrations.signatures import check_typeform

VALUE_KEYS = {
    "email": "email", "phone_number": "phone_number", "text": "text", "url": "url", "number": "number",
    "boolean": "boolean", "date": "date", "file_url": "file_url",
}  # fmt: skip


def answer_value(answer: dict):
    kind = answer.get("type")
    if kind in VALUE_KEYS:
        return answer.get(VALUE_KEYS[kind])
    if kind == "choice" and isinstance(answer.get("choice"), dict):
        choice = answer["choice"]
        return choice.get("label") or choice.get("other")
    if kind == "choices" and isinstance(answer.get("choices"), dict):
        labels = answer["choices"].get("labels") or []
        other = answer["choices"].get("other")
        return [label for label in [*labels, other] if isinstance(label, str) and label]
    return None


class TypeformAdapter(Adapter):
    provider = "typeform"

    def verify(self, request, body, connection):
        return check_typeform(connection.secret("signing_secret"), body, header(request, "Typeform-Signature"))

    def lead(self, payload, request):
        if not isinstance(payload, dict):
            raise PayloadError("Expected a Typeform webhook: {event_id, event_type, form_response}.")
        if payload.get("event_type", "form_response") != "form_response":
            return None
        response = payload.get("form_response")
        if not isinstance(response, dict) or not isinstance(response.get("answers", []), list):
            raise PayloadError("form_response with a list of answers is missing.")
        token = text(response.get("token"))
        if not token:
            raise PayloadError("form_response.token (the response id) is missing.")
        document: dict = {}
        answers = {}
        for answer in response.get("answers") or []:
            if not isinstance(answer, dict):
                continue
            value = answer_value(answer)
            if value is None:
                continue
            field = answer.get("field") if isinstance(answer.get("field"), dict) else {}
            ref = text(field.get("ref")) or text(field.get("id"))
            if ref:
                document[ref] = value
                answers[ref] = value
            document.setdefault(f"type:{answer.get('type')}", value)
        hidden = response.get("hidden") if isinstance(response.get("hidden"), dict) else {}
        document["hidden"] = hidden
        if isinstance(response.get("submitted_at"), str):
            document["submitted_at"] = response["submitted_at"]
        extra = {"typeform": {"form_id": text(response.get("form_id")), "event_id": text(payload.get("event_id"))}}
        extra["answers"] = answers
        return Incoming(provider_id=token, document=document, extra=extra)
