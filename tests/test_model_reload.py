"""A new model reaches the running assistant (serving/model_reload.py): `make train` writes a
new model over the served file, and the running server answers with it, without a restart and
with every conversation intact. Real servers (`python -m serving run` and the action server),
a really retrained model (tests/retrained_model.py), a copy of the model in a temporary folder."""
import shutil
import sqlite3
import time

import pytest
import yaml

from paths import ROOT
from retrained_model import NEW_GREETING, current_greeting, retrained_model
from servers import start_assistant

pytestmark = [pytest.mark.model, pytest.mark.server]

RELOAD_SECONDS = 1
DEADLINE_SECONDS = 120  # generous: the machine is shared; no speed is asserted here
CONVERSATIONS = yaml.safe_load((ROOT / "tests" / "data" / "conversations.yml").read_text(encoding="utf-8"))
LOADED = "Loaded the new model in"


@pytest.fixture(scope="module")
def retrained(tmp_path_factory):
    return retrained_model(tmp_path_factory.mktemp("retrained"))


def greeting(assistant, sender: str) -> str:
    return assistant.say("hi", sender)[0]["text"]


def eventually(check, what: str):
    deadline = time.time() + DEADLINE_SECONDS
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {DEADLINE_SECONDS} s: {what}")


def user_texts(assistant, sender: str):
    with sqlite3.connect(assistant.tracker_db) as db:
        return [row[0] for row in db.execute(
            "SELECT json_extract(data, '$.text') FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
            (sender,))]


def test_a_retrained_model_reaches_the_running_assistant(model_path, retrained, tmp_path):
    served = tmp_path / "models" / "clinic-faq.tar.gz"
    served.parent.mkdir()
    shutil.copy2(model_path, served)
    log = tmp_path / "rasa.log"
    first, follow_up = CONVERSATIONS["follow_ups"][0][:2]  # "how much is it?", then "and for 3?"
    with start_assistant(served, tmp_path, MODEL_RELOAD_SECONDS=str(RELOAD_SECONDS), LOG_LEVEL="INFO") as assistant:
        visitor = assistant.new_sender()
        assert greeting(assistant, visitor) == current_greeting() != NEW_GREETING
        assert assistant.say(first["say"], visitor)

        # What `make train` does: Rasa writes the new archive in place, over the served file.
        shutil.copyfile(retrained, served)
        eventually(lambda: greeting(assistant, assistant.new_sender()) == NEW_GREETING, "the new greeting")
        assert log.read_text().count(LOADED) == 1

        # The visitor's conversation goes on, with its context, under the new model: the
        # follow-up is answered from the topic asked before the new model arrived.
        reply = " ".join(m.get("text", "") for m in assistant.say(follow_up["say"], visitor))
        assert all(part in reply for part in follow_up["contains"]), reply
        assert greeting(assistant, visitor) == NEW_GREETING
        assert user_texts(assistant, visitor) == ["hi", first["say"], follow_up["say"], "hi"]

        # The same model, touched (as the Makefile does after training): nothing to load.
        served.touch()
        eventually(lambda: "holds the model being served" in log.read_text(), "the touched file looked at")
        # A file that is not a model: the current model stays, and the log says why.
        served.write_bytes(b"not a model")
        eventually(lambda: "is not a model that can be read" in log.read_text(), "the broken file reported")
        assert greeting(assistant, assistant.new_sender()) == NEW_GREETING
        # Then the first model again (a rollback): it is loaded back.
        shutil.copyfile(model_path, served)
        eventually(lambda: greeting(assistant, assistant.new_sender()) == current_greeting(), "the old greeting")
        assert assistant.processes[1].poll() is None

    text = log.read_text()
    assert text.count(LOADED) == 2
    assert f"The model file {served} changed but is not a model that can be read" in text
    assert "the assistant keeps its current model and tries again when the file changes" in text
    assert visitor not in text and first["say"] not in text  # no visitor's words in the log


def test_the_reload_interval_setting():
    from serving.model_reload import reload_seconds

    assert reload_seconds({}) == reload_seconds({"MODEL_RELOAD_SECONDS": ""}) == 10
    assert reload_seconds({"MODEL_RELOAD_SECONDS": "0"}) == 0 and reload_seconds({"MODEL_RELOAD_SECONDS": "2.5"}) == 2.5
    for wrong in ("soon", "-1"):
        with pytest.raises(ValueError, match="MODEL_RELOAD_SECONDS must be a number of seconds .0 turns reloading off"):
            reload_seconds({"MODEL_RELOAD_SECONDS": wrong})


def test_rasas_plugin_hook_adds_the_watch_to_rasa_run():
    """`rasa run` passes its parsed arguments to serve_application; the hook adds the listener."""
    from argparse import Namespace

    from serving.model_reload import ModelReloadPlugin

    args = Namespace(model="models/clinic-faq.tar.gz", server_listeners=[("theirs", "before_server_start")])
    ModelReloadPlugin(every_seconds=10).configure_commandline(cmdline_arguments=args)
    assert [event for _, event in args.server_listeners] == ["before_server_start", "after_server_start",
                                                            "before_server_stop"]
    off = Namespace(model="models/clinic-faq.tar.gz")
    ModelReloadPlugin(every_seconds=0).configure_commandline(cmdline_arguments=off)
    assert not hasattr(off, "server_listeners")


def test_a_wrong_interval_stops_the_start_with_a_clear_message(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "MODEL_RELOAD_SECONDS": "soon", "LOCK_STORE_TYPE": "in_memory",
           "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'c.db'}", "ACTION_SERVER_URL": "http://127.0.0.1:9/webhook",
           "ACTION_TIMEOUT": "5", "REDIS_HOST": "localhost", "REDIS_PORT": "6379", "REDIS_PASSWORD": "",
           "REDIS_DB": "1", "REDIS_KEY_PREFIX": ""}
    started = subprocess.run([sys.executable, "-m", "serving", "run", "--endpoints", "endpoints.yml"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=180)
    assert started.returncode == 1
    assert "error: refusing to start: MODEL_RELOAD_SECONDS must be a number of seconds" in started.stderr
