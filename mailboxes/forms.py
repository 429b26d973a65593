"""Connecting a mailbox (the rep's page and the admin share it): the password is written,
never shown; saving logs in and opens both folders first, so a wrong password, an
unreachable server or a missing folder is a form error, not a later surprise."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leadops.encryption import SecretUnreadable, decrypt, encrypt
from mailboxes.imap import ImapFailure, ImapSession
from mailboxes.models import Mailbox, Security


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, strip=False,
        label=_("Password"),
        help_text=_("The password or an app password (Gmail, Microsoft 365). Stored encrypted, never shown again; "
        "leave empty to keep the stored one."),
    )  # fmt: skip

    class Meta:
        model = Mailbox
        fields = ["host", "port", "security", "username", "password", "inbox_folder", "sent_folder", "addresses"]
        labels = {
            "host": _("Host"), "port": _("Port"), "security": _("Security"), "username": _("Username"),
            "inbox_folder": _("Inbox folder"), "sent_folder": _("Sent folder"), "addresses": _("Addresses"),
        }  # fmt: skip
        help_texts = {
            "host": _("The IMAP server, e.g. imap.gmail.com."),
            "username": _("The IMAP login, usually the email address."),
            "sent_folder": _('Gmail: "[Gmail]/Sent Mail".'),
            "addresses": _(
                "Other addresses the rep sends from, comma-separated (the login and the user's email count already)."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["password"].required = True
            self.fields["password"].help_text = _(
                "The password or an app password. Stored encrypted, never shown again."
            )

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip()
        if not host or any(character in host for character in " /:@"):
            raise forms.ValidationError(_("Give the server's name only, e.g. imap.example.com."))
        return host

    def clean_port(self) -> int:
        port = self.cleaned_data["port"]
        if not 1 <= port <= 65535:
            raise forms.ValidationError(_("A port is between 1 and 65535."))
        return port

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        password = data.get("password") or ""
        if not password and self.instance.pk:
            try:
                password = decrypt(self.instance.password)
            except SecretUnreadable:
                self.add_error("password", _("The stored password cannot be read any more: enter it again."))
                return data
        try:
            with ImapSession(
                host=data["host"], port=data["port"], security=data["security"], username=data["username"],
                password=password,
            ) as session:  # fmt: skip
                for field in ("inbox_folder", "sent_folder"):
                    try:
                        session.examine(data[field])
                    except ImapFailure as failure:
                        self.add_error(field, str(failure))
        except ImapFailure as failure:
            field = "password" if "user name or password" in str(failure) else None
            if field is None and data["security"] == Security.NONE and "TLS" in str(failure):
                field = "security"
            self.add_error(field, str(failure))
        return data

    def save(self, commit: bool = True) -> Mailbox:
        mailbox = super().save(commit=False)
        raw = self.cleaned_data.get("password") or ""
        if raw:
            mailbox.password = encrypt(raw)
        elif mailbox.pk:
            mailbox.password = Mailbox.objects.values_list("password", flat=True).get(pk=mailbox.pk)
        if commit:
            mailbox.save()
        return mailbox


class AdminMailboxForm(MailboxForm):
    class Meta(MailboxForm.Meta):
        fields = ["owner", *MailboxForm.Meta.fields, "active"]
