"""LinkedIn Lead Gen Forms (Lead Sync).

- GET ?challengeCode=...: the validation handshake, at registration and every 2 hours.
  Answered at once, as JSON {challengeCode, challengeResponse: hex HMAC-SHA256(client
  secret, challengeCode)}; the connection remembers when (Connection.validated_at).
- POST: a lead notification ({type: LEAD_ACTION, leadAction: CREATED, leadGenFormResponse:
  urn, leadGenForm: urn, notificationId, ...}), signed in X-LI-Signature (signatures.py
  reads it both documented ways). It carries ids only: each form response is stored
  (RemoteFetch; a notificationId or response seen before is a replay) and fetched by a job
  from LINKEDIN_API_URL with the connection's OAuth access token: the response, then its
  form, whose questions say which answer is the email, the phone, the name..."""

from __future__ import annotations

import re
import urllib.parse
from datetime import UTC, datetime

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone

from integrations.providers.base import (
    Adapter,
    FetchError,
    Incoming,
    PayloadError,
    as_dict,
    as_list,
    get_json,
    header,
    text,
)
from integrations.signatures import check_linkedin, linkedin_challenge_response

CONTEXT_KEYS = ("notificationId", "leadType", "occurredAt", "leadGenForm")
FORM_ID = re.compile(r"urn:li:leadGenForm:(\d+)")


def urn_id(urn: str) -> str:
    """The last part of a URN: urn:li:leadGenFormResponse:ab-12 -> ab-12."""
    return urn.rsplit(":", 1)[-1].strip() if isinstance(urn, str) else ""


def form_id_of(value: str) -> str:
    """urn:li:leadGenForm:123 or urn:li:versionedLeadGenForm:(urn:li:leadGenForm:123,4) -> 123."""
    found = FORM_ID.search(value) if isinstance(value, str) else None
    return found.group(1) if found else ""


class LinkedInAdapter(Adapter):
    provider = "linkedin"
    fetches = True
    handshakes = True

    def handshake(self, request, connection):
        code = request.GET.get("challengeCode", "")
        if not code or len(code) > 200:
            return None
        answer = {"challengeCode": code, "challengeResponse": linkedin_challenge_response(
            connection.secret("signing_secret"), code)}  # fmt: skip
        type(connection).objects.filter(pk=connection.pk).update(validated_at=timezone.now())
        return JsonResponse(answer)

    def handshake_refused(self):
        return (
            400,
            {"challengeCode": ["Expected ?challengeCode=<LinkedIn's challenge>."]},
            "handshake: no challengeCode",
        )

    def verify(self, request, body, connection):
        reason, reading = check_linkedin(connection.secret("signing_secret"), body, header(request, "X-LI-Signature"))
        request.signature_reading = f"X-LI-Signature matched the {reading}" if reading else ""
        return reason

    def announced(self, payload):
        events = payload if isinstance(payload, list) else [payload]
        found = []
        for event in events:
            if not isinstance(event, dict):
                raise PayloadError("Expected a LinkedIn lead notification: {type: LEAD_ACTION, leadGenFormResponse}.")
            if event.get("type", "LEAD_ACTION") != "LEAD_ACTION" or event.get("leadAction", "CREATED") != "CREATED":
                continue  # a deleted lead, or another notification: nothing to fetch
            response_id = text(urn_id(event.get("leadGenFormResponse")))
            if not response_id:
                raise PayloadError("A LEAD_ACTION notification without a leadGenFormResponse.")
            context = {key: text(event.get(key)) for key in CONTEXT_KEYS if text(event.get(key))}
            found.append((response_id, context))
        return found

    def fetch(self, connection, provider_id, context):
        token = connection.secret("access_token")
        if not token:
            raise FetchError("no OAuth access token (r_marketing_leadgen_automation) on the connection")
        headers = {"Authorization": f"Bearer {token}", "LinkedIn-Version": settings.LINKEDIN_API_VERSION,
                   "X-Restli-Protocol-Version": "2.0.0"}  # fmt: skip
        base = settings.LINKEDIN_API_URL.rstrip("/")
        response = get_json(f"{base}/rest/leadFormResponses/{urllib.parse.quote(provider_id, safe='')}", headers)
        if not isinstance(as_dict(response.get("formResponse")).get("answers"), list):
            raise FetchError("the leadFormResponses reply has no formResponse.answers")
        form_id = form_id_of(response.get("versionedLeadGenFormUrn", "")) or form_id_of(context.get("leadGenForm", ""))
        if not form_id:
            raise FetchError("the lead names no form, so its answers cannot be read")
        form = get_json(f"{base}/rest/leadForms/{form_id}", headers)
        return lead_from_response(provider_id, response, form, context)

    def sample(self, payload, request):
        """A pasted sample: {"response": <leadFormResponses reply>, "form": <leadForms reply>}."""
        if not isinstance(payload, dict) or not isinstance(payload.get("response"), dict):
            raise PayloadError('Paste {"response": <a leadFormResponses reply>, "form": <its leadForms reply>}.')
        form = as_dict(payload.get("form"))
        return lead_from_response(text(payload["response"].get("id")) or "sample", payload["response"], form, {})


def _localized(value) -> str:
    """LinkedIn's {"localized": {"en_US": "..."}} (or a plain string)."""
    if isinstance(value, str):
        return value
    localized = as_dict(as_dict(value).get("localized"))
    return next((item for item in localized.values() if isinstance(item, str)), "")


def _questions(form: dict) -> dict[str, dict]:
    """questionId -> {key, options}: the key is the predefined field (EMAIL, FIRST_NAME...)
    or else the question's name; options map a choice's id to its text."""
    found = {}
    for question in as_list(as_dict(as_dict(form).get("content")).get("questions")):
        if not isinstance(question, dict) or text(question.get("questionId")) == "":
            continue
        details = as_dict(as_dict(question.get("questionDetails")).get("multipleChoiceQuestionDetails"))
        options = {text(option.get("id")): _localized(option.get("text")) for option in as_list(details.get("options"))
                   if isinstance(option, dict)}  # fmt: skip
        key = text(question.get("predefinedField")) or text(question.get("name")) or text(question.get("questionId"))
        found[text(question.get("questionId"))] = {"key": key, "options": options}
    return found


def _answer(details, options: dict) -> str:
    if not isinstance(details, dict):
        return ""
    if isinstance(details.get("textQuestionAnswer"), dict):
        value = details["textQuestionAnswer"].get("answer")
        return value if isinstance(value, str) else ""
    choice = details.get("multipleChoiceAnswer")
    if isinstance(choice, dict):
        return ", ".join(options.get(text(option), text(option)) for option in as_list(choice.get("options")))
    return ""


def lead_from_response(provider_id: str, response: dict, form: dict, context: dict) -> Incoming:
    """The document: each answer under its predefined field or question name, plus the
    submission time and the campaign."""
    questions = _questions(form)
    document, answers = {}, {}
    for item in as_list(as_dict(response.get("formResponse")).get("answers")):
        if not isinstance(item, dict):
            continue
        question = questions.get(text(item.get("questionId")), {"key": text(item.get("questionId")), "options": {}})
        value = _answer(item.get("answerDetails"), question["options"])
        if question["key"] and value:
            document.setdefault(question["key"], value)
            answers[question["key"][:100]] = value
    submitted = response.get("submittedAt")
    if isinstance(submitted, int) and not isinstance(submitted, bool) and 0 < submitted < 1e14:
        document["submitted_at"] = datetime.fromtimestamp(submitted / 1000, UTC).isoformat()
    metadata = as_dict(as_dict(response.get("leadMetadata")).get("sponsoredLeadMetadata"))
    campaign = text(urn_id(metadata.get("campaign")))
    if campaign:
        document["campaign"] = campaign
    ids = {"form_id": form_id_of(response.get("versionedLeadGenFormUrn", "")), "campaign": campaign,
           "lead_type": text(response.get("leadType"))}  # fmt: skip
    extra = {"linkedin": {**context, **{key: value for key, value in ids.items() if value}, "response_id": provider_id}}
    extra["answers"] = answers
    return Incoming(provider_id=provider_id, document=document, extra=extra, test_lead=response.get("testLead") is True)
