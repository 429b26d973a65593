from django.urls import path

from leads import api, views, workspace
from routing import api as routing_api

urlpatterns = [
    path("api/v1/leads", api.intake, name="lead-intake"),
    path("api/v1/leads/", api.intake),
    path("api/v1/leads/<int:pk>", api.LeadDetail.as_view(), name="lead-detail"),
    path("api/v1/leads/<int:pk>/attempts", api.LogAttempt.as_view(), name="lead-attempts"),
    path("api/v1/leads/<int:pk>/stage", api.ChangeStage.as_view(), name="lead-stage"),
    path("api/v1/leads/<int:pk>/accept", routing_api.AcceptLead.as_view(), name="lead-accept"),
    path("api/v1/leads/<int:pk>/handover", routing_api.HandOverLead.as_view(), name="lead-handover"),
    path("api/v1/inbound", api.InboundWebhook.as_view(), name="inbound"),
    path("api/v1/me/status", routing_api.MyStatus.as_view(), name="my-status"),
    path("f/<slug:slug>/", views.hosted_form, name="hosted-form"),
    path("f/<slug:slug>/thanks/<str:token>/", views.hosted_form_thanks, name="hosted-form-thanks"),
    # The rep workspace (leads/workspace.py).
    path("start/", workspace.start, name="workspace-start"),
    path("queue/", workspace.queue, name="workspace-queue"),
    path("queue/stats/", workspace.my_stats, name="workspace-stats"),
    path("leads/<int:pk>/", workspace.lead_page, name="workspace-lead"),
    path("leads/<int:pk>/accept/", workspace.accept, name="workspace-accept"),
    path("leads/<int:pk>/attempts/", workspace.log_attempt_view, name="workspace-attempt"),
    path("leads/<int:pk>/email/", workspace.send_email, name="workspace-email"),
    path("leads/<int:pk>/stage/", workspace.change_stage_view, name="workspace-stage"),
    path("leads/<int:pk>/notes/", workspace.add_note_view, name="workspace-note"),
    path("leads/<int:pk>/handover/", workspace.hand_over_view, name="workspace-handover"),
    path("leads/<int:pk>/steps/<int:number>/done/", workspace.complete_task_view, name="workspace-step-done"),
]
