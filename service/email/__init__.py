"""Email: typed contexts, Jinja2 rendering, MIME building (RFC 8058) and delivery."""

from service.email.context import (
    DailyBriefing,
    LapsedContact,
    NudgeEmail,
    WeekAtAGlance,
    WeeklyReport,
    Welcome,
)
from service.email.errors import (
    DeliveryConfigError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from service.email.links import lapsed_contact, schedule_links
from service.email.message import build_message, message_id_for, message_unique
from service.email.outbox import MaildirOutbox, Mailer
from service.email.render import EmailRenderer, RenderedEmail
from service.email.smtp import SmtpConfig, SmtpMailer

__all__ = [
    "DailyBriefing",
    "DeliveryConfigError",
    "DeliveryError",
    "EmailRenderer",
    "LapsedContact",
    "MaildirOutbox",
    "Mailer",
    "NudgeEmail",
    "PermanentDeliveryError",
    "RenderedEmail",
    "SmtpConfig",
    "SmtpMailer",
    "TransientDeliveryError",
    "WeekAtAGlance",
    "WeeklyReport",
    "Welcome",
    "build_message",
    "lapsed_contact",
    "message_id_for",
    "message_unique",
    "schedule_links",
]
