"""serving/patches.py: the one list of changes to Rasa's behaviour, checked against the
installed Rasa before anything is installed; docs/architecture.md shows the same list."""
import re
import subprocess
import sys

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent

from paths import ROOT
from serving import patches
from serving.rasa_change import RasaChanged

pytestmark = [pytest.mark.server]


def test_every_entry_fits_the_installed_rasa():
    patches.check_all()  # raises RasaChanged with the entry's name otherwise


def test_the_entries_were_written_for_the_locked_rasa():
    locked = re.search(r"^rasa==(\S+)$", (ROOT / "requirements.lock").read_text(), re.M).group(1)
    assert patches.WRITTEN_FOR_RASA == locked, "re-check every entry of serving/patches.py for the new Rasa"


def test_every_entry_says_what_why_when_and_which_test_proves_it():
    names = [change.name for change in patches.CHANGES]
    assert len(names) == len(set(names))
    for change in patches.CHANGES:
        assert change.kind in ("hook", "patch", "import") and change.what and change.why and change.remove_when
        assert change.relies_on or change.verify, change.name  # something to check against the installed Rasa
        assert (change.replacement is not None) == (change.kind == "patch"), change.name
        assert change.kind != "import" or (change.install and change.verify), change.name
        assert change.tests, change.name
        for test in change.tests:
            path, _, name = test.partition("::")
            assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.M), f"{change.name}: no {test}"


def test_another_rasa_version_is_refused_with_what_to_check():
    with pytest.raises(RasaChanged) as refused:
        patches.check_all(rasa_version="3.6.22")
    message = str(refused.value)
    assert "'unused-imports-deferred': written for Rasa 3.6.21, but Rasa 3.6.22 is installed" in message
    assert "tests/test_serving_lean_imports.py::" in message and "WRITTEN_FOR_RASA" in message


def test_a_changed_signature_is_refused_and_nothing_is_installed(monkeypatch):
    # A later Rasa whose RemoteAction.run takes another argument.
    async def run(self, output_channel, nlg, tracker, domain, metadata=None):
        return []

    monkeypatch.setattr(RemoteAction, "run", run)
    validate, create_store = RemoteAction._validate_action_result, Agent.__dict__["_create_tracker_store"]
    with pytest.raises(RasaChanged) as refused:
        patches.apply()
    message = str(refused.value)
    assert "'action-timeout-and-apology': Rasa's rasa.core.actions.action:RemoteAction.run is not what" in message
    assert "expected: (self, output_channel: 'OutputChannel', nlg: 'NaturalLanguageGenerator'" in message
    assert "found:    (self, output_channel, nlg, tracker, domain, metadata=None)" in message
    assert "tests/test_serving_reliability.py::test_action_server_down_slow_and_back" in message
    # Checked before anything was installed: every Rasa function is still Rasa's own.
    assert RemoteAction.run is run and RemoteAction._validate_action_result is validate
    assert Agent.__dict__["_create_tracker_store"] is create_store


def test_the_launcher_stops_with_the_message(monkeypatch, capsys):
    from serving import __main__ as launcher
    from serving import lean_imports

    # (This process imported Rasa's agent long ago: the deferral's own refusal is tested in
    # tests/test_serving_lean_imports.py.)
    monkeypatch.setattr(lean_imports, "install", lambda: None)
    monkeypatch.setattr(Agent, "load_model", lambda self, path: None)
    with pytest.raises(SystemExit) as stopped:
        launcher._change_rasa()
    assert str(stopped.value).startswith("error: refusing to start: serving/patches.py, 'model-reload': "
                                         "Rasa's rasa.core.agent:Agent.load_model is not what this hook")


def test_a_patch_replaces_rasas_function_and_undo_restores_it():
    change = patches.by_name("tracker-store-errors-propagate")
    rasas_own = Agent.__dict__["_create_tracker_store"]
    patches.apply([change])
    try:
        patches.apply([change])  # twice: still one replacement, still checked against Rasa's own
        assert Agent.__dict__["_create_tracker_store"] is not rasas_own
        store = object.__new__(type("Store", (), {}))
        assert Agent._create_tracker_store(store, domain=None) is store  # no FailSafeTrackerStore around it
    finally:
        change.undo()
    assert Agent.__dict__["_create_tracker_store"] is rasas_own


def test_architecture_doc_shows_the_list():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    assert patches.table() in doc, "docs/architecture.md: paste the output of `python -m serving changes`"


def test_the_launcher_prints_the_list():
    printed = subprocess.run([sys.executable, "-m", "serving", "changes"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == patches.table()


# --- endpoints.yml names the hooks' classes: what Rasa would accept quietly is refused ----------

def endpoints_file(tmp_path, lock_type="in_memory", tracker_type="serving.tracker_store.TunedSQLTrackerStore"):
    path = tmp_path / "endpoints.yml"
    path.write_text(f"tracker_store:\n  type: {tracker_type}\n  url: sqlite:///{tmp_path / 'c.db'}\n"
                    f"lock_store:\n  type: {lock_type}\n  url: localhost\n")
    return str(path)


def test_the_projects_endpoints_pass(tmp_path):
    from serving import endpoints_check

    assert endpoints_check.problems(endpoints_file(tmp_path)) == []
    assert endpoints_check.problems(endpoints_file(tmp_path, "serving.locks.RedisTicketLockStore")) == []


def test_rasas_own_redis_lock_store_and_unloadable_classes_are_refused(tmp_path):
    from serving import endpoints_check

    [redis] = endpoints_check.problems(endpoints_file(tmp_path, lock_type="redis"))
    assert "lock_store type 'redis' (LOCK_STORE_TYPE) is Rasa's own Redis lock store" in redis
    assert "Set LOCK_STORE_TYPE=serving.locks.RedisTicketLockStore." in redis
    [typo] = endpoints_check.problems(endpoints_file(tmp_path, tracker_type="serving.tracker_store.PrePing"))
    assert "tracker_store type 'serving.tracker_store.PrePing' cannot be loaded" in typo


def test_the_rasa_server_does_not_start_with_rasas_redis_lock_store(tmp_path):
    import os

    env = {**os.environ, "LOCK_STORE_TYPE": "redis", "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'c.db'}",
           "ACTION_SERVER_URL": "http://127.0.0.1:9/webhook", "ACTION_TIMEOUT": "5", "REDIS_HOST": "localhost",
           "REDIS_PORT": "6379", "REDIS_PASSWORD": "", "REDIS_DB": "1", "REDIS_KEY_PREFIX": ""}
    started = subprocess.run([sys.executable, "-m", "serving", "run", "--endpoints", "endpoints.yml"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=180)
    assert started.returncode == 1
    assert "error: refusing to start:\n  endpoints.yml: lock_store type 'redis'" in started.stderr
