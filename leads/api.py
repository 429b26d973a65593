"""HTTP API of the leads app (SPEC §6).

Intake (`POST /api/v1/leads`) is a plain Django view: it is the hot path (>= 600 leads/s
on 2 cores), so it skips DRF's request wrapping and does one key lookup, one duplicate
lookup and one transaction. Its OpenAPI description lives in leads/schema.py. The other
endpoints are DRF views with token or session auth."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from leadops.ratelimit import retry_after
from leads import policies
from leads.actions import IntakeResult, lead_intake
from leads.choices import AttemptChannel, AttemptOutcome, Stage
from leads.inbound import InboundMessage, receive
from leads.intake import clean_submission
from leads.lifecycle import LifecycleError, change_stage, log_attempt
from leads.permissions import lead_for_action, visible_leads
from leads.serializers import AttemptSerializer, LeadDetailSerializer

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
UNAVAILABLE = (OperationalError, InterfaceError)


def error_reply(status: int, errors: dict, **headers) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def intake_reply(result: IntakeResult) -> dict:
    lead = result.lead
    return {
        "id": lead.pk,
        "status": result.status,
        "temperature": lead.temperature,
        "duplicate_of": result.duplicate_of,
        "sla": {
            "assign_by": _iso(lead.assign_due_at),
            "first_contact_by": _iso(lead.first_contact_due_at),
            "after_hours": lead.after_hours,
        },
    }


def _bearer_key(request: HttpRequest) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _parse_body(request: HttpRequest) -> tuple[dict | None, JsonResponse | None]:
    media_type = request.content_type or ""
    try:
        if media_type == "application/json" or media_type.endswith("+json"):
            data = json.loads(request.body or b"null")
            if not isinstance(data, dict):
                return None, error_reply(400, {"non_field_errors": ["Send a JSON object of lead fields."]})
            return data, None
        if media_type in FORM_TYPES:
            form = request.POST if media_type == "multipart/form-data" else QueryDict(request.body, encoding="utf-8")
            return {name: form.get(name) for name in form}, None
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None, error_reply(400, {"non_field_errors": ["The body is not valid JSON."]})
    except (MultiPartParserError, TooManyFieldsSent) as error:
        return None, error_reply(400, {"non_field_errors": [f"The form body could not be read: {error}"]})
    return None, error_reply(415, {"non_field_errors": ["Send application/json or application/x-www-form-urlencoded."]})


@csrf_exempt
def intake(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = error_reply(405, {"non_field_errors": ["Use POST."]})
        response["Allow"] = "POST"
        return response
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return error_reply(413, {"non_field_errors": ["The body is larger than 64 KiB."]})
    raw_key = _bearer_key(request)
    try:
        key = policies.intake_key(raw_key) if raw_key else None
    except UNAVAILABLE:
        return error_reply(
            503, {"non_field_errors": ["The lead store is unavailable; retry shortly."]}, Retry_After="5"
        )
    if key is None:
        response = error_reply(401, {"non_field_errors": ["Send a valid intake key: Authorization: Bearer <key>."]})
        response["WWW-Authenticate"] = 'Bearer realm="leadops-intake"'
        return response
    wait = retry_after(f"intake-key:{key.pk}", key.requests_per_minute)
    if wait:
        return error_reply(429, {"non_field_errors": ["Too many requests for this key."]}, Retry_After=str(wait))
    try:
        if len(request.body) > MAX_BODY_BYTES:
            return error_reply(413, {"non_field_errors": ["The body is larger than 64 KiB."]})
    except RequestDataTooBig:
        return error_reply(413, {"non_field_errors": ["The body is larger than 64 KiB."]})
    data, problem = _parse_body(request)
    if problem:
        return problem
    source = key.lead_source
    submission, errors = clean_submission(data, default_source=source.default_source, allows_source=source.allows)
    if errors:
        return error_reply(400, errors)
    try:
        result = lead_intake(submission, source, actor_label=f"intake key {key.prefix}…")
    except UNAVAILABLE as error:
        log.error("intake could not store a lead: %s", error)
        return error_reply(503, {"non_field_errors": ["The lead could not be stored; retry shortly."]}, Retry_After="5")
    return JsonResponse(intake_reply(result), status=200 if result.replayed else 201)


@extend_schema(summary="A lead with its SLA, timeline, attempts, plan and routing trace")
class LeadDetail(RetrieveAPIView):
    serializer_class = LeadDetailSerializer

    def get_queryset(self):
        return visible_leads(self.request.user).select_related("owner", "sla_policy")

    def get_object(self):
        lead = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, lead)
        return lead

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


class AttemptRequestSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=AttemptChannel.choices)
    outcome = serializers.ChoiceField(choices=AttemptOutcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class StageRequestSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=[Stage.QUALIFIED, Stage.DISQUALIFIED, Stage.CONVERTED])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class StageReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    converted_at = serializers.DateTimeField(allow_null=True)


def _lifecycle_error(error: LifecycleError) -> Response:
    return Response({"errors": {error.field: [str(error)]}}, status=400)


class LogAttempt(APIView):
    @extend_schema(request=AttemptRequestSerializer, responses={201: AttemptSerializer}, summary="Log a touch")
    def post(self, request, pk: int):
        lead = lead_for_action(request, pk)
        incoming = AttemptRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            attempt = log_attempt(lead, by=request.user, **incoming.validated_data)
        except LifecycleError as error:
            return _lifecycle_error(error)
        return Response(AttemptSerializer(attempt).data, status=201)


class ChangeStage(APIView):
    @extend_schema(
        request=StageRequestSerializer, responses=StageReplySerializer, summary="Qualify, disqualify, convert"
    )
    def post(self, request, pk: int):
        lead = lead_for_action(request, pk)
        incoming = StageRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            lead = change_stage(lead, by=request.user, **incoming.validated_data)
        except LifecycleError as error:
            return _lifecycle_error(error)
        return Response(
            {"id": lead.pk, "stage": lead.stage, "decided_at": lead.decided_at, "converted_at": lead.converted_at}
        )


class InboundSerializer(serializers.Serializer):
    """The generic shape; a Twilio-style form post (From, Body, MessageSid) is mapped onto it."""

    channel = serializers.ChoiceField(choices=["email", "sms"])
    sender = serializers.CharField(max_length=300, help_text="Email address or phone number of the lead.")
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=20000, allow_blank=True)
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class InboundReplySerializer(serializers.Serializer):
    matched = serializers.BooleanField()
    lead = serializers.IntegerField(allow_null=True)
    result = serializers.CharField()


class InboundWebhook(APIView):
    """POST /api/v1/inbound: an intake key (Bearer header or ?key=) authorises the provider."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(request=InboundSerializer, responses={202: InboundReplySerializer}, summary="Inbound reply")
    def post(self, request):
        raw_key = _bearer_key(request) or request.query_params.get("key", "")
        if not raw_key or policies.intake_key(raw_key) is None:
            return Response({"errors": {"non_field_errors": ["Send a valid intake key."]}}, status=401)
        data = request.data  # any JSON value: null or a list goes to the serializer, which refuses it
        if isinstance(data, Mapping) and "From" in data and "Body" in data:  # Twilio's form post
            data = {"channel": "sms", "sender": data.get("From"), "body": data.get("Body"),
                    "reference": data.get("MessageSid", "")}  # fmt: skip
        incoming = InboundSerializer(data=data)
        incoming.is_valid(raise_exception=True)
        lead, result = receive(InboundMessage(**incoming.validated_data))
        return Response({"matched": lead is not None, "lead": lead.pk if lead else None, "result": result}, status=202)
