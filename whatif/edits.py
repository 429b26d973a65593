"""From an admin change form, as posted, to an unsaved `Edit`: the model admin's own form
and inline formsets validate it exactly as "Save" would, and nothing is saved."""

from __future__ import annotations

from django.contrib import admin
from django.forms.formsets import all_valid

from leads.models import SlaPolicy
from routing.models import LeavePeriod, RepProfile, RoutingRule, Team, Territory, WorkingHours
from whatif.configuration import Edit

KINDS = {RoutingRule: "rule", RepProfile: "rep", Territory: "territory", SlaPolicy: "sla_policy"}


class EditRefused(Exception):
    """The posted form is not valid; `errors` are readable sentences."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def model_for(app_label: str, model_name: str):
    return next(
        (model for model in KINDS if model._meta.app_label == app_label and model._meta.model_name == model_name),
        None,
    )


def _errors(form, formsets) -> list[str]:
    errors = []
    for name, messages in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        errors += [f"{label}: {message}" if label else message for message in messages]
    for formset in formsets:
        errors += [str(message) for message in formset.non_form_errors()]
        for inline_errors in formset.errors:
            for name, messages in inline_errors.items():
                errors += [f"{formset.prefix} {name}: {message}" for message in messages]
    return errors


def _rows(formset) -> list[dict]:
    return [form.cleaned_data for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


def edit_from_post(request, model, object_id: str | None) -> Edit:
    """The edit the posted change form describes (EditRefused when it would not save)."""
    model_admin = admin.site.get_model_admin(model)
    obj = model_admin.get_object(request, object_id) if object_id else None
    if object_id and obj is None:
        raise EditRefused([f"No {model._meta.verbose_name} with id {object_id}."])
    form_class = model_admin.get_form(request, obj, change=obj is not None)
    form = form_class(request.POST, request.FILES, instance=obj)
    formsets, _inlines = model_admin._create_formsets(request, form.instance, change=obj is not None)
    if not (form.is_valid() and all_valid(formsets)):
        raise EditRefused(_errors(form, formsets) or ["The form is not valid."])
    instance = model_admin.save_form(request, form, change=obj is not None)  # commit=False: nothing saved
    kind = KINDS[model]
    edit = Edit(kind, instance)
    if kind == "rule":
        reps = form.cleaned_data.get("reps") or []
        team: Team | None = form.cleaned_data.get("team")
        # as routing.config.routing_rules: its reps, else its team's members
        edit.pool_ids = sorted(user.pk for user in reps) or sorted(
            team.members.values_list("pk", flat=True) if team else []
        )
    elif kind == "rep":
        edit.territory_ids = [territory.pk for territory in form.cleaned_data.get("territories") or []]
        for formset in formsets:
            if formset.model is WorkingHours:
                hours: dict[int, list] = {}
                for row in sorted(_rows(formset), key=lambda row: (int(row["weekday"]), row["starts"])):
                    hours.setdefault(int(row["weekday"]), []).append((row["starts"], row["ends"]))
                edit.hours = {weekday: tuple(spans) for weekday, spans in hours.items()}
            elif formset.model is LeavePeriod:
                edit.leave = sorted((row["starts_on"], row["ends_on"]) for row in _rows(formset))
    return edit
