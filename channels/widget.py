"""The `widget` input channel: a Sanic blueprint that serves the embeddable chat widget.

Registered in credentials.yml; everything lives under /webhooks/widget/:

  GET  widget.js          the script clinic staff embed with one <script> tag
  GET  widget.css         its styles (loaded into the widget's shadow root)
  GET  demo               a demo page that embeds the script
  GET  greeting           domain.yml's utter_greet, the widget's first message: {"messages": [...]}
  POST session            issues a new conversation: {"session": "<signed id>"}
  POST message            {"session", "message", "payload"?} -> {"messages": [...]}
  POST history            {"session"} -> the conversation so far, to restore after a reload

Sessions are issued by the server and signed (HMAC-SHA256), so a browser cannot
invent or guess another visitor's conversation id. The signing key comes from
WIDGET_SECRET, or from a key file created on first use (so sessions survive a
restart). Cross-origin requests are allowed only from the configured origins.

Abuse limits: messages per session, and new sessions and messages per client IP
(behind a reverse proxy, configure Sanic to trust its forwarded headers so the IP
is the visitor's). Typed text never triggers an intent directly: only a button's
payload naming one of the domain's own intents does.
"""
import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import guard

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
SESSION_PREFIX = "widget-"
DEFAULTS: Dict[Text, Any] = {
    "allowed_origins": ["http://localhost", "http://localhost:*", "http://127.0.0.1", "http://127.0.0.1:*"],
    "max_message_length": 1000,
    "rate_limit_messages": 10,  # at most this many messages per session...
    "rate_limit_seconds": 20,  # ...within this many seconds
    "ip_sessions_per_10_minutes": 60,  # new conversations per client IP
    "ip_messages_per_minute": 120,  # messages per client IP (all its sessions)
    "secret_file": "var/widget-secret",
}
MIN_KEY_BYTES = 32


class SessionSigner:
    """Issues and verifies session ids of the form ``widget-<random>.<hmac>``."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, sender_id: Text) -> Text:
        return hmac.new(self._key, sender_id.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> Text:
        sender_id = SESSION_PREFIX + secrets.token_urlsafe(18)
        return f"{sender_id}.{self._mac(sender_id)}"

    def verify(self, session: Any) -> Optional[Text]:
        """The conversation id a session token stands for, or None if it is not ours."""
        if not isinstance(session, str) or len(session) > 200 or not session.isascii() or "." not in session:
            return None
        sender_id, mac = session.rsplit(".", 1)
        if not sender_id.startswith(SESSION_PREFIX):
            return None
        return sender_id if hmac.compare_digest(mac, self._mac(sender_id)) else None


def load_key(secret_file: Text) -> bytes:
    """WIDGET_SECRET if set; otherwise a random key kept in ``secret_file``."""
    key = os.environ.get("WIDGET_SECRET", "").encode()
    if not key:
        path = Path(secret_file)
        if not path.exists():
            # Written whole under a temporary name, then linked into place: a second
            # process starting at the same moment reads either nothing or the full key.
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        key = path.read_text().strip().encode()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"The widget's signing key must be at least {MIN_KEY_BYTES} characters "
            f"(set WIDGET_SECRET, or delete {secret_file} to have a new one made)."
        )
    return key


class RateLimiter:
    """At most ``limit`` events per key within a sliding window of ``seconds``."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._events: Dict[Text, Deque[float]] = defaultdict(deque)
        self._last_sweep = time.monotonic()

    def allow(self, key: Text) -> bool:
        now = time.monotonic()
        self._forget_idle(now)
        events = self._events[key]
        while events and now - events[0] > self.seconds:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        # Once per window, forget keys with no recent events: memory stays bounded by
        # the keys active within the last two windows.
        if now - self._last_sweep > self.seconds:
            self._last_sweep = now
            for key in [k for k, e in self._events.items() if not e or now - e[-1] > self.seconds]:
                del self._events[key]


class WidgetInput(InputChannel):
    """Serves the chat widget and its message API."""

    @classmethod
    def name(cls) -> Text:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(**{**DEFAULTS, **(credentials or {})})

    def __init__(
        self,
        allowed_origins: List[Text],
        max_message_length: int,
        rate_limit_messages: int,
        rate_limit_seconds: float,
        ip_sessions_per_10_minutes: int,
        ip_messages_per_minute: int,
        secret_file: Text,
    ) -> None:
        env_origins = os.environ.get("WIDGET_ALLOWED_ORIGINS")
        if env_origins:
            allowed_origins = [o.strip() for o in env_origins.split(",") if o.strip()]
        self.allowed_origins = [self._normalise_origin(o) for o in allowed_origins]
        # "*" stands for one host label or a port number: never a dot, colon or slash, so
        # "http://localhost:*" cannot match "http://localhost:80.evil.example".
        self._origin_patterns = [
            re.compile(re.escape(pattern).replace(r"\*", "[A-Za-z0-9-]+")) for pattern in self.allowed_origins
        ]
        self.max_message_length = int(max_message_length)
        self.signer = SessionSigner(load_key(secret_file))
        self.rate_limiter = RateLimiter(int(rate_limit_messages), float(rate_limit_seconds))
        self.ip_sessions = RateLimiter(int(ip_sessions_per_10_minutes), 600)
        self.ip_messages = RateLimiter(int(ip_messages_per_minute), 60)
        # One message at a time per conversation, so replies never interleave.
        self._locks: Dict[Text, asyncio.Lock] = {}
        self._lock_users: Dict[Text, int] = defaultdict(int)

    @staticmethod
    def _normalise_origin(origin: Text) -> Text:
        normalised = origin.strip().rstrip("/").lower()
        if normalised.count("/") > 2:
            logger.warning(f"Widget origin '{origin}' has a path; an origin is scheme://host[:port] only.")
        return normalised

    # --- origins ------------------------------------------------------------------------

    def origin_allowed(self, origin: Optional[Text]) -> bool:
        return bool(origin) and any(p.fullmatch(origin) for p in self._origin_patterns)

    def cors_headers(self, request: Request) -> Dict[Text, Text]:
        origin = request.headers.get("origin")
        if not self.origin_allowed(origin):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    def refuse_foreign_origin(self, request: Request) -> Optional[HTTPResponse]:
        """Browsers send Origin on cross-origin calls; same-origin pages (the demo) may not."""
        origin = request.headers.get("origin")
        own = f"{request.scheme}://{request.host}"
        if origin and origin != own and not self.origin_allowed(origin):
            return guard.error(403, "origin_not_allowed", f"This site ({origin}) may not use the chat.")
        return None

    # --- the blueprint ----------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("widget_webhook", __name__)

        @widget.middleware("response")
        async def add_cors(request: Request, resp: HTTPResponse) -> None:
            resp.headers.update(self.cors_headers(request))

        @widget.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @widget.route("/widget.js", methods=["GET"])
        async def script(request: Request) -> HTTPResponse:
            return await self._static("widget.js", "application/javascript; charset=utf-8")

        @widget.route("/widget.css", methods=["GET"])
        async def styles(request: Request) -> HTTPResponse:
            return await self._static("widget.css", "text/css; charset=utf-8")

        @widget.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            return await self._static("demo.html", "text/html; charset=utf-8")

        @widget.route("/greeting", methods=["GET"])
        async def greeting(request: Request) -> HTTPResponse:
            # The response a visitor's "hi" gets, so the widget greets in the same words.
            # Nothing is stored: opening the chat does not start a conversation.
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or agent.domain is None:
                return guard.error(503, "unavailable", guard.UNAVAILABLE)
            tracker = DialogueStateTracker("widget-greeting", agent.domain.slots)
            reply = await agent.nlg.generate("utter_greet", tracker, self.name()) or {}
            return response.json({"messages": [bot_message(reply.get("text"), reply.get("buttons"))]})

        # CORS preflight: allowed origins get Access-Control-Allow-Origin (added by
        # add_cors), others don't, so their browsers refuse to send the request.
        async def preflight(request: Request) -> HTTPResponse:
            return response.empty(status=204)

        for path in ("session", "message", "history"):
            widget.add_route(preflight, f"/{path}", methods=["OPTIONS"], name=f"preflight_{path}")

        @widget.route("/session", methods=["POST"])
        async def new_session(request: Request) -> HTTPResponse:
            refused = self.refuse_foreign_origin(request)
            if refused:
                return refused
            if not self.ip_sessions.allow(request.remote_addr or request.ip):
                return guard.error(429, "rate_limited", "Too many new conversations from this address. Please wait a few minutes.")
            return response.json({"session": self.signer.issue(), "max_message_length": self.max_message_length})

        @widget.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            refused = self.refuse_foreign_origin(request)
            if refused:
                return refused
            try:
                body, sender_id = self._signed_request(request, '{"session": ..., "message": ...}')
                text = guard.message_text(body.get("message"), self.max_message_length)
                if not self.rate_limiter.allow(sender_id) or not self.ip_messages.allow(request.remote_addr or request.ip):
                    raise guard.Refused(429, "rate_limited", "You're sending messages very quickly. Please wait a moment.")
                payload = guard.domain_intent(request, body.get("payload"))
                # A click is stored as its payload; its title is kept to show it in the history.
                metadata = {"button_title": text} if payload else None
                collector = CollectingOutputChannel()
                async with self._conversation_lock(sender_id):
                    await guard.handle(on_new_message, UserMessage(
                        payload or guard.typed(text), collector, sender_id, input_channel=self.name(), metadata=metadata
                    ))
            except guard.Refused as refused:
                return refused.response()
            return response.json({"messages": [bot_message(m.get("text"), m.get("buttons")) for m in collector.messages]})

        @widget.route("/history", methods=["POST"])
        async def history(request: Request) -> HTTPResponse:
            refused = self.refuse_foreign_origin(request)
            if refused:
                return refused
            try:
                _, sender_id = self._signed_request(request, '{"session": ...}')
            except guard.Refused as refused:
                return refused.response()
            agent = getattr(request.app.ctx, "agent", None)
            try:
                tracker = await agent.tracker_store.retrieve(sender_id)
            except Exception as failure:
                logger.error(f"Could not read a widget conversation from the tracker store: {guard.describe(failure)}")
                return guard.error(503, "unavailable", "The conversation can't be loaded right now. Please try again.")
            return response.json({"messages": history_of(tracker)})

        return widget

    def _signed_request(self, request: Request, example: Text):
        """The JSON body of a request and the conversation its session stands for, or Refused."""
        body = guard.json_object(request, example)
        sender_id = self.signer.verify(body.get("session"))
        if sender_id is None:
            raise guard.Refused(401, "invalid_session", "Unknown or expired session: start a new conversation.")
        return body, sender_id

    @contextlib.asynccontextmanager
    async def _conversation_lock(self, sender_id: Text):
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
    async def _static(name: Text, content_type: Text) -> HTTPResponse:
        body = await asyncio.get_running_loop().run_in_executor(None, (STATIC / name).read_bytes)
        return response.raw(body, content_type=content_type, headers={"Cache-Control": "no-cache"})


def bot_message(text: Optional[Text], buttons: Optional[List[Dict[Text, Any]]]) -> Dict[Text, Any]:
    message: Dict[Text, Any] = {"from": "bot", "text": text or ""}
    if buttons:
        message["buttons"] = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons]
    return message


def history_of(tracker: Any) -> List[Dict[Text, Any]]:
    """Visitor and bot messages of a conversation, oldest first (buttons only on the last)."""
    if tracker is None:
        return []
    messages: List[Dict[Text, Any]] = []
    for event in tracker.events:
        kind = getattr(event, "type_name", None)
        if kind == "user" and event.text and not event.text.startswith("/"):
            messages.append({"from": "visitor", "text": event.text})
        elif kind == "user" and event.text:
            # A clicked button: show its title rather than the raw payload.
            title = (getattr(event, "metadata", None) or {}).get("button_title") or next(
                (b["title"] for m in reversed(messages) for b in m.get("buttons", []) if b["payload"] == event.text),
                event.text,
            )
            messages.append({"from": "visitor", "text": title})
        elif kind == "bot":
            messages.append(bot_message(event.text, (event.data or {}).get("buttons")))
    # Only the last message's buttons are still a choice; older ones were answered.
    for message in messages[:-1]:
        message.pop("buttons", None)
    return messages
