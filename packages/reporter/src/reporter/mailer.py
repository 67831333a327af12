"""Email messages of the reporter: a weekly report with its PDF attached.

Delivery (settings, the SMTP connection) is lorchestra's (:func:`lorchestra.api.smtp_settings`,
:class:`lorchestra.api.Mailer`): LORCHESTRA_SMTP_* for the server, LORCHESTRA_REPORT_FROM and
LORCHESTRA_REPORT_TO for weekly reports, LORCHESTRA_RISK_ALERT_EMAIL for same-day risk alerts
(:mod:`reporter.risk_alerts`). Nothing here is ever logged.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from lorchestra.api import Mailer, SmtpSettings, smtp_settings

__all__ = ["Mailer", "SmtpSettings", "build_message", "smtp_settings"]


def build_message(
    settings: SmtpSettings, subject: str, html: str, pdf: bytes, pdf_name: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = settings.recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lorchestra.local")
    message.set_content("This weekly report is in HTML; the PDF copy is attached.")
    message.add_alternative(html, subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    return message
