"""The fixed vocabularies of a lead (SPEC §6); values are the API's wire values."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    PAID_ADS = "paid_ads", _("Paid ads")
    ORGANIC = "organic", _("Organic")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event")
    SOCIAL = "social", _("Social")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    PARTNER = "partner", _("Partner")
    DIRECT = "direct", _("Direct")
    OTHER = "other", _("Other")


class InquiryType(models.TextChoices):
    DEMO_REQUEST = "demo_request", _("Demo request")
    PRICING = "pricing", _("Pricing")
    CONTACT_SALES = "contact_sales", _("Contact sales")
    CART_ABANDONMENT = "cart_abandonment", _("Cart abandonment")
    CONTENT_DOWNLOAD = "content_download", _("Content download")
    WEBINAR = "webinar", _("Webinar")
    NEWSLETTER = "newsletter", _("Newsletter")
    GENERAL = "general", _("General")


class Temperature(models.TextChoices):
    HOT = "hot", _("Hot")
    WARM = "warm", _("Warm")
    COLD = "cold", _("Cold")


class Segment(models.TextChoices):
    B2B = "b2b", "B2B"
    B2C = "b2c", "B2C"
    ENTERPRISE = "enterprise", "Enterprise"


class Stage(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    CONTACTED = "contacted", _("Contacted")
    CONNECTED = "connected", _("Connected")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


class AttemptChannel(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    # An extension of SPEC §6 (call/email/sms): a WhatsApp message a rep or their tool sent.
    WHATSAPP = "whatsapp", _("WhatsApp")


class AttemptOutcome(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    SENT = "sent", _("Sent")
    REPLIED = "replied", _("Replied")


class MessageState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # A send was started but its worker died before recording the result: we do not
    # know whether it left, so it is never retried (nothing is ever sent twice).
    UNCERTAIN = "uncertain", "Uncertain (worker died mid-send)"


class AckState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class IntakeChannel(models.TextChoices):
    """How a submission reached us: with an intake key (the sender is a known integration),
    through the public hosted form (anyone, unverified) or a CSV import."""

    API = "api", "Intake API"
    HOSTED_FORM = "hosted_form", "Hosted form"
    IMPORT = "import", "CSV import"
