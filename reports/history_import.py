"""The managers' history import page (/dashboard/import/, linked from the admin): a CSV of
past leads in, the import report out (rules in leads/importer.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from leadops.roles import is_manager
from leads.importer import ImportFileError, import_file
from leads.models import Lead

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, with a header row; up to 10 MB.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is over 10 MB: import it with manage.py import_leads instead.")
        return upload


def import_page(request):
    """Admin view (linked from the Lead changelist): upload a CSV of past leads."""
    if not is_manager(request.user):
        raise PermissionDenied("Only managers can import leads.")
    report, problem = None, ""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = import_file(upload.file, label=upload.name)
        except ImportFileError as error:
            problem = f"Cannot import {upload.name}: {error}"
    context = {
        **admin.site.each_context(request),
        "title": "Import leads from a CSV file",
        "form": form,
        "report": report,
        "problem": problem,
        "opts": _lead_opts(),
    }
    return render(request, "dashboard/import.html", context, status=400 if problem else 200)


def _lead_opts():
    return Lead._meta


admin_import_page = admin.site.admin_view(import_page)
