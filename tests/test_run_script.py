"""`make run` and `make shell` as a newcomer meets them: a few clear lines (the rest in a log
file named on screen), Ctrl-C stops cleanly with exit status 0, and `make shell` chats with the
assistant `make run` is serving. Real servers on free ports; a pseudo-terminal for Ctrl-C."""
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from actions import answers, registry
from paths import ROOT
from servers import free_port
from terminal import Terminal

pytestmark = [pytest.mark.model, pytest.mark.server]  # make run: the model, all servers

# Lines that are noise to a newcomer: they belong in the log file, not on the screen.
NOISE = ["UserWarning", "DeprecationWarning", "tensorflow", "Registered function", "is not used in any story",
         "ConvergenceWarning", "Traceback", "make: ***"]


def run_env(tmp_path, **extra):
    rasa_port, actions_port, console_port = free_port(), free_port(), free_port()
    env = dict(os.environ, RASA_PORT=str(rasa_port), ACTIONS_PORT=str(actions_port), ACTIONS_HOST="127.0.0.1",
               CONSOLE_PORT=str(console_port), CONSOLE_DB_URL=f"sqlite:///{tmp_path / 'console.db'}",
               RASA_HOST="127.0.0.1", ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook",
               TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'conversations.db'}",
               LEADS_DB_URL=f"sqlite:///{tmp_path / 'leads.db'}")
    env.pop("LOG_LEVEL", None)  # the servers' own defaults, as a newcomer runs them (conftest quietens them)
    env.update(extra)
    return env


def port_open(port) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", int(port))) == 0


def ask(env, text):
    reply = requests.post(f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook",
                          json={"sender": "run-test", "message": text}, timeout=60)
    return reply.json()[0]["text"]


def server_commands(process_group: int) -> list[str]:
    """The command lines of the processes in the group (run.sh's servers run in the script's)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            group = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
            if group == process_group:
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError, IndexError):
            pass  # (a process that ended meanwhile)
    return found


def start_run_script(env):
    """scripts/run.sh without a terminal, in a session of its own: (process, screen until ready)."""
    script = subprocess.Popen(["scripts/run.sh"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    screen = ""
    try:
        deadline = time.time() + 240
        while "Press Ctrl-C to stop." not in screen:
            line = script.stdout.readline()
            assert line and time.time() < deadline, screen
            screen += line
    except BaseException:
        os.killpg(script.pid, signal.SIGKILL)
        raise
    return script, screen


def embedded_settings(tmp_path, **extra):
    return run_env(tmp_path, MODEL="models/clinic-faq.tar.gz", LOCK_STORE_TYPE="in_memory", ACTION_TIMEOUT="5",
                   REDIS_HOST="localhost", REDIS_PORT="6379", REDIS_PASSWORD="", REDIS_DB="1", REDIS_KEY_PREFIX="",
                   **extra)


def log_named_on(screen: str):
    return ROOT / re.search(r"Full log: (var/logs/run-[0-9-]+\.log)", screen).group(1)


def test_make_run_at_a_terminal_is_quiet_and_ctrl_c_stops_cleanly(tmp_path):
    env = run_env(tmp_path)
    terminal = Terminal(["make", "run"], ROOT, env, controlling=True)
    try:
        screen = terminal.wait_for("Press Ctrl-C to stop.")
        assert ask(env, "how much does it cost?") == answers.cost()

        before_banner = screen[:screen.index("The assistant is up.")]
        steps = [line for line in before_banner.splitlines() if re.match(r"(\x1b\[1m)?\[\d/5\]", line)]
        assert len(steps) >= 5, before_banner  # one line per step (the spinner redraws it in place)
        for step in ["Install the dependencies", "Build the spaCy pipeline", "Fetch the sentence encoder",
                     "Train the model", "Start the servers"]:
            assert step in before_banner
        assert [noise for noise in NOISE if noise in screen] == []
        log = log_named_on(screen)
        assert "Registered function for" in log.read_text()  # the servers' lines went to the log

        terminal.type("\x03")  # Ctrl-C
        assert terminal.finish() == 0, terminal.text
    finally:
        terminal.kill()
    after = terminal.text[len(screen):]
    assert "Stopped cleanly." in after and "make: ***" not in after and "Traceback" not in after, after
    assert not port_open(env["RASA_PORT"]) and not port_open(env["ACTIONS_PORT"])


# The second run: with an action server (ACTIONS_IN_PROCESS=0), which must stop too.
@pytest.mark.parametrize("how", ["SIGINT to the process group", "SIGTERM to the script"])
def test_run_script_without_a_terminal_stops_cleanly_and_shows_warnings_that_matter(tmp_path, how):
    # An origin with a path is a real configuration mistake the widget channel warns about.
    env = embedded_settings(tmp_path, WIDGET_ALLOWED_ORIGINS="http://localhost:*,https://www.example-clinic.com/contact",
                            ACTIONS_IN_PROCESS="1" if how == "SIGINT to the process group" else "0")
    script, screen = start_run_script(env)
    try:
        assert ask(env, "does it hurt?") == registry.answer("ask_pain")
        if how == "SIGTERM to the script":
            script.send_signal(signal.SIGTERM)
        else:
            os.killpg(script.pid, signal.SIGINT)
        rest, _ = script.communicate(timeout=60)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
    assert script.returncode == 0, screen + rest
    assert "Stopped cleanly." in rest
    assert "warning: channels.widget: Widget origin 'https://www.example-clinic.com/contact' has a path" in screen
    assert [noise for noise in NOISE if noise in screen + rest] == []
    assert not port_open(env["RASA_PORT"]) and not port_open(env["ACTIONS_PORT"])


def test_make_run_starts_no_action_server(tmp_path):
    """The embedded mode's default (ACTIONS_IN_PROCESS=1): the Rasa server runs the custom actions
    itself; the only other process is the staff console."""
    env = embedded_settings(tmp_path)
    assert "ACTIONS_IN_PROCESS" not in env  # run.sh's own default (tests/conftest.py)
    script, screen = start_run_script(env)
    try:
        servers = [command for command in server_commands(script.pid) if " -m " in command]
        assert len([c for c in servers if " -m serving run " in c]) == 1, servers
        assert [c for c in servers if " -m serving actions" in c] == [], servers
        assert len(servers) == 2 and any(" -m console serve" in c for c in servers), servers
        assert "Custom actions: inside the Rasa server (ACTIONS_IN_PROCESS=1)" in screen
        assert not port_open(env["ACTIONS_PORT"])
        # A custom action and a form's: answered by the Rasa server alone.
        assert ask(env, "how many sessions will i need") == registry.answer("ask_sessions")
        assert ask(env, "can someone call me back?").startswith("I can't book appointments")
        script.send_signal(signal.SIGTERM)
        rest, _ = script.communicate(timeout=60)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
    assert script.returncode == 0 and "Stopped cleanly." in rest, screen + rest


def test_make_shell_chats_with_the_assistant_make_run_serves(assistant):
    port = urlparse(assistant.url).port
    env = dict(os.environ, RASA_PORT=str(port))
    result = subprocess.run(["make", "-s", "shell"], cwd=ROOT, env=env, input="hi\n1\nstamp or roller?\n",
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    said = " ".join(result.stdout.replace("\u00a0", " ").split())
    assert said.startswith(f"The assistant is running on port {port} (make run): chatting with it.")
    assert "[1] Cost" in said  # the greeting's buttons, numbered; "1" pressed the first
    assert " ".join(answers.cost().split()) in said and " ".join(registry.answer("ask_stamp_vs_roller").split()) in said
    assert result.stderr == ""  # no "address already in use", no traceback


def test_make_shell_at_a_terminal_leaves_on_ctrl_c(assistant):
    env = dict(os.environ, RASA_PORT=str(urlparse(assistant.url).port))
    terminal = Terminal(["make", "-s", "shell"], ROOT, env, controlling=True)
    try:
        terminal.wait_for("You: ")
        terminal.type("how many sessions will i need\n")
        terminal.wait_for(registry.answer("ask_sessions").split()[-1])
        terminal.type("\x03")
        assert terminal.finish() == 0, terminal.text
    finally:
        terminal.kill()
    assert "Bye." in terminal.text and "Traceback" not in terminal.text and "make: ***" not in terminal.text


def test_a_busy_port_is_named_before_anything_starts(tmp_path, assistant):
    # The action server's port matters only when there is one (ACTIONS_IN_PROCESS=0).
    for in_process, busy, ports in [("1", "CONSOLE_PORT", "RASA_PORT=5015 CONSOLE_PORT=5016"),
                                    ("0", "ACTIONS_PORT", "RASA_PORT=5015 ACTIONS_PORT=5065 CONSOLE_PORT=5016")]:
        env = run_env(tmp_path, ACTIONS_IN_PROCESS=in_process)
        with socket.socket() as other_program:
            other_program.bind(("127.0.0.1", int(env[busy])))
            other_program.listen()
            result = subprocess.run(["make", "-s", "run"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                    capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert f"port {env[busy]} is already in use by another program" in result.stderr
        assert f"make run {ports}\n" in result.stderr
        assert "Starting" not in result.stdout

    running = run_env(tmp_path, RASA_PORT=str(urlparse(assistant.url).port))
    result = subprocess.run(["make", "-s", "run"], cwd=ROOT, env=running, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "the assistant is already running on port" in result.stderr and "make shell" in result.stderr
