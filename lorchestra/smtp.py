"""SMTP delivery, one way for every sender: reports, risk alerts and operational alerts.

Settings come from environment variables, never logged: LORCHESTRA_SMTP_HOST,
LORCHESTRA_SMTP_PORT (default 587), LORCHESTRA_SMTP_USER, LORCHESTRA_SMTP_PASSWORD and
LORCHESTRA_SMTP_STARTTLS (default true). The sender and recipient variables depend on what is
sent (LORCHESTRA_REPORT_FROM/LORCHESTRA_REPORT_TO for reports, LORCHESTRA_RISK_ALERT_EMAIL for
risk alerts, LORCHESTRA_ALERT_FROM/LORCHESTRA_ALERT_EMAIL for operational alerts). STARTTLS
verifies the server's certificate against the system trust store (``SSL_CERT_FILE`` overrides
it, as for any OpenSSL client).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from lorchestra.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, repr=False)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    sender: str
    recipient: str

    def __repr__(self) -> str:  # never show credentials or addresses
        return f"SmtpSettings(port={self.port}, starttls={self.starttls})"


def smtp_settings(
    env: Mapping[str, str] | None = None,
    *,
    recipient_variable: str = "LORCHESTRA_REPORT_TO",
    sender_variables: Sequence[str] = ("LORCHESTRA_REPORT_FROM",),
    default_sender: str | None = None,
    purpose: str = "send reports (--send)",
) -> SmtpSettings:
    """Read and check the SMTP settings; a missing or bad one raises ConfigError (by name).

    The recipient comes from ``recipient_variable``; the sender from the first of
    ``sender_variables`` that is set, else ``default_sender`` (when there is none, the first
    variable is required)."""
    env = os.environ if env is None else env

    def need(name: str) -> str:
        value = (env.get(name) or "").strip()
        if not value:
            raise ConfigError(f"{name} is not set; it is needed to {purpose}")
        return value

    host = need("LORCHESTRA_SMTP_HOST")
    port_text = (env.get("LORCHESTRA_SMTP_PORT") or "587").strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError("LORCHESTRA_SMTP_PORT must be a port number")
    starttls_text = (env.get("LORCHESTRA_SMTP_STARTTLS") or "true").strip().lower()
    if starttls_text not in _TRUE | _FALSE:
        raise ConfigError("LORCHESTRA_SMTP_STARTTLS must be true or false")
    user = (env.get("LORCHESTRA_SMTP_USER") or "").strip() or None
    password = env.get("LORCHESTRA_SMTP_PASSWORD") or None
    if user and not password:
        raise ConfigError("LORCHESTRA_SMTP_USER is set but LORCHESTRA_SMTP_PASSWORD is not")
    senders = [(env.get(name) or "").strip() for name in sender_variables]
    sender = next((s for s in senders if s), default_sender) or need(sender_variables[0])
    return SmtpSettings(
        host=host,
        port=int(port_text),
        user=user,
        password=password,
        starttls=starttls_text in _TRUE,
        sender=sender,
        recipient=need(recipient_variable),
    )


class Mailer:
    """One SMTP connection: ``with Mailer(settings) as m: m.send(message)``."""

    def __init__(self, settings: SmtpSettings, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        smtp = smtplib.SMTP(self.settings.host, self.settings.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.settings.user and self.settings.password:
                smtp.login(self.settings.user, self.settings.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return self

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            raise RuntimeError("use Mailer as a context manager")
        self._smtp.send_message(message)

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                self._smtp.close()
            self._smtp = None
