"""The lead as the API shows it (GET /api/v1/leads/{id}, SPEC §6)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from cadences.progress import plan_for
from leads.models import Attempt, Lead, LeadEvent

INTAKE_FIELDS = [
    "email", "phone", "first_name", "last_name", "name", "company", "job_title", "website", "country", "region",
    "city", "postal_code", "timezone", "inquiry_type", "source", "product_interest", "message", "submitted_at",
    "external_id", "consent_email", "consent_sms", "utm_source", "utm_medium", "utm_campaign", "extra", "language",
    "consent_whatsapp",
]  # fmt: skip


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = LeadEvent
        fields = ["kind", "at", "actor", "data"]


class AttemptSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = ["number", "channel", "outcome", "at", "by"]

    def get_by(self, attempt) -> str | None:
        return attempt.by.get_username() if attempt.by_id else None


class SlaSerializer(serializers.Serializer):
    assign_by = serializers.DateTimeField(source="assign_due_at", allow_null=True)
    first_contact_by = serializers.DateTimeField(source="first_contact_due_at", allow_null=True)
    after_hours = serializers.BooleanField()
    state = serializers.SerializerMethodField()
    policy = serializers.CharField(source="sla_policy.name", default=None, allow_null=True)

    def get_state(self, lead) -> str:
        return lead.sla_state(self.context.get("now") or timezone.now())


class LeadDetailSerializer(serializers.ModelSerializer):
    owner = OwnerSerializer(allow_null=True)
    sla = SlaSerializer(source="*")
    timeline = EventSerializer(source="events", many=True)
    attempts = AttemptSerializer(many=True)
    plan = serializers.SerializerMethodField()
    routing_trace = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id", *INTAKE_FIELDS, "resolved_time_zone", "company_domain", "free_mail", "stage", "temperature",
            "score", "junk", "junk_reason", "owner", "sla", "acknowledged_at", "assigned_at", "first_attempt_at",
            "first_connected_at", "timeline", "attempts", "plan", "routing_trace",
        ]  # fmt: skip

    def get_plan(self, lead) -> list:
        return plan_for(lead)

    def get_routing_trace(self, lead) -> dict | None:
        return lead.routing_trace or None
