"""The goals pages: the leaderboard (reps and managers), the rep's monthly survey and
"got it" on a new reward (signed in), and the lead's survey page /survey/<signed token>/
(public: the link is the key; a forged link 404, an expired one 410, a second answer 409)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from goals import feedback, progress
from goals.models import Award, LeadSurveyAnswer, RepSurveyAnswer
from goals.survey import read_survey_token
from leadops.languages import URL_PARAMETER, normalize
from leadops.pages import render_in_viewer_zone
from leadops.roles import REPS, in_group
from leads.models import Lead


@require_safe
@login_required
def leaderboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    goals = progress.goals_for(request.user)
    wanted = request.GET.get("goal", "")
    if wanted:
        if not wanted.isdigit() or len(wanted) > 18:
            raise Http404("No such goal.")
        goals = goals.filter(pk=int(wanted))
        if not goals.exists():
            raise Http404("No such goal.")
    boards = [progress.board(goal, request.user, now) for goal in goals]
    return render_in_viewer_zone(request, "goals/leaderboard.html", {"boards": boards, "now": now})


@require_POST
@login_required
def rep_survey(request: HttpRequest) -> HttpResponse:
    if not in_group(request.user, REPS):
        return render(request, "goals/rep_survey.html", {"form": None, "refused": True}, status=403)
    form = feedback.RepSurveyForm(request.POST)
    if not form.is_valid():
        return render_in_viewer_zone(request, "goals/rep_survey.html", {"form": form}, status=400)
    month = feedback.month_of(timezone.now())
    try:
        with transaction.atomic():
            RepSurveyAnswer.objects.create(
                rep=request.user, month=month, reasons=form.cleaned_data["reasons"],
                comment=form.cleaned_data["comment"],
            )  # fmt: skip
    except IntegrityError:
        messages.info(request, _("You already answered this month's survey: thank you."))
    else:
        messages.success(request, _("Thank you: your answer goes to your managers without your name."))
    return redirect("workspace-stats")


@require_POST
@login_required
def award_seen(request: HttpRequest, pk: int) -> HttpResponse:
    updated = Award.objects.filter(pk=pk, rep=request.user, seen_at__isnull=True).update(seen_at=timezone.now())
    if not updated and not Award.objects.filter(pk=pk, rep=request.user).exists():
        raise Http404("No such reward of yours.")
    return redirect("workspace-stats")


class LinkProblem(Exception):
    def __init__(self, status: int, title: str, text: str):
        super().__init__(title)
        self.status, self.title, self.text = status, title, text


def lead_for(token: str) -> Lead:
    try:
        lead_id = read_survey_token(token)
    except signing.SignatureExpired as error:
        raise LinkProblem(410, _("This survey link has expired"), _("Thank you all the same.")) from error
    except signing.BadSignature as error:
        raise LinkProblem(404, _("This survey link is not valid"), _("Please check the link in your email.")) from error
    lead = Lead.objects.filter(pk=lead_id, junk=False).select_related("owner").first()
    if lead is None:
        raise LinkProblem(404, _("This survey link is not valid"), _("Please check the link in your email."))
    return lead


@require_http_methods(["GET", "HEAD", "POST"])
def lead_survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        lead = lead_for(token)
    except LinkProblem as problem:
        return render(request, "goals/lead_survey.html", {"problem": problem}, status=problem.status)
    with translation.override(normalize(request.GET.get(URL_PARAMETER, "")) or lead.language or "en"):
        return _answer_page(request, lead)  # in the lead's language unless the link asks for another


def _answer_page(request: HttpRequest, lead: Lead) -> HttpResponse:
    context = {"lead": lead, "company_name": settings.LEADOPS_COMPANY_NAME}
    if LeadSurveyAnswer.objects.filter(lead=lead).exists():
        return render(request, "goals/lead_survey.html", context | {"answered": True}, status=409 if
                      request.method == "POST" else 200)  # fmt: skip
    form = feedback.LeadSurveyForm(request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return render(request, "goals/lead_survey.html", context | {"form": form})
    if not form.is_valid():
        return render(request, "goals/lead_survey.html", context | {"form": form}, status=400)
    try:
        with transaction.atomic():
            LeadSurveyAnswer.objects.create(
                lead=lead, rep=lead.owner, answer=form.cleaned_data["answer"], comment=form.cleaned_data["comment"]
            )
    except IntegrityError:  # a second tab won the race
        return render(request, "goals/lead_survey.html", context | {"answered": True}, status=409)
    return render(request, "goals/lead_survey.html", context | {"thanks": True})
