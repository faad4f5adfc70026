"""The staff console's Sanic app: `python -m console serve` (`make run` starts it).

Every page needs a signed-in session except the sign-in page, /static/ and /healthz.
Every POST must come from the console's own pages: a foreign Origin is refused, and a
form without the right CSRF token gets 403. The widget preview's calls, relayed to the
assistant, are the exception: the widget sends no cookies (it never does, on any site),
so they need the console's own Origin instead, and reach only the widget's public API. Every response
carries a Content-Security-Policy that allows this origin only: no page can load
anything from another one. Pages with visitors' details are never cached.
"""
import argparse
import logging
import os
import socket
import sys
from pathlib import Path
from urllib.parse import quote

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from console import accounts, audit, clinic_settings, health, inbox, questions, sessions, widget_setup
from console.database import open_database
from console.pages import error_page
from console.settings import ConsoleSettings, ConsoleSettingsError, load
from leads import settings as leads_settings

logger = logging.getLogger("console")

STATIC = Path(__file__).resolve().parent / "static"
PUBLIC_PATHS = ("/sign-in", "/healthz")
RELAYED = "/widget/assets/"  # the preview widget's calls (widget_setup.relay)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}")


def _own_origins(request: Request) -> list[str]:
    own = [f"{request.scheme}://{request.host}"]
    public_url = request.app.ctx.settings.public_url
    if public_url:
        own.append("/".join(public_url.split("/")[:3]))
    return own


def _refusal(request: Request, status: int, title: str, message: str) -> HTTPResponse:
    logger.warning("Refused %s %s: %s", request.method, request.path, title)
    return error_page(request, status, title, message)


async def sign_in_required(request: Request) -> HTTPResponse | None:
    ctx = request.app.ctx
    request.ctx.session = sessions.current(ctx.db, request.cookies.get(sessions.COOKIE), ctx.settings.idle_minutes)
    # The preview widget fetches without cookies (credentials: "omit"), as on the clinic's site;
    # what it gets is what the assistant serves to anyone: widget.js, widget.css, the greeting.
    relayed = request.method in ("GET", "POST") and request.path.startswith(RELAYED)
    public = request.path in PUBLIC_PATHS or request.path.startswith("/static/") or relayed
    if request.method == "POST":
        origin = request.headers.get("origin")
        if (origin or relayed) and origin not in _own_origins(request):
            return _refusal(request, 403, "Refused", "This form was sent from another site.")
        if not relayed and not sessions.csrf_ok(request, None if request.path == "/sign-in" else request.ctx.session):
            return _refusal(request, 403, "This form has expired",
                            "The form was missing its security token, or it is from an earlier session. "
                            "Go back, reload the page and try again.")
    if public or request.ctx.session is not None:
        return None
    if request.method == "GET":
        target = request.path + (f"?{request.query_string}" if request.query_string else "")
        return response.redirect(f"/sign-in?next={quote(target, safe='')}")
    return _refusal(request, 401, "Signed out", "Your session has ended. Sign in again, then repeat what you did.")


async def security_headers(request: Request, reply: HTTPResponse) -> None:
    framed = request.path == "/widget/preview"  # shown in a frame of the Widget page
    reply.headers.setdefault("Content-Security-Policy", CSP.format(ancestors="'self'" if framed else "'none'"))
    reply.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed else "DENY")
    reply.headers.setdefault("X-Content-Type-Options", "nosniff")
    reply.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        reply.headers["Cache-Control"] = "no-store"


async def on_error(request: Request, exception: Exception) -> HTTPResponse:
    if isinstance(exception, SanicException):
        status = getattr(exception, "status_code", 500) or 500
        if status == 404:
            return error_page(request, 404, "Page not found", "There is no page at this address.")
        if status < 500:
            return error_page(request, status, "Request refused", str(exception))
    # The error's type only: its message could hold a visitor's details (a traceback at DEBUG).
    logger.error("The console failed on %s %s: %s", request.method, request.path, type(exception).__name__,
                 exc_info=exception if logger.isEnabledFor(logging.DEBUG) else None)
    return error_page(request, 500, "Something went wrong",
                      "The console could not do this. Nothing was changed by the failed step; try again, "
                      "and if it happens again, tell whoever runs the assistant (the log names the error).")


def create_app(settings: ConsoleSettings) -> Sanic:
    app = Sanic("staff_console")
    app.config.FALLBACK_ERROR_FORMAT = "html"
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.ctx.settings = settings
    app.ctx.db = open_database(settings.db_url)
    app.ctx.leads_settings = leads_settings.load  # read on each use: leads.yml edits apply at once
    app.register_middleware(sign_in_required, "request")
    app.register_middleware(security_headers, "response")
    app.error_handler.add(Exception, on_error)
    app.static("/static", str(STATIC))
    for blueprint in (accounts.pages, inbox.pages, questions.pages, widget_setup.pages, health.pages,
                      clinic_settings.pages, audit.pages):
        app.blueprint(blueprint)
    return app


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    try:
        settings = load()
    except ConsoleSettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m console serve", description="The clinic's staff console.")
    parser.add_argument("--host", default=settings.host, help="address to listen on (CONSOLE_HOST)")
    parser.add_argument("--port", type=int, default=settings.port, help="port (CONSOLE_PORT)")
    args = parser.parse_args(argv)
    try:  # Sanic logs a failed bind and returns as if all was well: check first, and say what to do
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as error:
        print(f"error: the console cannot listen on {args.host}:{args.port} ({error.strerror or error}). "
              f"Is it running already? Stop it, or choose another port: CONSOLE_PORT=5007.", file=sys.stderr)
        return 1
    app = create_app(settings)
    shown_host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host

    @app.listener("after_server_start")
    async def announce(*_):
        logger.info("Staff console listening on http://%s:%s/ (sign in with an account from `make staff-account`)",
                    shown_host, args.port)

    app.run(args.host, args.port, workers=1, access_log=False, motd=False)
    return 0
