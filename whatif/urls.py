from django.contrib import admin
from django.urls import path

from whatif import views

app_name = "whatif"
urlpatterns = [
    path("<str:app_label>/<str:model_name>/start/", admin.site.admin_view(views.start), name="start"),
    path("<str:job_id>/", admin.site.admin_view(views.result), name="result"),
    path("<str:job_id>/progress/", admin.site.admin_view(views.progress), name="progress"),
]
