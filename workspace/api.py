"""The API of a rep's work (SPEC §6): a lead with its SLA, timeline, plan and trace; logging
a touch; changing the stage; accepting and handing over; the rep's own availability.
Token or session auth; reps act only on their own leads (leads/permissions.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.choices import AttemptChannel, AttemptOutcome, Stage
from leads.lifecycle import LifecycleError, change_stage, log_attempt
from leads.permissions import lead_for_action, visible_leads
from routing.assignment import accept_lead, hand_over, set_rep_status
from routing.handover import HandoverRefused, handover_refusal
from routing.models import RepProfile, RepStatus
from workspace.serializers import AttemptSerializer, LeadDetailSerializer


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
        user = get_user_model().objects.filter(username=username).select_related("rep_profile").first()
        if user is None:
            raise serializers.ValidationError("No active rep with that username.")
        if refusal := handover_refusal(self.context["lead"], user, self.context["now"]):
            raise serializers.ValidationError(refusal)
        return user


class HandOverLead(APIView):
    @extend_schema(request=HandoverSerializer, responses=LeadReplySerializer, summary="Hand a lead to a colleague")
    def post(self, request, pk: int):
        lead = lead_for_action(request, pk)
        incoming = HandoverSerializer(data=request.data, context={"now": timezone.now(), "lead": lead})
        incoming.is_valid(raise_exception=True)
        try:
            lead = hand_over(lead, incoming.validated_data["to"], by=request.user)
        except HandoverRefused as refusal:  # the lead changed team meanwhile
            return Response({"errors": {"to": [str(refusal)]}}, status=status.HTTP_400_BAD_REQUEST)
        return Response(_reply(lead))


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
