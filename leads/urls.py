"""Where leads come in: the intake API and the public hosted forms."""

from django.urls import path

from leads import api, views

urlpatterns = [
    path("api/v1/leads", api.intake, name="lead-intake"),
    path("api/v1/leads/", api.intake),
    path("f/<slug:slug>/", views.hosted_form, name="hosted-form"),
    path("f/<slug:slug>/thanks/<str:token>/", views.hosted_form_thanks, name="hosted-form-thanks"),
]
