"""A rep's devices for web push: save this browser's subscription, list, remove.

    GET    /api/v1/me/push-subscriptions   {"enabled", "public_key", "devices": [...]}
    POST   /api/v1/me/push-subscriptions   PushSubscription.toJSON() (+ "device"): 201 (new) or 200;
                                           409 when the server has no VAPID keys
    DELETE /api/v1/me/push-subscriptions?endpoint=...   204, or 404 when it is not the caller's

Token or session auth (the queue page posts with its CSRF token). Only endpoints of the
push services in LEADOPS_PUSH_SERVICES are taken, and the keys must be a usable P-256
key and a 16-byte secret: the worker will post to that URL later."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leadops import webpush
from webpush.models import PushSubscription


class KeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=100)
    auth = serializers.CharField(max_length=40)


class SubscriptionSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)
    keys = KeysSerializer()
    expirationTime = serializers.IntegerField(required=False, allow_null=True, min_value=0)  # noqa: N815 (the browser's name)
    device = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")

    def validate_endpoint(self, endpoint: str) -> str:
        if not webpush.endpoint_allowed(endpoint):
            raise serializers.ValidationError("Not a push service this server sends to.")
        return endpoint

    def validate_keys(self, keys: dict) -> dict:
        problem = webpush.valid_device_keys(keys["p256dh"], keys["auth"])
        if problem:
            raise serializers.ValidationError(problem)
        return keys


class EndpointSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)


class PushErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class DeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    device = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_sent_at = serializers.DateTimeField(allow_null=True)


class DevicesReplySerializer(serializers.Serializer):
    enabled = serializers.BooleanField(help_text="Whether this server has VAPID keys.")
    public_key = serializers.CharField(help_text="The VAPID public key (applicationServerKey).")
    devices = DeviceSerializer(many=True)


def _device(subscription: PushSubscription) -> dict:
    return {
        "id": subscription.pk,
        "device": subscription.device,
        "created_at": subscription.created_at,
        "last_sent_at": subscription.last_sent_at,
    }


def _not_configured() -> Response:
    return Response({"errors": {"push": ["Web push is not set up on this server (no VAPID keys)."]}}, status=409)


class PushSubscriptions(APIView):
    @extend_schema(responses=DevicesReplySerializer, summary="My devices that get web push")
    def get(self, request):
        devices = PushSubscription.objects.filter(user=request.user).order_by("created_at")
        return Response(
            {
                "enabled": webpush.configured(),
                "public_key": settings.LEADOPS_VAPID_PUBLIC_KEY,
                "devices": [_device(subscription) for subscription in devices],
            }
        )

    @extend_schema(
        request=SubscriptionSerializer,
        responses={200: DeviceSerializer, 201: DeviceSerializer, 409: PushErrorsSerializer},
        summary="Save this browser's push subscription (409 when the server has no VAPID keys)",
    )
    def post(self, request):
        """Save this browser's push subscription for the caller (a new user on a shared
        device takes it over)."""
        if not webpush.configured():
            return _not_configured()
        incoming = SubscriptionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        session = getattr(request, "session", None)
        with transaction.atomic():
            subscription, created = PushSubscription.objects.update_or_create(
                endpoint=data["endpoint"],
                defaults={
                    "user": request.user,
                    "p256dh": data["keys"]["p256dh"],
                    "auth": data["keys"]["auth"],
                    "device": data["device"][:120],
                    "session_key": (session.session_key or "") if session is not None else "",
                },
            )
        return Response(_device(subscription), status=201 if created else 200)

    @extend_schema(
        parameters=[EndpointSerializer],
        responses={204: None, 400: PushErrorsSerializer, 404: PushErrorsSerializer},
        summary="Stop web push to a device (?endpoint=)",
    )
    def delete(self, request):
        incoming = EndpointSerializer(data=request.query_params)
        incoming.is_valid(raise_exception=True)
        deleted, _ = PushSubscription.objects.filter(
            user=request.user, endpoint=incoming.validated_data["endpoint"]
        ).delete()
        if not deleted:
            return Response({"errors": {"endpoint": ["No such device of yours."]}}, status=404)
        return Response(status=204)
