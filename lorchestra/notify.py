"""Deliver an alert's text: a JSON POST to a webhook and/or an email through SMTP.

Where alerts go comes from the environment, as the report mailer's SMTP settings do (they are
shared): ``LORCHESTRA_ALERT_WEBHOOK`` (a URL; it often holds a token, so it is never logged),
``LORCHESTRA_ALERT_EMAIL`` (recipient) with ``LORCHESTRA_SMTP_HOST``, ``LORCHESTRA_SMTP_PORT``
(587), ``LORCHESTRA_SMTP_USER``/``LORCHESTRA_SMTP_PASSWORD``, ``LORCHESTRA_SMTP_STARTTLS``
(true) and ``LORCHESTRA_ALERT_FROM`` (else ``LORCHESTRA_REPORT_FROM``). A failed delivery is
returned as a one-line reason naming the channel and the error type, never the URL or address.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from lorchestra.errors import ConfigError
from lorchestra.smtp import Mailer, smtp_settings

TIMEOUT_S = 15.0


@dataclass(frozen=True, repr=False)
class Channels:
    """Where alerts go; either may be absent."""

    webhook: str | None
    email: str | None
    env: Mapping[str, str]

    def __repr__(self) -> str:  # never show the URL (tokens) or addresses
        return f"Channels(webhook={self.webhook is not None}, email={self.email is not None})"

    @property
    def names(self) -> list[str]:
        return [name for name, value in (("webhook", self.webhook), ("email", self.email)) if value]


def channels_from_env(env: Mapping[str, str] | None = None) -> Channels:
    env = os.environ if env is None else env
    webhook = (env.get("LORCHESTRA_ALERT_WEBHOOK") or "").strip() or None
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        raise ConfigError("LORCHESTRA_ALERT_WEBHOOK must be an http:// or https:// URL.")
    email = (env.get("LORCHESTRA_ALERT_EMAIL") or "").strip() or None
    return Channels(webhook, email, env)


def deliver(channels: Channels, subject: str, text: str, data: dict[str, Any]) -> dict[str, str]:
    """Send to every configured channel; return ``{channel: "ok" | reason}``."""
    outcome: dict[str, str] = {}
    if channels.webhook:
        outcome["webhook"] = _guard("webhook", lambda: post_json(channels.webhook or "", data))
    if channels.email:
        outcome["email"] = _guard(
            "email", lambda: send_email(channels.env, channels.email or "", subject, text)
        )
    return outcome


def _guard(channel: str, send: Callable[[], None]) -> str:
    try:
        send()
    except ConfigError as exc:
        return f"{channel}: {exc}"
    except urllib.error.HTTPError as exc:
        return f"{channel}: the server answered HTTP {exc.code}"
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        return f"{channel}: {type(exc).__name__} while delivering"
    return "ok"


def post_json(url: str, data: dict[str, Any]) -> None:
    body = json.dumps(data, sort_keys=True).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "lorchestra-alerts"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - http(s) only, checked above
        response.read()


def send_email(env: Mapping[str, str], recipient: str, subject: str, text: str) -> None:
    settings = smtp_settings(
        {**env, "LORCHESTRA_ALERT_EMAIL": recipient},
        recipient_variable="LORCHESTRA_ALERT_EMAIL",
        sender_variables=("LORCHESTRA_ALERT_FROM", "LORCHESTRA_REPORT_FROM"),
        default_sender=f"lorchestra@{socket.gethostname()}",
        purpose="send alerts to LORCHESTRA_ALERT_EMAIL",
    )
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = settings.recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lorchestra.local")
    message.set_content(text)
    with Mailer(settings, timeout=TIMEOUT_S) as mailer:
        mailer.send(message)
