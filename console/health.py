"""The "Health" page: is everything the assistant needs there and working?

The model and when it was trained (its metadata.json), whether the Rasa server and the
action server answer (with ACTIONS_IN_PROCESS=1, `make run`'s default, the custom actions run
inside the Rasa server: there is no action server to ask), which stores hold the conversations, locks, requests and the
console's own data (passwords hidden), and when the retention purge last ran. Also
GET /healthz, without sign-in, for a load balancer: the console itself is up.
"""
import asyncio
import json
import os
import tarfile
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sqlalchemy.engine import make_url

from console.pages import render
from leads.intake import request_store
from leads.settings import SettingsError, conversation_store_url

PROBE_TIMEOUT = aiohttp.ClientTimeout(total=3)


@lru_cache(maxsize=4)
def _model_metadata(path: str, modified: float) -> dict:
    with tarfile.open(path, "r:gz") as archive:
        member = archive.extractfile("metadata.json")
        return json.load(member) if member else {}


def model_info(path: Path) -> dict:
    if not path.is_file():
        return {"ok": False, "name": str(path), "problem": "no trained model here: run `make train`"}
    try:
        metadata = _model_metadata(str(path), path.stat().st_mtime)
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        return {"ok": False, "name": path.name, "problem": f"cannot be read ({type(error).__name__})"}
    trained = metadata.get("trained_at")
    return {"ok": True, "name": path.name, "trained_at": datetime.fromisoformat(trained) if trained else None,
            "rasa": metadata.get("rasa_open_source_version"), "id": metadata.get("model_id")}


async def probe(url: str) -> dict:
    try:
        async with aiohttp.ClientSession(timeout=PROBE_TIMEOUT) as client:
            async with client.get(url) as reply:
                return {"ok": reply.status == 200, "detail": f"HTTP {reply.status}"}
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as error:
        return {"ok": False, "detail": f"no answer ({type(error).__name__})"}


def store(url: str | None) -> str:
    if not url:
        return "not configured"
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - shown as unreadable, never echoed (it may hold a password)
        return "an unreadable URL"
    return f"{parsed.get_backend_name()} ({parsed.render_as_string(hide_password=True)})"


def actions_in_process(environ=os.environ) -> bool:
    """The custom actions run inside the Rasa server (serving/actions_in_process.py)."""
    return environ.get("ACTIONS_IN_PROCESS", "").strip() == "1"


def action_server_health(webhook_url: str) -> str:
    base = webhook_url[: -len("/webhook")] if webhook_url.endswith("/webhook") else webhook_url.rstrip("/")
    return base + "/health"


pages = Blueprint("health")


@pages.get("/healthz")
async def healthz(request: Request):
    return response.json({"status": "ok"})


@pages.get("/health")
async def health_page(request: Request):
    settings = request.app.ctx.settings
    in_process = actions_in_process()
    if in_process:  # the Rasa server's answer is the actions' too
        rasa = actions = await probe(settings.rasa_url + "/")
    else:
        rasa, actions = await asyncio.gather(probe(settings.rasa_url + "/"),
                                             probe(action_server_health(settings.action_server_url)))
    purge, purge_problem, retention_days = None, None, None
    try:
        leads_settings = request.app.ctx.leads_settings()
        retention_days = leads_settings.retention_days
        purge = request_store(leads_settings.db_url).last_purge()
        requests_db = store(leads_settings.db_url)
    except SettingsError as error:
        purge_problem, requests_db = str(error), "unavailable"
    except Exception as error:  # noqa: BLE001 - the page reports it rather than failing (type only: no URLs)
        purge_problem, requests_db = f"the requests' database did not answer ({type(error).__name__})", "unavailable"
    return render(request, "health.html", model=model_info(settings.model), rasa=rasa, actions=actions,
                  rasa_url=settings.rasa_url, actions_url=action_server_health(settings.action_server_url),
                  actions_in_process=in_process,
                  stores={"Conversations (tracker store)": store(conversation_store_url()),
                          "Conversation locks (lock store)": os.environ.get("LOCK_STORE_TYPE") or "in_memory",
                          "Consultation requests": requests_db, "Console (accounts, audit log, labels)":
                          store(settings.db_url)},
                  purge=purge, purge_problem=purge_problem, retention_days=retention_days)
