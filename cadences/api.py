"""Inbound replies and STOPs (`POST /api/v1/inbound`): a lead who answers stops its cadence
(cadences/inbound.py)."""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cadences.inbound import InboundMessage, receive
from leads import policies
from leads.models import Lead


def _bearer_key(request) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


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
        lead, result = receive(InboundMessage(**incoming.validated_data), within=Lead.objects.all())
        return Response({"matched": lead is not None, "lead": lead.pk if lead else None, "result": result}, status=202)
