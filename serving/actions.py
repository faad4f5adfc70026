"""`python -m serving actions`: rasa_sdk's action server, without its two unsafe defaults.

rasa_sdk 3.6's ``create_app`` (rasa_sdk/endpoint.py)

* answers any unexpected error with ``{"error": ..., "request_body": request.json}``:
  the whole tracker the request carried (the visitor's messages and slots) echoed back,
  and logs the request with the traceback;
* allows CORS from any origin ("*").

The action server is internal (only Rasa calls it), so here CORS is off and errors are
answered with a short JSON message; the log names the action and the error, never the
tracker. Everything else is rasa_sdk's own app: the same /webhook, /health and /actions.

It also runs the retention purge on a schedule (leads/schedule.py): the action server
is the process that stores consultation requests, so no cron job is needed.
"""
import argparse
import logging
import os
from typing import Any

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger("serving.actions")

ACTIONS_PACKAGE = "actions"
# How long an idle connection from the Rasa server stays open: longer than the Rasa server keeps
# one to reuse (serving/action_connection.py, IDLE_SECONDS), so it never sends on a connection
# this server is closing.
KEEP_ALIVE_SECONDS = 15


def action_name_of(request: Request) -> str | None:
    try:
        body: Any = request.json
    except Exception:
        return None
    name = body.get("next_action") if isinstance(body, dict) else None
    return name if isinstance(name, str) and len(name) <= 100 else None


async def answer_without_echo(request: Request, exception: Exception) -> HTTPResponse:
    if isinstance(exception, SanicException):
        # Sanic's own client errors (bad JSON, unknown route, wrong method): their
        # status and message say nothing about the request's content.
        status = getattr(exception, "status_code", 500) or 500
        return response.json({"error": str(exception) if status < 500 else "internal error"}, status=status)
    logger.error(
        f"Action '{action_name_of(request) or '?'}' failed: {type(exception).__name__}",
        exc_info=exception if logger.isEnabledFor(logging.DEBUG) else None,
    )
    return response.json({"error": "The action server could not run this action."}, status=500)


def create_app(package: str = ACTIONS_PACKAGE) -> Sanic:
    # Sanic reads SANIC_* settings when the app is created: JSON for its own errors too.
    os.environ.setdefault("SANIC_FALLBACK_ERROR_FORMAT", "json")
    from rasa_sdk.endpoint import create_app as create_rasa_sdk_app

    app = create_rasa_sdk_app(package, cors_origins=None)
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_SECONDS
    app.error_handler.add(Exception, answer_without_echo)  # replaces rasa_sdk's echoing handler
    app.register_listener(start_retention_purge, "after_server_start")
    app.register_listener(stop_retention_purge, "before_server_stop")
    return app


async def start_retention_purge(app: Sanic, loop: Any) -> None:
    from leads import schedule, settings

    app.ctx.retention_purge = loop.create_task(schedule.run_periodically(settings.load()))


async def stop_retention_purge(app: Sanic, loop: Any) -> None:
    task = getattr(app.ctx, "retention_purge", None)
    if task:
        task.cancel()


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m serving actions", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"),
                        help="address to listen on (default: loopback; 0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default=ACTIONS_PACKAGE, help="package with the custom actions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    app = create_app(args.actions)
    logger.info(f"Action server listening on http://{args.host}:{args.port}")
    app.run(args.host, args.port, workers=1, access_log=False, motd=False)
