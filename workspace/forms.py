"""The lead page's forms. They only parse and check input; the change itself is made by
the domain functions (leads/lifecycle.py, workspace/rep_actions.py, routing/assignment.py),
whose refusals come back as errors on these forms."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils import timezone

from leadops.roles import REPS
from leads.choices import AttemptChannel, AttemptOutcome, Stage
from leads.lifecycle import LifecycleError, validate_attempt
from routing.handover import handover_refusal
from workspace.rep_actions import EMAIL_TEMPLATES, NOTE_LIMIT


class AttemptForm(forms.Form):
    channel = forms.ChoiceField(choices=AttemptChannel.choices, initial=AttemptChannel.CALL)
    outcome = forms.ChoiceField(choices=AttemptOutcome.choices)
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if "channel" in data and "outcome" in data:
            try:
                validate_attempt(data["channel"], data["outcome"])
            except LifecycleError as error:
                self.add_error(error.field if error.field in self.fields else None, str(error))
        return data


class EmailForm(forms.Form):
    template = forms.ChoiceField(choices=[(key, template.label) for key, template in EMAIL_TEMPLATES.items()])
    note = forms.CharField(
        required=False,
        max_length=1000,
        label="Personal line (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    token = forms.CharField(
        widget=forms.HiddenInput, validators=[RegexValidator(r"^[0-9a-f]{16,32}$", "Reload the page and retry.")]
    )

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(8)


class StageForm(forms.Form):
    NEEDS_REASON = (Stage.QUALIFIED, Stage.DISQUALIFIED)

    stage = forms.ChoiceField(
        choices=[(stage.value, stage.label) for stage in (Stage.QUALIFIED, Stage.DISQUALIFIED, Stage.CONVERTED)]
    )
    reason = forms.CharField(required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if data.get("stage") in self.NEEDS_REASON and not data.get("reason", "").strip():
            self.add_error("reason", "Say why: it is shown on the timeline and in the reports.")
        return data


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=NOTE_LIMIT, label="Note", widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What happened?"})
    )


class HandoverForm(forms.Form):
    to = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Colleague", empty_label=None)

    def __init__(self, *args, lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        reps = get_user_model().objects.filter(is_active=True, groups__name=REPS).exclude(pk=lead.owner_id)
        if lead.team_id:
            reps = reps.filter(teams=lead.team_id)
        field = self.fields["to"]
        field.queryset = reps.select_related("rep_profile").order_by("first_name", "username").distinct()
        field.label_from_instance = self.label

    @staticmethod
    def label(user) -> str:
        profile = getattr(user, "rep_profile", None)
        status = f" ({profile.get_status_display().lower()})" if profile else ""
        return f"{user.get_full_name() or user.get_username()}{status}"

    def clean_to(self):
        user = self.cleaned_data["to"]
        if refusal := handover_refusal(self.lead, user, timezone.now()):
            raise forms.ValidationError(refusal)
        return user


PASS_REASONS = (
    "In a meeting or on another call",
    "Outside my territory or product",
    "A language I do not speak",
    "I know this person: conflict of interest",
    "Leaving for the day",
)


class PassForm(forms.Form):
    """Pass a lead on (workspace/offers.py); the reason goes on the routing trace."""

    reason = forms.CharField(
        max_length=200, label="Why pass it on?", widget=forms.TextInput(attrs={"list": "pass-reasons"})
    )
