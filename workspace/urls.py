"""The rep workspace: its pages (workspace/views.py) and its API (workspace/api.py)."""

from django.urls import path

from workspace import api, lead_page, offers, views

urlpatterns = [
    path("", views.home, name="home"),
    path("api/v1/leads/<int:pk>", api.LeadDetail.as_view(), name="lead-detail"),
    path("api/v1/leads/<int:pk>/attempts", api.LogAttempt.as_view(), name="lead-attempts"),
    path("api/v1/leads/<int:pk>/stage", api.ChangeStage.as_view(), name="lead-stage"),
    path("api/v1/leads/<int:pk>/accept", api.AcceptLead.as_view(), name="lead-accept"),
    path("api/v1/leads/<int:pk>/pass", offers.PassLead.as_view(), name="lead-pass"),
    path("api/v1/leads/<int:pk>/handover", api.HandOverLead.as_view(), name="lead-handover"),
    path("api/v1/me/status", api.MyStatus.as_view(), name="my-status"),
    path("start/", views.start, name="workspace-start"),
    path("queue/", views.queue, name="workspace-queue"),
    path("leads/<int:pk>/", lead_page.lead_page, name="workspace-lead"),
    path("leads/<int:pk>/accept/", lead_page.accept, name="workspace-accept"),
    path("leads/<int:pk>/attempts/", lead_page.log_attempt_view, name="workspace-attempt"),
    path("leads/<int:pk>/email/", lead_page.send_email, name="workspace-email"),
    path("leads/<int:pk>/stage/", lead_page.change_stage_view, name="workspace-stage"),
    path("leads/<int:pk>/notes/", lead_page.add_note_view, name="workspace-note"),
    path("leads/<int:pk>/pass/", offers.pass_view, name="workspace-pass"),
    path("leads/<int:pk>/handover/", lead_page.hand_over_view, name="workspace-handover"),
    path("leads/<int:pk>/steps/<int:number>/done/", lead_page.complete_task_view, name="workspace-step-done"),
]
