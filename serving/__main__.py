"""How this project runs its two servers.

    python -m serving run ...      `rasa run ...` (every argument is Rasa's), with the
                                   changes to Rasa's behaviour listed in patches.py
    python -m serving shell ...    `rasa shell ...`, likewise
    python -m serving actions ...  the action server (actions.py: rasa_sdk's app without
                                   its error echo and open CORS)
    python -m serving changes      prints patches.py's list (docs/architecture.md)

Both servers refuse to start with a placeholder or guessable secret (channels/secret_strength.py).
The Rasa server also refuses to start when the installed Rasa does not fit patches.py's
entries, or endpoints.yml names a store that is unsafe or cannot be loaded (endpoints_check.py).
"""
import os
import sys
from pathlib import Path


def _create_sqlite_directory() -> None:
    # An SQLite tracker store (the embedded default) needs its directory to exist.
    url = os.environ.get("TRACKER_STORE_URL", "")
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def _refuse_weak_secrets(argv: list[str]) -> None:
    # Placeholders (deploy/example.env's "change-me") and guessable secrets stop the start.
    from channels.secret_strength import check_environment

    token = argv[argv.index("--auth-token") + 1] if "--auth-token" in argv[:-1] else None
    problems = check_environment(os.environ, auth_token=token)
    if problems:
        sys.exit("error: refusing to start with weak secrets:\n  " + "\n  ".join(problems))


def _endpoints_path(argv: list[str]) -> str:
    return argv[argv.index("--endpoints") + 1] if "--endpoints" in argv[:-1] else "endpoints.yml"


def _refuse_unsafe_stores(argv: list[str]) -> None:
    from serving import endpoints_check

    problems = endpoints_check.problems(_endpoints_path(argv))
    if problems:
        sys.exit("error: refusing to start:\n  " + "\n  ".join(problems))


def _auth_token_from_environment() -> None:
    # `--enable-api` without `--auth-token`: the token is RASA_TOKEN's, added here, inside the
    # process, so that it is on no command line (`ps` shows those to every user of the machine).
    if "--enable-api" in sys.argv and "--auth-token" not in sys.argv and os.environ.get("RASA_TOKEN"):
        sys.argv += ["--auth-token", os.environ["RASA_TOKEN"]]


def _change_rasa() -> None:
    """serving/patches.py: every entry is checked against the installed Rasa, then installed."""
    from serving import startup
    from serving.rasa_change import RasaChanged  # (imports nothing of Rasa's: see startup.py)

    try:
        startup.prepare_rasa()
    except (RasaChanged, ValueError) as error:
        sys.exit(f"error: refusing to start: {error}")


def main() -> None:
    if sys.argv[1:2] == ["changes"]:
        from serving import patches

        print(patches.table())
        return
    _refuse_weak_secrets(sys.argv[2:])
    if sys.argv[1:2] == ["actions"]:
        from serving import actions

        actions.main(sys.argv[2:])
        return

    _change_rasa()  # first: it keeps TensorFlow out of what the next steps import
    from channels.guard import MAX_BODY_BYTES

    # Sanic reads SANIC_* settings when the app is created: its own errors (unknown
    # route, wrong method, oversized body) are JSON too, like the channels' errors, and
    # a body over the channels' limit is refused from its Content-Length, unread (Sanic
    # would otherwise read up to 100 MB first).
    os.environ.setdefault("SANIC_FALLBACK_ERROR_FORMAT", "json")
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(MAX_BODY_BYTES))
    _create_sqlite_directory()

    _refuse_unsafe_stores(sys.argv[2:])
    _auth_token_from_environment()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
