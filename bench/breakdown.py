"""Where a message's time goes, per stage, for one model (in-process, one visitor).

    python bench/breakdown.py MODEL.tar.gz [N]

Times, per message on N held-out phrasings (default 100), each stage Rasa runs:
  * NLU: the pipeline's parse of the text;
  * policy: predicting the next action(s) from the tracker;
  * action server: one HTTP round trip to the project's action server (started here);
  * tracker store: saving and retrieving the conversation in SQLite and in memory.
Prints median and p95 milliseconds per stage.
"""
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _endpoint(port):
    from rasa.utils.endpoints import EndpointConfig

    return EndpointConfig(f"http://127.0.0.1:{port}/webhook")


def ms(samples):
    ordered = sorted(samples)
    return f"{statistics.median(ordered):7.2f} {ordered[int(0.95 * (len(ordered) - 1))]:7.2f}"


async def main(model: str, n: int) -> None:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog
    from run_bench import free_port

    from trainer import holdout as evaluate_holdout

    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    texts = [t for t, _ in evaluate_holdout.load_examples()][:n]
    port = free_port()
    agent = Agent.load(model, action_endpoint=_endpoint(port))
    processor = agent.processor

    actions = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                               cwd=ROOT, env=dict(os.environ, SANIC_HOST="127.0.0.1"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stages = {"NLU": [], "policy": [], "action server": [], "SQLite store": [], "in-memory store": [],
              "whole message": []}
    try:
        await _measure(agent, processor, texts, port, stages)
    finally:
        actions.terminate()
    print(f"{Path(model).name}: per message, {len(texts)} messages, milliseconds\n")
    print(f"{'stage':<18} {'median':>7} {'p95':>7}")
    for name, samples in stages.items():
        if samples:
            print(f"{name:<18} {ms(samples)}")


async def _measure(agent, processor, texts, port, stages) -> None:
    import aiohttp
    from rasa.core.channels.channel import UserMessage
    from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, UserUttered

    with tempfile.TemporaryDirectory() as tmp:
        sql = SQLTrackerStore(agent.domain, dialect="sqlite", db=os.path.join(tmp, "t.db"))
        memory = InMemoryTrackerStore(agent.domain)
        async with aiohttp.ClientSession() as session:
            for _ in range(100):  # wait for the action server
                try:
                    async with session.get(f"http://127.0.0.1:{port}/health"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            for i, text in enumerate(texts):
                started = time.perf_counter()
                parsed = await processor.parse_message(UserMessage(text))
                stages["NLU"].append((time.perf_counter() - started) * 1000)

                tracker = await processor.get_tracker(f"breakdown-{i}")
                tracker.update(ActionExecuted("action_listen"))
                tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
                started = time.perf_counter()
                prediction = processor.predict_next_with_tracker(tracker)
                stages["policy"].append((time.perf_counter() - started) * 1000)

                action = max(prediction["scores"], key=lambda s: s["score"])["action"] if prediction else None
                if action and action.startswith("action_answer_"):
                    body = {"next_action": action, "sender_id": tracker.sender_id,
                            "tracker": tracker.current_state(), "domain": agent.domain.as_dict(), "version": "3.6.2"}
                    started = time.perf_counter()
                    async with session.post(f"http://127.0.0.1:{port}/webhook", json=body) as reply:
                        await reply.read()
                    stages["action server"].append((time.perf_counter() - started) * 1000)

                # Everything Rasa does for one message (NLU, policies, actions, store), no HTTP in.
                agent.action_endpoint = agent.action_endpoint or _endpoint(port)
                started = time.perf_counter()
                await agent.handle_message(UserMessage(text, sender_id=f"whole-{i}"))
                stages["whole message"].append((time.perf_counter() - started) * 1000)

                for name, store in (("SQLite store", sql), ("in-memory store", memory)):
                    started = time.perf_counter()
                    await store.save(tracker)
                    await store.retrieve(tracker.sender_id)
                    stages[name].append((time.perf_counter() - started) * 1000)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: breakdown.py MODEL.tar.gz [N]")
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100))
