"""The "Widget" page: the embed tag with its options, a live preview, the allowed origins.

The preview is the real widget: the same widget.js and widget.css (channels/static/),
served from the console's own origin and talking to the real assistant through the
console (POST /widget/assets/{session,message,history} is relayed to RASA_URL), so the
page loads nothing from another origin. It runs in a same-origin frame, rebuilt when an
option changes (static/widget-setup.js), because the widget reads its options once.

The allowed origins are worked out as the widget channel does (channels/widget.py):
WIDGET_ALLOWED_ORIGINS, else credentials.yml, else the trial default (local pages only).
"""
import html
import os
import re
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import yaml
from sanic import Blueprint, response
from sanic.request import Request

from console.pages import render

WIDGET_FILES = Path(__file__).resolve().parent.parent / "channels" / "static"
TRIAL_ORIGINS = ["http://localhost", "http://localhost:*", "http://127.0.0.1", "http://127.0.0.1:*"]
LOCAL_HOST = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:[\d*]+)?$")
# The tag's options, in the order of its attributes: (field, data-attribute, label, default).
OPTIONS = [
    ("title", "data-title", "Title", ""),
    ("accent", "data-accent", "Accent colour", "#2f6f6a"),
    ("position", "data-position", "Position", "right"),
]
MAX_OPTION = 300
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(rgb|hsl)a?\([\d\s.,%/]+\)")
# The widget's calls the preview makes, and their methods (channels/widget.py's routes).
RELAYED = {"greeting": "GET", "session": "POST", "message": "POST", "history": "POST"}
RELAY_TIMEOUT = aiohttp.ClientTimeout(total=30)


def allowed_origins(credentials: Path) -> dict[str, object]:
    from_env = os.environ.get("WIDGET_ALLOWED_ORIGINS")
    if from_env:
        origins, source = [o.strip() for o in from_env.split(",") if o.strip()], "WIDGET_ALLOWED_ORIGINS"
    else:
        try:
            channel = (yaml.safe_load(credentials.read_text(encoding="utf-8")) or {}).get("channels.widget.WidgetInput")
        except (OSError, yaml.YAMLError):
            channel = None
        configured = (channel or {}).get("allowed_origins") if isinstance(channel, dict) else None
        origins, source = (list(configured), credentials.name) if configured else (TRIAL_ORIGINS, "the default")
    origins = [str(o).strip().rstrip("/").lower() for o in origins]
    return {"origins": origins, "source": source, "trial": all(LOCAL_HOST.match(o) for o in origins)}


def chosen_options(request: Request) -> (dict[str, str], list[str]):
    values, problems = {}, []
    for name, _attribute, _label, default in OPTIONS:
        value = " ".join((request.args.get(name) or default).split())[:MAX_OPTION]
        values[name] = value
    if values["accent"] and not COLOUR.fullmatch(values["accent"]):
        problems.append("Accent colour: use a colour like #2f6f6a, teal or rgb(47, 111, 106).")
        values["accent"] = "#2f6f6a"
    if values["position"] not in ("right", "left"):
        problems.append("Position: right or left.")
        values["position"] = "right"
    return values, problems


def attributes(values: dict[str, str]) -> str:
    """The tag's data- attributes for the options that differ from the widget's defaults."""
    return "".join(f' {attribute}="{html.escape(values[name], quote=True)}"'
                   for name, attribute, _label, default in OPTIONS if values[name] and values[name] != default)


def embed_tag(base: str, values: dict[str, str]) -> str:
    return f'<script src="{base}/webhooks/widget/widget.js" defer{attributes(values)}></script>'


pages = Blueprint("widget_setup")


@pages.get("/widget")
async def setup_page(request: Request):
    settings = request.app.ctx.settings
    values, problems = chosen_options(request)
    query = urlencode({k: v for k, v in values.items() if v})
    return render(request, "widget.html", options=OPTIONS, values=values, problems=problems,
                  tag=embed_tag(settings.assistant_url, values), preview_url=f"/widget/preview?{query}",
                  allowed=allowed_origins(settings.credentials), assistant_url=settings.assistant_url)


@pages.get("/widget/preview")
async def preview(request: Request):
    values, _ = chosen_options(request)
    return render(request, "widget_preview.html", attributes=attributes(values),
                  headers={"X-Frame-Options": "SAMEORIGIN"})


@pages.get("/widget/assets/widget.js")
async def widget_script(request: Request):
    return await response.file(WIDGET_FILES / "widget.js", mime_type="application/javascript; charset=utf-8",
                               headers={"Cache-Control": "no-cache"})


@pages.get("/widget/assets/widget.css")
async def widget_styles(request: Request):
    return await response.file(WIDGET_FILES / "widget.css", mime_type="text/css; charset=utf-8",
                               headers={"Cache-Control": "no-cache"})


async def relay(request: Request, endpoint: str):
    """The preview's calls, passed on to the real assistant (no Origin: it is ours)."""
    if RELAYED.get(endpoint) != request.method:
        return response.json({"error": "not_found"}, status=404)
    url = f"{request.app.ctx.settings.rasa_url}/webhooks/widget/{endpoint}"
    body = {"data": request.body, "headers": {"Content-Type": "application/json"}} if request.method == "POST" else {}
    try:
        async with aiohttp.ClientSession(timeout=RELAY_TIMEOUT) as client:
            async with client.request(request.method, url, **body) as reply:
                body = await reply.read()
                return response.raw(body, status=reply.status, content_type=reply.headers.get(
                    "Content-Type", "application/json"))
    except (aiohttp.ClientError, OSError, TimeoutError):
        return response.json({"error": "unavailable", "message": "The assistant can't be reached from the console."},
                             status=503)


pages.add_route(relay, "/widget/assets/<endpoint:str>", methods=["GET", "POST"])
