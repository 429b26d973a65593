"""Settings for the outside services LeadOps talks to: SMS, chat, WhatsApp, Web Push, IMAP
mailboxes and the lead providers. Every value comes from the environment, as in
leadops/settings.py, which imports all of them; kept apart so that file stays readable.
"""

import environ

env = environ.Env()

# SMS and chat transports (leadops/transports.py): "console" by default.
SMS_TRANSPORT = env.str("SMS_TRANSPORT", default="console")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Hot-lead messages to a team's channel: "console" prints them, "webhook" posts them to
# the team's Slack or Teams incoming webhook (Team.chat_webhook_url).
CHAT_TRANSPORT = env.str("CHAT_TRANSPORT", default="console")
# WhatsApp (leadops/whatsapp.py): "console" prints messages, "cloud" sends them through the
# WhatsApp Business Cloud API. Outside the 24-hour window only the approved template
# WHATSAPP_TEMPLATE (its body one {{1}} variable) may be sent. Replies and delivery
# statuses come to an inbound connection of provider "whatsapp", signed with the app secret
# (WHATSAPP_APP_SECRET is what create_inbound_connection stores for it); Meta's GET check
# of that address must bring WHATSAPP_VERIFY_TOKEN.
WHATSAPP_TRANSPORT = env.str("WHATSAPP_TRANSPORT", default="console")
WHATSAPP_API_BASE = env.str("WHATSAPP_API_BASE", default="https://graph.facebook.com/v23.0")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_TEMPLATE = env.str("WHATSAPP_TEMPLATE", default="")
WHATSAPP_TEMPLATE_LANGUAGE = env.str("WHATSAPP_TEMPLATE_LANGUAGE", default="en")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")

# Mailbox analytics (mailbox app): the sweeper syncs each connected mailbox over IMAP when
# its last sync is older than LEADOPS_MAILBOX_SYNC_EVERY seconds; one run fetches headers in
# batches of LEADOPS_MAILBOX_BATCH UIDs (progress committed after each) for at most
# LEADOPS_MAILBOX_RUN_SECONDS, then the next sweep goes on where it stopped.
# LEADOPS_IMAP_CA_FILE: extra CA certificates to trust (a private mail server's; tests).
LEADOPS_MAILBOX_SYNC_EVERY = env.int("LEADOPS_MAILBOX_SYNC_EVERY", default=600)
LEADOPS_MAILBOX_BATCH = env.int("LEADOPS_MAILBOX_BATCH", default=500)
LEADOPS_MAILBOX_RUN_SECONDS = env.int("LEADOPS_MAILBOX_RUN_SECONDS", default=120)
LEADOPS_IMAP_TIMEOUT = env.float("LEADOPS_IMAP_TIMEOUT", default=20.0)
LEADOPS_IMAP_CA_FILE = env.str("LEADOPS_IMAP_CA_FILE", default="")

# Web Push to the reps' devices (webpush/, leadops/webpush.py): a VAPID key pair from
# `manage.py generate_vapid_keys`, and a contact for the push services (mailto: or https:).
# Without keys the queue page offers no push. Subscriptions are accepted only for the push
# services listed here (origins, * for any labels).
LEADOPS_VAPID_PUBLIC_KEY = env.str("LEADOPS_VAPID_PUBLIC_KEY", default="")
LEADOPS_VAPID_PRIVATE_KEY = env.str("LEADOPS_VAPID_PRIVATE_KEY", default="")
LEADOPS_VAPID_SUBJECT = env.str("LEADOPS_VAPID_SUBJECT", default="mailto:alerts@leadops.example")
LEADOPS_PUSH_SERVICES = env.list(
    "LEADOPS_PUSH_SERVICES",
    default=[
        "https://fcm.googleapis.com",  # Chrome, Edge, Android
        "https://updates.push.services.mozilla.com",  # Firefox
        "https://*.push.apple.com",  # Safari on macOS, iOS and iPadOS home-screen apps
        "https://*.notify.windows.com",  # legacy Edge
    ],
)

# Integrations (integrations app): provider secrets are stored encrypted with Fernet keys
# from LEADOPS_SECRETS_KEY (comma-separated, the first one encrypts; older ones still
# decrypt, for rotation). Empty: a key derived from SECRET_KEY (set it in production, so
# that changing SECRET_KEY does not make the stored secrets unreadable).
LEADOPS_SECRETS_KEY = env.list("LEADOPS_SECRETS_KEY", default=[])
# Where lead details are fetched from (tests point these at a local stand-in server).
META_GRAPH_URL = env.str("META_GRAPH_URL", default="https://graph.facebook.com/v21.0")
HUBSPOT_API_URL = env.str("HUBSPOT_API_URL", default="https://api.hubapi.com")
LINKEDIN_API_URL = env.str("LINKEDIN_API_URL", default="https://api.linkedin.com")
LINKEDIN_API_VERSION = env.str("LINKEDIN_API_VERSION", default="202511")  # the LinkedIn-Version header

# Only the settings travel into leadops/settings.py.
__all__ = [name for name in dir() if name.isupper()]
