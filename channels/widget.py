"""The `widget` input channel: a Sanic blueprint that serves the embeddable chat widget.

Registered in credentials.yml; everything lives under /webhooks/widget/:

  GET  widget.js          the script clinic staff embed with one <script> tag
  GET  widget.css         its styles (loaded into the widget's shadow root)
  GET  demo               a demo page that embeds the script (can be turned off)
  GET  greeting           domain.yml's utter_greet, the widget's first message: {"messages": [...]}
  POST session            issues a new conversation: {"session": "<signed token>"}
  POST message            {"session", "message", "payload"?} -> {"messages": [...], "session"}
  POST history            {"session"} -> the conversation so far, to restore after a reload

The parts, one job each:
  sessions.py    signed session tokens, with an age and an idle limit
  ratelimit.py   the limits, in this process or shared through Redis
  transcript.py  the history replay, without personal details
  turns.py       what an answer means for the details (declined: deleted at once)
  headers.py     security headers; the demo's Content-Security-Policy
  guard.py       untrusted input and failures, shared with the REST channel

Each answer returns the session token to use next: renewed (the idle time starts again),
or a new conversation once a consultation request was sent or cancelled.
Cross-origin requests are allowed only from the configured origins. Typed text never
triggers an intent directly: only a button's payload naming one of the domain's own
intents does. Behind a reverse proxy, set SANIC_PROXIES_COUNT so per-address limits
see the visitor's address.
"""
import asyncio
import contextlib
import logging
import os
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import guard, headers, turns
from channels.ratelimit import Limits
from channels.sessions import Session, SessionSigner, load_key
from channels.transcript import bot_message, history_of

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
DEFAULTS: dict[str, Any] = {
    "allowed_origins": ["http://localhost", "http://localhost:*", "http://127.0.0.1", "http://127.0.0.1:*"],
    "max_message_length": 1000,
    "rate_limit_messages": 10,  # at most this many messages per session...
    "rate_limit_seconds": 20,  # ...within this many seconds
    "ip_sessions_per_10_minutes": 60,  # new conversations per client IP
    "ip_messages_per_minute": 120,  # messages per client IP (all its sessions)
    "history_per_minute": 20,  # history replays per session (page loads), six times that per client IP
    "rate_limit_store": "auto",  # memory | redis | auto (Redis when the lock store is)
    "session_idle_minutes": 30,  # a session unused this long ends (a shared device's next visitor)
    "session_max_age_hours": 24,
    "demo_page": True,  # /webhooks/widget/demo; false to turn it off
    "secret_file": "var/widget-secret",
}
EXPIRED = "Unknown or expired session: start a new conversation."


class WidgetInput(InputChannel):
    """Serves the chat widget and its message API."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(**{**DEFAULTS, **(credentials or {})})

    def __init__(
        self,
        allowed_origins: list[str],
        max_message_length: int,
        rate_limit_messages: int,
        rate_limit_seconds: float,
        ip_sessions_per_10_minutes: int,
        ip_messages_per_minute: int,
        history_per_minute: int,
        rate_limit_store: str,
        session_idle_minutes: float,
        session_max_age_hours: float,
        demo_page: bool,
        secret_file: str,
    ) -> None:
        env_origins = os.environ.get("WIDGET_ALLOWED_ORIGINS")
        if env_origins:
            allowed_origins = [o.strip() for o in env_origins.split(",") if o.strip()]
        self.allowed_origins = [self._normalise_origin(o) for o in allowed_origins]
        self._refused_origins_logged: set = set()
        # "*" stands for one host label or a port number: never a dot, colon or slash, so
        # "http://localhost:*" cannot match "http://localhost:80.evil.example".
        self._origin_patterns = [
            re.compile(re.escape(pattern).replace(r"\*", "[A-Za-z0-9-]+")) for pattern in self.allowed_origins
        ]
        self.max_message_length = int(max_message_length)
        self.demo_page = bool(demo_page)
        self.signer = SessionSigner(load_key(secret_file), max_age_seconds=float(session_max_age_hours) * 3600,
                                    idle_seconds=float(session_idle_minutes) * 60)
        limits = Limits(rate_limit_store)
        self.rate_limiter = limits.limiter("session-messages", int(rate_limit_messages), float(rate_limit_seconds))
        self.ip_sessions = limits.limiter("ip-sessions", int(ip_sessions_per_10_minutes), 600)
        self.ip_messages = limits.limiter("ip-messages", int(ip_messages_per_minute), 60)
        self.session_history = limits.limiter("session-history", int(history_per_minute), 60)
        self.ip_history = limits.limiter("ip-history", 6 * int(history_per_minute), 60)
        # One message at a time per conversation, so replies never interleave.
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = defaultdict(int)

    @staticmethod
    def _normalise_origin(origin: str) -> str:
        normalised = origin.strip().rstrip("/").lower()
        if normalised.count("/") > 2:
            logger.warning(f"Widget origin '{origin}' has a path; an origin is scheme://host[:port] only.")
        return normalised

    # --- origins ------------------------------------------------------------------------

    def origin_allowed(self, origin: str | None) -> bool:
        if not origin:
            return False
        return any(p.fullmatch(origin) for p in self._origin_patterns)

    def cors_headers(self, request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if origin is None or not self.origin_allowed(origin):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    def refuse_foreign_origin(self, request: Request) -> None:
        """Browsers send Origin on cross-origin calls; same-origin pages (the demo) may not."""
        origin = request.headers.get("origin")
        own = f"{request.scheme}://{request.host}"
        if origin and origin != own and not self.origin_allowed(origin):
            where = ("allowed_origins under channels.widget.WidgetInput in credentials.yml, or "
                     "WIDGET_ALLOWED_ORIGINS")
            if origin not in self._refused_origins_logged:  # once per site: the site's IT reads this
                self._refused_origins_logged.add(origin)
                logger.warning("The chat widget was refused on %s: that site is not allowed. To allow it, add it "
                               "to %s.", origin[:200], where)
            raise guard.Refused(403, "origin_not_allowed",
                                f"This site ({origin[:200]}) may not use the chat: add it to {where}.")

    # --- the blueprint ----------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("widget_webhook", __name__)

        @widget.middleware("response")
        async def add_headers(request: Request, resp: HTTPResponse) -> None:
            for name, value in {**headers.COMMON, **self.cors_headers(request)}.items():
                resp.headers.setdefault(name, value)
            origin = request.headers.get("origin")
            if origin and "Access-Control-Allow-Origin" not in resp.headers and (
                    request.method == "OPTIONS" or resp.status >= 400):
                # A site that is not allowed may read why (a refusal, never an answer): without
                # this its browser hides the 403, and the visitor sees "can't be reached".
                resp.headers["Access-Control-Allow-Origin"] = origin
                resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
                resp.headers["Vary"] = "Origin"

        @widget.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return guard.json_response({"status": "ok"})

        @widget.route("/widget.js", methods=["GET"])
        async def script(request: Request) -> HTTPResponse:
            return await self._static("widget.js", "application/javascript; charset=utf-8")

        @widget.route("/widget.css", methods=["GET"])
        async def styles(request: Request) -> HTTPResponse:
            return await self._static("widget.css", "text/css; charset=utf-8")

        @widget.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            if not self.demo_page:
                return guard.error(404, "not_found", "The demo page is turned off (demo_page in credentials.yml).")
            return await self._static("demo.html", "text/html; charset=utf-8", page=True)

        @widget.route("/greeting", methods=["GET"])
        async def greeting(request: Request) -> HTTPResponse:
            # The response a visitor's "hi" gets, so the widget greets in the same words.
            # Nothing is stored: opening the chat does not start a conversation.
            try:
                self.refuse_foreign_origin(request)
            except guard.Refused as refused:
                return refused.response()
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or agent.domain is None:
                return guard.error(503, "unavailable", guard.UNAVAILABLE)
            tracker = DialogueStateTracker("widget-greeting", agent.domain.slots)
            reply = await agent.nlg.generate("utter_greet", tracker, self.name()) or {}
            return response.json({"messages": [bot_message(reply.get("text"), reply.get("buttons"))]})

        # CORS preflight: allowed origins get Access-Control-Allow-Origin (added by
        # add_headers), others don't, so their browsers refuse to send the request.
        async def preflight(request: Request) -> HTTPResponse:
            return response.empty(status=204)

        for path in ("greeting", "session", "message", "history"):
            widget.add_route(preflight, f"/{path}", methods=["OPTIONS"], name=f"preflight_{path}")

        @widget.route("/session", methods=["POST"])
        async def new_session(request: Request) -> HTTPResponse:
            try:
                self.refuse_foreign_origin(request)
                if not await self.ip_sessions.allow(self._client(request)):
                    raise guard.Refused(429, "rate_limited",
                                        "Too many new conversations from this address. Please wait a few minutes.")
            except guard.Refused as refused:
                return refused.response()
            return guard.json_response({"session": self.signer.issue(), "max_message_length": self.max_message_length})

        @widget.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            try:
                self.refuse_foreign_origin(request)
                body, session = self._signed_request(request, '{"session": ..., "message": ...}')
                text = guard.message_text(body.get("message"), self.max_message_length)
                if not (await self.rate_limiter.allow(session.sender_id)
                        and await self.ip_messages.allow(self._client(request))):
                    raise guard.Refused(429, "rate_limited",
                                        "You're sending messages very quickly. Please wait a moment.")
                payload = guard.domain_intent(request, body.get("payload"))
                # A click is stored as its payload; its title is kept to show it in the history.
                metadata = {"button_title": text} if payload else None
                collector = turns.TurnCollector()
                async with self._conversation_lock(session.sender_id):
                    await guard.handle(on_new_message, UserMessage(
                        payload or guard.typed(text), collector, session.sender_id, input_channel=self.name(),
                        metadata=metadata,
                    ))
            except guard.Refused as refused:
                return refused.response()
            await turns.forget_declined(collector, session.sender_id)
            # A request sent or cancelled: the next message starts a fresh conversation, so
            # this one (and the details in it) is never replayed on this device.
            next_session = self.signer.issue() if collector.closed_a_request else self.signer.renewed(session)
            return guard.json_response({
                "messages": [bot_message(m.get("text"), m.get("buttons")) for m in collector.messages],
                "session": next_session,
            })

        @widget.route("/history", methods=["POST"])
        async def history(request: Request) -> HTTPResponse:
            try:
                self.refuse_foreign_origin(request)
                _, session = self._signed_request(request, '{"session": ...}')
                if not (await self.session_history.allow(session.sender_id)
                        and await self.ip_history.allow(self._client(request))):
                    raise guard.Refused(429, "rate_limited", "Too many requests. Please wait a moment.")
                tracker = await guard.read_tracker(request, session.sender_id)
            except guard.Refused as refused:
                return refused.response()
            return guard.json_response({"messages": history_of(tracker), "session": self.signer.renewed(session)})

        return widget

    @staticmethod
    def _client(request: Request) -> str:
        return request.remote_addr or request.ip

    def _signed_request(self, request: Request, example: str) -> tuple[dict[str, Any], Session]:
        """The JSON body of a request and the session it names, or Refused."""
        body = guard.json_object(request, example)
        session = self.signer.verify(body.get("session"))
        if session is None:
            raise guard.Refused(401, "invalid_session", EXPIRED)
        return body, session

    @contextlib.asynccontextmanager
    async def _conversation_lock(self, sender_id: str) -> AsyncIterator[None]:
        # Locks exist only while a conversation has a message in flight.
        lock = self._locks.setdefault(sender_id, asyncio.Lock())
        self._lock_users[sender_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users[sender_id] -= 1
            if not self._lock_users[sender_id]:
                del self._lock_users[sender_id], self._locks[sender_id]

    @staticmethod
    async def _static(name: str, content_type: str, page: bool = False) -> HTTPResponse:
        body = await asyncio.get_running_loop().run_in_executor(None, (STATIC / name).read_bytes)
        extra = headers.page_headers(body.decode("utf-8")) if page else {}
        return response.raw(body, content_type=content_type, headers={"Cache-Control": "no-cache", **extra})
