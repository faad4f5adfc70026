"""Renders the console's pages: Jinja2 templates (console/templates/), autoescaped.

Every page gets the signed-in staff member, the session's CSRF token for its forms, and
``when()``, which shows a stored UTC time in the clinic's time zone (leads.yml).
"""
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from leads.export import zone_name

TEMPLATES = Path(__file__).resolve().parent / "templates"
environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def clinic_zone(request: Request):
    try:
        return request.app.ctx.leads_settings().time_zone
    except Exception:  # noqa: BLE001 - a broken leads.yml is reported on the pages that need it
        return timezone.utc


def render(request: Request, template: str, status: int = 200, headers: dict | None = None,
           **context) -> HTTPResponse:
    session = getattr(request.ctx, "session", None)
    zone = clinic_zone(request)

    def when(moment: datetime | None, seconds: bool = False) -> str:
        if moment is None:
            return "-"
        if isinstance(moment, (int, float)):
            moment = datetime.fromtimestamp(moment, timezone.utc)
        elif moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))

    page = environment.get_template(template).render(
        staff=session.email if session else None, csrf_token=session.csrf_token if session else "",
        path=request.path, when=when, zone=zone_name(zone), **context)
    return response.html(page, status=status, headers=headers)


def error_page(request: Request, status: int, title: str, message: str) -> HTTPResponse:
    return render(request, "error.html", status=status, title=title, message=message)
