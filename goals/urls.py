"""The goals pages and the lead's survey page."""

from django.urls import path

from goals import views

urlpatterns = [
    path("goals/leaderboard/", views.leaderboard, name="goals-leaderboard"),
    path("goals/rep-survey/", views.rep_survey, name="goals-rep-survey"),
    path("goals/awards/<int:pk>/seen/", views.award_seen, name="goals-award-seen"),
    path("survey/<str:token>/", views.lead_survey, name="goals-lead-survey"),
]
