"""Tells the clinic a consultation request arrived: by webhook or email, or not at all.

Configured in leads.yml (``notification.via``), off by default. The message holds the
request's number and time only, never the visitor's details: webhooks often go to
third-party chat services and email travels in the clear, so staff read the details
in the staff console (the message links to the request's page when CONSOLE_URL is set)
or with ``make leads`` on the server. Raises on failure; ``intake`` logs it and goes on.

Both carry a secret, so both check the server's certificate (the system's CAs; a
private CA through SSL_CERT_FILE for SMTP, REQUESTS_CA_BUNDLE for the webhook). The
webhook follows no redirect: a redirect could send the token somewhere else.
"""
import smtplib
import ssl
from email.message import EmailMessage

import requests

from leads.details import ConsultationRequest
from leads.settings import Settings, Smtp, Webhook

TIMEOUT_SECONDS = 10


def message(request: ConsultationRequest, console_url: str | None = None) -> str:
    where = (f"Open it in the staff console: {console_url}/requests/{request.id}" if console_url
             else "See it with `make leads` on the assistant's server.")
    return f"New consultation request #{request.id}, received {request.received_at:%Y-%m-%d %H:%M} UTC. {where}"


def notify(settings: Settings, request: ConsultationRequest) -> None:
    # load() sets the section that notification.via names, and only that one.
    if settings.notify_via == "webhook" and settings.webhook is not None:
        _webhook(settings.webhook, request, settings.console_url)
    elif settings.notify_via == "smtp" and settings.smtp is not None:
        _email(settings.smtp, request, settings.console_url)


def _webhook(hook: Webhook, request: ConsultationRequest, console_url: str | None) -> None:
    assert request.received_at is not None  # a stored request
    headers = {"Authorization": f"Bearer {hook.token}"} if hook.token else {}
    body = {"text": message(request, console_url), "request_id": request.id,
            "received_at": request.received_at.isoformat() + "Z"}
    reply = requests.post(hook.url, json=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False,
                          verify=True)
    reply.raise_for_status()
    if 300 <= reply.status_code < 400:
        raise requests.HTTPError(f"the webhook answered with a redirect ({reply.status_code}); use its final URL")


def _email(smtp: Smtp, request: ConsultationRequest, console_url: str | None) -> None:
    mail = EmailMessage()
    mail["Subject"] = f"New consultation request #{request.id}"
    mail["From"] = smtp.sender
    mail["To"] = smtp.recipient
    mail.set_content(message(request, console_url))
    with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS) as server:
        if smtp.starttls:
            server.starttls(context=ssl.create_default_context())
        if smtp.user:
            server.login(smtp.user, smtp.password or "")
        server.send_message(mail)
