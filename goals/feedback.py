"""The two surveys' answers as leadership reads them, and the rep's monthly survey."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from django import forms
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from goals import measure
from goals.models import LeadAnswer, LeadSurveyAnswer, RepSurveyAnswer, SlowDown

COMMENTS_SHOWN = 8


def month_of(now: datetime) -> date:
    return measure.local_day(now).replace(day=1)


class RepSurveyForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        choices=SlowDown.choices, widget=forms.CheckboxSelectMultiple, label=_("What slows you down?"),
        error_messages={"required": _("Tick at least one thing that slows you down.")},
    )  # fmt: skip
    comment = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Anything to add? (optional)"),
    )


class LeadSurveyForm(forms.Form):
    answer = forms.ChoiceField(
        choices=LeadAnswer.choices, widget=forms.RadioSelect, label=_("How quickly did we get back to you?"),
        error_messages={"required": _("Choose one answer."), "invalid_choice": _("Choose one of the answers shown.")},
    )  # fmt: skip
    comment = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Anything to add? (optional)"),
    )


def needs_rep_survey(user, now: datetime) -> bool:
    return not RepSurveyAnswer.objects.filter(rep=user, month=month_of(now)).exists()


def lead_answers(leads: QuerySet) -> dict:
    """The lead survey over the dashboard's leads: counts and shares per answer, comments."""
    answers = LeadSurveyAnswer.objects.filter(lead__in=leads.order_by().values("pk"))
    counts = dict(answers.values("answer").order_by().annotate(n=Count("pk")).values_list("answer", "n"))
    total = sum(counts.values())
    rows = [
        {"label": label, "n": counts.get(value, 0), "share": round(100 * counts.get(value, 0) / total) if total else 0}
        for value, label in LeadAnswer.choices
    ]
    comments = list(answers.exclude(comment="").values_list("comment", "answer")[:COMMENTS_SHOWN])
    labels = dict(LeadAnswer.choices)
    return {"total": total, "rows": rows, "comments": [(text, labels.get(answer, answer)) for text, answer in comments]}


def rep_answers(month: date) -> dict:
    """The reps' answers of a month, without names: how many ticked each reason, comments."""
    answers = RepSurveyAnswer.objects.filter(month=month)
    tally: Counter = Counter()
    total = 0
    for reasons in answers.values_list("reasons", flat=True):
        total += 1
        tally.update(set(reasons))
    rows = sorted(
        ({"label": label, "n": tally.get(value, 0), "share": round(100 * tally.get(value, 0) / total) if total else 0}
         for value, label in SlowDown.choices),
        key=lambda row: -row["n"],
    )  # fmt: skip
    comments = list(answers.exclude(comment="").order_by("-answered_at").values_list("comment", flat=True))
    return {"month": month, "total": total, "rows": rows, "comments": comments[:COMMENTS_SHOWN]}
