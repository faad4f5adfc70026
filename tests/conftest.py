"""Shared fixtures (the trained model, a running assistant) and the test lanes' markers.
The helpers live in their own modules: paths.py, servers.py, stores.py, terminal.py..."""
import json
import os
import time
from pathlib import Path

import pytest

import lanes
from paths import ROOT
from servers import start_assistant

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Where the custom actions run is each server's own choice (tests/servers.py; the Makefile's
# default for `make run` would otherwise reach every server a test starts).
os.environ.pop("ACTIONS_IN_PROCESS", None)

# The markers a fixture brings to every test that uses it, directly or through another fixture.
FIXTURE_MARKERS = {"model_path": ("model",), "assistant": ("model", "server")}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, markers in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                for marker in markers:
                    item.add_marker(marker)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the test's fixtures start anything: what it declared (see lanes.py)."""
    lanes.declared = {marker.name for marker in item.iter_markers() if marker.name in lanes.LANE_MARKERS}


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = ROOT / os.environ.get("MODEL", "models/clinic-faq.tar.gz")
    if not path.exists():
        pytest.fail(f"no trained model at {path}: run `make train` (make test does it for you)")
    return path


@pytest.fixture(scope="session")
def assistant(model_path, tmp_path_factory):
    with start_assistant(model_path, tmp_path_factory.mktemp("assistant")) as running:
        yield running


# --- figures for the CI log ----------------------------------------------------------

SESSION_STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    """Prints the scale-out test's figures (visitors, messages, faults...) when it ran."""
    figures = ROOT / "test-artifacts" / "scale-out.json"
    if figures.exists() and figures.stat().st_mtime >= SESSION_STARTED:
        terminalreporter.section("scale-out figures (test-artifacts/scale-out.json)")
        for name, values in json.loads(figures.read_text()).items():
            terminalreporter.write_line(f"{name}: " + ", ".join(f"{k} {v}" for k, v in values.items()))
