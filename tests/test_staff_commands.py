"""`make leads` and `make report` as staff type them: mistakes get one clear message and a
non-zero exit, nothing is deleted by a mistake, and deleting asks first (YES=1 skips that)."""
import os
import subprocess
import sys

import pytest

from lead_samples import SAMPLES, request_from, write_settings
from leads.store import RequestStore
from paths import ROOT
from terminal import Terminal

FOLDER = ROOT / "tests"  # an existing folder, by its absolute path


@pytest.fixture
def staff_env(tmp_path):
    return dict(os.environ, LEADS_DB_URL=f"sqlite:///{tmp_path / 'leads.db'}",
                LEADS_SETTINGS=str(write_settings(tmp_path / "leads.yml")),
                TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'conversations.db'}")


@pytest.fixture
def stored(staff_env):
    """One consultation request in the staff's store."""
    return RequestStore(staff_env["LEADS_DB_URL"]).add(request_from(SAMPLES["requests"][0], "conv-1"))


def make(*args, env):
    return subprocess.run(["make", "-s", *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def still_there(env, request) -> bool:
    return RequestStore(env["LEADS_DB_URL"]).get(request.id) is not None


@pytest.mark.parametrize("args, message", [
    (["leads", "DELETE"], "DELETE needs a value, e.g. make leads DELETE=12"),
    (["leads", "CSV"], "CSV needs a value, e.g. make leads CSV=requests.csv"),
    (["leads", "DELETE=1", "YES"], "YES needs a value, e.g. make leads DELETE=12 YES=1"),
    (["leads", "PURGE"], "PURGE needs a value, e.g. make leads PURGE=1"),
    (["report", "SINCE"], "SINCE needs a value, e.g. make report SINCE=2026-11-01"),
    (["leads", "DELETE="], "give the number of the request to delete, e.g. DELETE=12"),
    (["leads", "DELETE=twelve"],
     "'twelve' is not a request number: give the number `make leads` shows, e.g. DELETE=12"),
    (["leads", "DELETE=0"], "'0' is not a request number"),
    (["leads", "DELETE=1", "CSV=out.csv"], "CSV and DELETE don't go together: give one at a time"),
    (["leads", "PURGE=1", "DELETE=1"], "DELETE and PURGE don't go together"),
    (["leads", "YES=1"], "YES only goes with DELETE (it deletes without asking first)"),
    (["leads", "PURGE=yes"], "PURGE=yes: write PURGE=1"),
    (["leads", "DELETE=1", "YES=y"], "YES=y: write YES=1"),
    (["leads", "CSV="], "give a file name to export to, e.g. CSV=requests.csv"),
    # A relative CSV= file goes into exports/ (Makefile); an absolute one is used as given.
    (["leads", f"CSV={FOLDER}"], f"{FOLDER} is a folder: give a file name, e.g. {FOLDER}/requests.csv"),
    (["leads", "CSV=no-such-folder/out.csv"], "there is no folder exports/no-such-folder to write out.csv in"),
    (["report", "SINCE=yesterday"], "'yesterday' is not a date like 2026-11-01"),
])
def test_a_mistake_gets_a_clear_message_and_deletes_nothing(args, message, staff_env, stored):
    result = make(*args, env=staff_env)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "No rule to make target" not in result.stderr and "Traceback" not in result.stderr
    assert still_there(staff_env, stored)


def test_deleting_without_a_terminal_needs_yes(staff_env, stored):
    refused = make("leads", f"DELETE={stored.id}", env=staff_env)
    assert refused.returncode != 0
    assert f"deleting request #{stored.id} needs a yes, and there is no terminal to ask in" in refused.stderr
    assert "add YES=1" in refused.stderr and still_there(staff_env, stored)

    deleted = make("leads", f"DELETE={stored.id}", "YES=1", env=staff_env)
    assert deleted.returncode == 0, deleted.stderr
    assert f"Deleted request #{stored.id}" in deleted.stdout and not still_there(staff_env, stored)


@pytest.mark.parametrize("answer, deleted", [("n", False), ("", False), ("yes", True)])
def test_at_a_terminal_deleting_asks_first(answer, deleted, staff_env, stored):
    terminal = Terminal(["make", "-s", "leads", f"DELETE={stored.id}"], ROOT, staff_env)
    try:
        shown = terminal.wait_for("[y/N]", timeout=120)
        assert f"Request #{stored.id}, received {stored.received_at:%Y-%m-%d %H:%M} UTC, from {stored.name}." in shown
        terminal.type(answer + "\n")
        assert terminal.finish() == 0
    finally:
        terminal.kill()
    assert ("Nothing was deleted." in terminal.text) is not deleted
    assert (f"Deleted request #{stored.id}" in terminal.text) is deleted
    assert still_there(staff_env, stored) is not deleted


def test_python_m_leads_names_its_own_options(staff_env, stored):
    result = subprocess.run([sys.executable, "-m", "leads", "--delete", "1", "--csv", "x.csv"], cwd=ROOT,
                            env=staff_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == ("error: --csv and --delete don't go together: give one at a time\n"
                             "Usage: python -m leads --help\n")
