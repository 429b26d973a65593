"""Admin for managers: goals and rewards (edited), awards and the surveys' answers (read;
rewards are awarded by the worker when a goal's period closes, goals/closing.py). Bad input
gets the form's field errors (Goal.clean and Reward.clean): a goal needs a team or a rep,
and a target inside the metric's range; a badge needs its symbol, a bonus its note."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model

from goals import measure
from goals.models import Award, Goal, LeadSurveyAnswer, RepSurveyAnswer, Reward
from leadops.roles import REPS


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["name", "active", "starts_on", "team", "rep", "metric", "target", "period", "minimum_leads",
                  "reward", "privacy"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "rep" in self.fields:
            self.fields["rep"].queryset = get_user_model().objects.filter(groups__name=REPS).order_by("username")


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    form = GoalForm
    list_display = ["name", "scope", "metric", "target_shown", "period", "reward", "privacy", "active"]
    list_filter = ["active", "metric", "period", "team"]
    fieldsets = [
        (None, {"fields": ["name", "active", "starts_on"]}),
        ("Who", {"fields": ["team", "rep"], "description": "A team (each of its reps on their own) or one rep."}),
        ("Target", {"fields": ["metric", "target", "period", "minimum_leads"]}),
        ("Reward and leaderboard", {"fields": ["reward", "privacy"]}),
    ]

    @admin.display(description="for")
    def scope(self, goal: Goal) -> str:
        return f"team {goal.team}" if goal.team_id else f"rep {goal.rep}"

    @admin.display(description="target")
    def target_shown(self, goal: Goal) -> str:
        return measure.target_text(goal)


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "badge", "bonus_note"]


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ["awarded_at", "rep", "reward", "goal", "period_start", "value", "seen_at"]
    list_filter = ["reward", "goal"]
    date_hierarchy = "awarded_at"

    def has_add_permission(self, request) -> bool:
        return False  # awarded by the worker when a period closes

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LeadSurveyAnswer)
class LeadSurveyAnswerAdmin(ReadOnly):
    list_display = ["answered_at", "lead", "rep", "answer", "comment"]
    list_filter = ["answer"]
    raw_id_fields = ["lead"]


@admin.register(RepSurveyAnswer)
class RepSurveyAnswerAdmin(ReadOnly):
    list_display = ["month", "answered_at", "reasons", "comment"]  # no names: answers are anonymous to readers
    list_filter = ["month"]
    exclude = ["rep"]
