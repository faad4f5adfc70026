"""Settings for consultation requests: leads.yml, plus the environment.

One YAML file (``leads.yml``, or the file named in ``LEADS_SETTINGS``) holds the
retention period and the notification; the database is ``LEADS_DB_URL``; secrets
(webhook token, SMTP login) come only from the environment, never from the file.
Every problem raises ``SettingsError`` with a message that names the setting.
"""
import os
from dataclasses import dataclass
from datetime import timezone, tzinfo
from pathlib import Path
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "leads.yml"
DEFAULT_DB_URL = "sqlite:///var/leads.db"
NOTIFY_VIA = ("off", "webhook", "smtp")


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Webhook:
    url: str
    token: Optional[str]  # LEADS_WEBHOOK_TOKEN


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    starttls: bool
    sender: str
    recipient: str
    user: Optional[str]  # LEADS_SMTP_USER
    password: Optional[str]  # LEADS_SMTP_PASSWORD


@dataclass(frozen=True)
class Settings:
    db_url: str
    retention_days: int
    notify_via: str
    webhook: Optional[Webhook] = None
    smtp: Optional[Smtp] = None
    file: Optional[Path] = None
    # The clinic's time zone: times in exports and listings are shown in it (stored in UTC).
    time_zone: tzinfo = timezone.utc
    # The staff console's address (CONSOLE_URL): notifications link to the request's page.
    console_url: Optional[str] = None


def load(path: Optional[Path] = None, environ: Mapping[str, str] = os.environ) -> Settings:
    path = Path(path or environ.get("LEADS_SETTINGS") or DEFAULT_FILE)
    if not path.is_file():
        raise SettingsError(f"{path}: settings file not found (copy leads.yml from the project, or set LEADS_SETTINGS)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SettingsError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected settings like 'retention_days: 30', found {type(data).__name__}")

    days = data.get("retention_days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise SettingsError(f"{path}: retention_days must be a whole number of days, 1 or more (found {days!r})")

    time_zone = _time_zone(data.get("time_zone", "UTC"), path)

    notification = data.get("notification") or {}
    if not isinstance(notification, dict):
        raise SettingsError(f"{path}: notification must be a section with 'via: off', 'webhook' or 'smtp'")
    via = notification.get("via", "off")
    via = "off" if via is False or via is None else str(via).strip().lower()  # YAML reads a bare off as False
    if via not in NOTIFY_VIA:
        raise SettingsError(f"{path}: notification.via must be one of {', '.join(NOTIFY_VIA)} (found {via!r})")

    webhook = smtp = None
    if via == "webhook":
        url = str(_section(notification, "webhook", path).get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            raise SettingsError(f"{path}: notification.webhook.url must be an http(s) URL when via is webhook")
        webhook = Webhook(url=url, token=environ.get("LEADS_WEBHOOK_TOKEN") or None)
    elif via == "smtp":
        section = _section(notification, "smtp", path)
        missing = [key for key in ("host", "from", "to") if not str(section.get(key) or "").strip()]
        if missing:
            raise SettingsError(f"{path}: notification.smtp needs {', '.join(missing)} when via is smtp")
        port = section.get("port", 587)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise SettingsError(f"{path}: notification.smtp.port must be a port number (found {port!r})")
        smtp = Smtp(
            host=str(section["host"]).strip(), port=port, starttls=bool(section.get("starttls", True)),
            sender=str(section["from"]).strip(), recipient=str(section["to"]).strip(),
            user=environ.get("LEADS_SMTP_USER") or None, password=environ.get("LEADS_SMTP_PASSWORD") or None,
        )
    return Settings(
        db_url=environ.get("LEADS_DB_URL") or DEFAULT_DB_URL, retention_days=days, notify_via=via,
        webhook=webhook, smtp=smtp, file=path, time_zone=time_zone,
        console_url=(environ.get("CONSOLE_URL") or "").strip().rstrip("/") or None,
    )


def _time_zone(name: Any, path: Path) -> tzinfo:
    if str(name).strip().upper() == "UTC":
        return timezone.utc  # needs no time zone database
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"{path}: time_zone must be a time zone name such as Europe/Berlin or UTC (found {name!r}; "
            f"if the name is right, the system's time zone data is missing: install tzdata)"
        ) from None


def _section(notification: dict, name: str, path: Path) -> dict:
    section: Any = notification.get(name) or {}
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: notification.{name} must be a section of settings")
    return section


def conversation_store_url(environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """Rasa's tracker store (TRACKER_STORE_URL, as in endpoints.yml), whose conversations
    hold the visitors' details too. None when it is not set: nothing to delete there."""
    return environ.get("TRACKER_STORE_URL") or None
