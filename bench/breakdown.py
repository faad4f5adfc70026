"""Where a message's time goes, stage by stage: as stock Rasa serves it, and as this project does.

    python bench/breakdown.py MODEL.tar.gz [--messages N]

Each setup runs in a process of its own (twice, taking turns with the others) and handles N held-out
phrasings in all (conversations of 10 messages) through Rasa's own `Agent.handle_message`, with an
SQLite tracker store and an in-memory lock store:
  * stock Rasa: Rasa's SQLTrackerStore, `python -m rasa_sdk`, no change to Rasa;
  * this project, action server: what `python -m serving run` sets up (serving/startup.py, and the
    kept connections to the action server of serving/action_connection.py), the tracker store
    endpoints.yml names, and `python -m serving actions` (the scale-out mode calls its actions so);
  * this project, actions in process: the same, with the custom actions run inside the process
    (serving/actions_in_process.py, ACTIONS_IN_PROCESS=1: the embedded mode, `make run`).
The stages are timed around Rasa's own methods: reading the conversation from the tracker store,
NLU, the policies' predictions, the custom actions (the round trip to the action server, or the
call in process, and checking the reply), writing to the tracker store; "other" is the rest of the
message (Rasa's processor: events, slots, lock, session). No HTTP in front: the bench's p50 minus "whole
message" is the REST channel's and HTTP's share. Prints median and p95 per stage, in ms.
"""
import argparse
import asyncio
import inspect
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SETUPS = {"rasa": "stock Rasa", "ours": "this project, action server",
          "in_process": "this project, actions in process"}
STAGES = ["tracker store: read", "NLU", "policies", "custom actions", "tracker store: write", "other",
          "whole message"]
WARM_UP = 20
APOLOGY = "technical problem"  # utter_technical_problem: a custom action failed (serving/reliability.py)
ROUNDS = 2


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _timed(owner, attribute: str, stage: str, times: dict) -> None:
    """Replaces owner.attribute (a method) by one that adds its time to times[stage]."""
    original = getattr(owner, attribute)

    async def timed_coroutine(*args, **kwargs):
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            times[stage] += (time.perf_counter() - started) * 1000

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times[stage] += (time.perf_counter() - started) * 1000

    setattr(owner, attribute, timed_coroutine if inspect.iscoroutinefunction(original) else timed)


def _set_up(setup: str, db: Path):
    from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    if setup != "rasa":
        import yaml

        store_type = yaml.safe_load((ROOT / "endpoints.yml").read_text())["tracker_store"]["type"]
        return TrackerStore.create(EndpointConfig(type=store_type, url=f"sqlite:///{db}"))
    return SQLTrackerStore(dialect="sqlite", db=str(db))


async def _run(model: str, setup: str, messages: int, port: int) -> dict:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.processor import MessageProcessor
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    from trainer import holdout

    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    texts = [text for text, _ in holdout.load_examples()]
    times: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as tmp:
        store = _set_up(setup, Path(tmp) / "conversations.db")
        agent = Agent.load(model, action_endpoint=EndpointConfig(f"http://127.0.0.1:{port}/webhook", timeout=5),
                           tracker_store=store, lock_store=InMemoryLockStore())
        if setup == "ours":  # (as the launcher's server listener does: serving/action_connection.py)
            from serving.action_connection import keep_connections

            keep_connections(agent)
        elif setup == "in_process":  # (likewise: serving/actions_in_process.py)
            from serving import actions_in_process

            actions_in_process.answer_in_process(agent, actions_in_process.load_executor())
        _timed(agent.tracker_store, "retrieve", "tracker store: read", times)
        _timed(agent.tracker_store, "save", "tracker store: write", times)
        _timed(MessageProcessor, "parse_message", "NLU", times)
        _timed(MessageProcessor, "_predict_next_with_tracker", "policies", times)
        _timed(RemoteAction, "run", "custom actions", times)
        samples: dict[str, list[float]] = defaultdict(list)
        unanswered = 0
        for i in range(WARM_UP + messages):
            times.clear()
            text = texts[i % len(texts)]
            replies = CollectingOutputChannel()
            started = time.perf_counter()
            await agent.handle_message(UserMessage(text, replies, sender_id=f"c{i // 10}"))
            whole = (time.perf_counter() - started) * 1000
            if i < WARM_UP:
                continue
            unanswered += not replies.messages or any(APOLOGY in str(m.get("text")) for m in replies.messages)
            for stage in STAGES[:-2]:
                samples[stage].append(times[stage])
            samples["other"].append(whole - sum(times.values()))
            samples["whole message"].append(whole)
        close = getattr(agent.action_endpoint, "close", None)
        if close is not None:
            await close()
    return {"tensorflow_loaded": "tensorflow" in sys.modules, "unanswered": unanswered,
            "samples": {stage: samples[stage] for stage in STAGES}}


def measure(model: str, setup: str, messages: int) -> dict:
    """One setup, in this process: starts its action server (if it has one), handles the messages."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    tmp = tempfile.mkdtemp()
    leads_db_url = f"sqlite:///{tmp}/leads.db"
    if setup != "rasa":
        from serving import startup

        startup.prepare_rasa()  # before anything imports Rasa, as the launcher does
    if setup == "in_process":
        os.environ["LEADS_DB_URL"] = leads_db_url  # (what the actions read)
        return asyncio.run(_run(model, setup, messages, port=0))
    from servings import free_port

    port = free_port()
    action_server = (["-m", "serving", "actions", "--host", "127.0.0.1"] if setup == "ours"
                     else ["-m", "rasa_sdk", "--actions", "actions"])
    env = dict(os.environ, SANIC_HOST="127.0.0.1", LOG_LEVEL="WARNING", LEADS_DB_URL=leads_db_url)
    actions = subprocess.Popen([sys.executable, *action_server, "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import urllib.request

        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        return asyncio.run(_run(model, setup, messages, port))
    finally:
        actions.terminate()
        actions.wait(timeout=30)


def table(results: dict, messages: int) -> str:
    lines = [f"{messages} messages, milliseconds per message (median / p95)", "",
             "| stage | " + " | ".join(SETUPS[s] for s in results) + " |",
             "|---|" + "---:|" * len(results)]
    for stage in STAGES:
        cells = [f"{statistics.median(results[s]['samples'][stage]):.2f} / "
                 f"{percentile(results[s]['samples'][stage], 95):.2f}" for s in results]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    loaded = ", ".join(f"{SETUPS[s]}: {'yes' if results[s]['tensorflow_loaded'] else 'no'}" for s in results)
    failed = ", ".join(f"{SETUPS[s]}: {results[s]['unanswered']}" for s in results)
    return "\n".join(lines) + (f"\n\nTensorFlow imported while serving: {loaded}\n"
                               f"Messages without an answer (a failed custom action): {failed}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--setup", choices=SETUPS, help="measure one setup in this process (JSON out)")
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.setup:
        print(json.dumps(measure(args.model, args.setup, args.messages)))
        return 0
    # In rounds, taking turns: the machine is shared, and its load changes by the minute.
    results: dict = {}
    for _ in range(ROUNDS):
        for setup in SETUPS:
            done = subprocess.run([sys.executable, __file__, args.model, "--messages", str(args.messages // ROUNDS),
                                   "--setup", setup], cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"{SETUPS[setup]}: the breakdown failed:\n{done.stderr[-3000:]}")
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            merged = results.setdefault(setup, {"tensorflow_loaded": False, "unanswered": 0,
                                                "samples": defaultdict(list)})
            merged["tensorflow_loaded"] |= measured["tensorflow_loaded"]
            merged["unanswered"] += measured["unanswered"]
            for stage, values in measured["samples"].items():
                merged["samples"][stage] += values
    print(table(results, args.messages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
