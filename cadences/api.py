"""Inbound replies and STOPs (`POST /api/v1/inbound/<connection slug>`): a lead who answers
stops its cadence (cadences/inbound.py).

Each provider account is an InboundConnection, proven by its own signature
(cadences/inbound_auth.py) before the body is read; intake keys are not accepted. The
reply is the same 202 whether or not the sender is a lead (no oracle); what happened is
on the delivery log (admin: Cadences → Inbound deliveries) and the lead's timeline."""

from __future__ import annotations

import hashlib

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cadences.inbound import InboundMessage, receive_delivery
from cadences.inbound_auth import Refused, Verified, verify
from cadences.models import InboundConnection, InboundProvider
from cadences.whatsapp_inbound import challenge_answer, receive_webhook
from leadops.ratelimit import retry_after

ACCEPTED = {"accepted": True, "matched": None, "lead": None, "result": None}
MOVED = (
    "Inbound messages go to /api/v1/inbound/<connection-slug>, signed by the connection's provider "
    "(X-Twilio-Signature, or webhook-signature for generic JSON); intake keys are not accepted. "
    "Create a connection in the admin (Cadences → Inbound connections) or with manage.py create_inbound_connection."
)


class InboundSerializer(serializers.Serializer):
    """The generic shape; a Twilio form post (From, Body, MessageSid) is mapped onto it."""

    channel = serializers.ChoiceField(choices=["email", "sms", "whatsapp"])
    sender = serializers.CharField(max_length=300, help_text="Email address or phone number of the lead.")
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=20000, allow_blank=True)
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class InboundReplySerializer(serializers.Serializer):
    """The same for every accepted delivery: whether the sender is a lead is not told."""

    accepted = serializers.BooleanField()
    matched = serializers.BooleanField(allow_null=True)
    lead = serializers.IntegerField(allow_null=True)
    result = serializers.CharField(allow_null=True)


def refused(message: str, field: str = "signature") -> Response:
    return Response(
        {"errors": {field: [message]}}, status=401, headers={"WWW-Authenticate": 'Signature realm="inbound"'}
    )


def too_many(message: str, wait: int) -> Response:
    return Response({"errors": {"non_field_errors": [message]}}, status=429, headers={"Retry-After": str(wait)})


def _incoming(request, verified: Verified) -> dict:
    if verified.form is not None:  # Twilio's form post
        form = verified.form
        return {
            "channel": "sms", "sender": form.get("From"), "body": form.get("Body"),
            "reference": form.get("MessageSid", ""),
        }  # fmt: skip
    return request.data  # any JSON value: null or a list goes to the serializer, which refuses it


def _sender_bucket(connection: InboundConnection, sender: str) -> str:
    digest = hashlib.sha256(" ".join(sender.lower().split()).encode("utf-8", "replace")).hexdigest()[:24]
    return f"inbound:{connection.pk}:sender:{digest}"


class InboundWebhook(APIView):
    """POST /api/v1/inbound/<slug>: a reply or STOP, signed by the connection's provider."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        request=InboundSerializer,
        responses={202: InboundReplySerializer},
        summary="Inbound reply",
        operation_id="inbound_reply",
        description="Signed by the connection's provider: Twilio's X-Twilio-Signature (form post), for generic "
        "JSON Standard Webhooks headers webhook-id, webhook-timestamp (within 5 minutes) and webhook-signature, "
        "for WhatsApp Meta's X-Hub-Signature-256 over its webhook payload (answered 200).",
    )
    def post(self, request, slug: str):
        connection = InboundConnection.objects.filter(slug=slug, active=True).first()
        if connection is None:
            return refused("No active inbound connection has this address.", field="connection")
        try:
            verified = verify(connection, request)
        except Refused as refusal:
            return refused(str(refusal))
        wait = retry_after(f"inbound:{connection.pk}", connection.requests_per_minute)
        if wait:
            return too_many("Too many inbound messages for this connection.", wait)
        if connection.provider == InboundProvider.WHATSAPP:  # Meta's batch of messages and statuses
            per_sender = connection.sender_requests_per_minute
            receive_webhook(
                connection, request.data, lambda sender: not retry_after(_sender_bucket(connection, sender), per_sender)
            )
            return Response({"accepted": True}, status=200)
        incoming = InboundSerializer(data=_incoming(request, verified))
        incoming.is_valid(raise_exception=True)
        message = InboundMessage(**incoming.validated_data)
        wait = retry_after(_sender_bucket(connection, message.sender), connection.sender_requests_per_minute)
        if wait:
            return too_many("Too many inbound messages from this sender.", wait)
        receive_delivery(connection, verified.delivery_id, message)
        return Response(ACCEPTED, status=202)

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(description="The hub.challenge, as plain text.")},
        summary="WhatsApp webhook check",
        operation_id="inbound_whatsapp_check",
        description="Meta's check of a WhatsApp connection's address: hub.mode=subscribe and "
        "hub.verify_token=WHATSAPP_VERIFY_TOKEN are answered with hub.challenge; anything else 403.",
    )
    def get(self, request, slug: str):
        connection = InboundConnection.objects.filter(slug=slug, active=True).first()
        if connection is None or connection.provider != InboundProvider.WHATSAPP:
            return refused("No active WhatsApp connection has this address.", field="connection")
        challenge = challenge_answer(request.query_params)
        if challenge is None:
            return Response({"errors": {"hub.verify_token": ["The verify token does not match."]}}, status=403)
        return HttpResponse(challenge, content_type="text/plain")


class RetiredInboundWebhook(APIView):
    """POST /api/v1/inbound (no connection): always 401, saying where to post instead."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        request=None,
        responses={401: OpenApiResponse(description=MOVED)},
        summary="Inbound reply (retired address)",
        operation_id="inbound_reply_retired",
        deprecated=True,
    )
    def post(self, request):
        return refused(MOVED, field="connection")
