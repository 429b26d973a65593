"""Routing endpoints: a rep's availability, accepting and handing over a lead (SPEC §6)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from leadops.roles import REPS, in_group
from leads.permissions import lead_for_action
from routing.assignment import accept_lead, hand_over, set_rep_status
from routing.eligibility import on_leave
from routing.models import RepProfile, RepStatus


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RepStatus.choices)


class StatusReplySerializer(serializers.Serializer):
    status = serializers.CharField()
    changed_at = serializers.DateTimeField(allow_null=True, help_text="Null when the status was never set.")


class MyStatus(APIView):
    @extend_schema(request=StatusSerializer, responses=StatusReplySerializer, summary="Set my availability")
    def post(self, request):
        incoming = StatusSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        profile = set_rep_status(request.user, incoming.validated_data["status"])
        return Response({"status": profile.status, "changed_at": profile.status_changed_at})

    @extend_schema(responses=StatusReplySerializer, summary="My availability")
    def get(self, request):
        profile = RepProfile.objects.filter(user=request.user).first()
        if profile is None:
            return Response({"status": RepStatus.OFFLINE, "changed_at": None})
        return Response({"status": profile.status, "changed_at": profile.status_changed_at})


class LeadReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    owner = serializers.CharField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)


def _reply(lead) -> dict:
    return {
        "id": lead.pk,
        "owner": lead.owner.get_username() if lead.owner_id else None,
        "accepted_at": lead.accepted_at,
    }


class AcceptLead(APIView):
    @extend_schema(request=None, responses=LeadReplySerializer, summary="Accept a lead (its owner)")
    def post(self, request, pk: int):
        lead = lead_for_action(request, pk)
        return Response(_reply(accept_lead(lead, by=request.user)))


class HandoverSerializer(serializers.Serializer):
    to = serializers.CharField(help_text="Username of the colleague who takes the lead.")

    def validate_to(self, username: str):
        user = get_user_model().objects.filter(username=username, is_active=True).select_related("rep_profile").first()
        if user is None or not in_group(user, REPS):
            raise serializers.ValidationError("No active rep with that username.")
        profile = getattr(user, "rep_profile", None)
        if profile and on_leave(
            profile.leave.values_list("starts_on", "ends_on"), profile.time_zone, self.context["now"]
        ):
            raise serializers.ValidationError("That rep is on leave.")
        return user


class HandOverLead(APIView):
    @extend_schema(request=HandoverSerializer, responses=LeadReplySerializer, summary="Hand a lead to a colleague")
    def post(self, request, pk: int):
        from django.utils import timezone

        lead = lead_for_action(request, pk)
        incoming = HandoverSerializer(data=request.data, context={"now": timezone.now()})
        incoming.is_valid(raise_exception=True)
        target = incoming.validated_data["to"]
        if target.pk == lead.owner_id:
            return Response({"errors": {"to": ["The lead is already theirs."]}}, status=status.HTTP_400_BAD_REQUEST)
        return Response(_reply(hand_over(lead, target, by=request.user)))
