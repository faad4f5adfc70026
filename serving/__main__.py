"""How this project runs its two servers.

    python -m serving run ...      `rasa run ...` (every argument is Rasa's), plus
                                   speedups.py (a measured fix) and reliability.py
                                   (store and action-server failures; see there)
    python -m serving shell ...    `rasa shell ...`, likewise
    python -m serving actions ...  the action server (actions.py: rasa_sdk's app without
                                   its error echo and open CORS)
"""
import os
import sys
from pathlib import Path


def _create_sqlite_directory() -> None:
    # An SQLite tracker store (the embedded default) needs its directory to exist.
    url = os.environ.get("TRACKER_STORE_URL", "")
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def main() -> None:
    if sys.argv[1:2] == ["actions"]:
        from serving import actions

        actions.main(sys.argv[2:])
        return

    # Sanic reads SANIC_* settings when the app is created: its own errors (unknown
    # route, wrong method, oversized body) are JSON too, like the channels' errors.
    os.environ.setdefault("SANIC_FALLBACK_ERROR_FORMAT", "json")
    _create_sqlite_directory()

    from serving import reliability, speedups

    speedups.apply()
    reliability.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
