"""The fixed vocabularies of a lead (SPEC §6); values are the API's wire values."""

from django.db import models


class Source(models.TextChoices):
    PAID_ADS = "paid_ads", "Paid ads"
    ORGANIC = "organic", "Organic"
    REFERRAL = "referral", "Referral"
    EVENT = "event", "Event"
    SOCIAL = "social", "Social"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PARTNER = "partner", "Partner"
    DIRECT = "direct", "Direct"
    OTHER = "other", "Other"


class InquiryType(models.TextChoices):
    DEMO_REQUEST = "demo_request", "Demo request"
    PRICING = "pricing", "Pricing"
    CONTACT_SALES = "contact_sales", "Contact sales"
    CART_ABANDONMENT = "cart_abandonment", "Cart abandonment"
    CONTENT_DOWNLOAD = "content_download", "Content download"
    WEBINAR = "webinar", "Webinar"
    NEWSLETTER = "newsletter", "Newsletter"
    GENERAL = "general", "General"


class Temperature(models.TextChoices):
    HOT = "hot", "Hot"
    WARM = "warm", "Warm"
    COLD = "cold", "Cold"


class Segment(models.TextChoices):
    B2B = "b2b", "B2B"
    B2C = "b2c", "B2C"
    ENTERPRISE = "enterprise", "Enterprise"


class Stage(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    CONTACTED = "contacted", "Contacted"
    CONNECTED = "connected", "Connected"
    QUALIFIED = "qualified", "Qualified"
    DISQUALIFIED = "disqualified", "Disqualified"
    CONVERTED = "converted", "Converted"


class AttemptChannel(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class AttemptOutcome(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Voicemail"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    SENT = "sent", "Sent"
    REPLIED = "replied", "Replied"


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
