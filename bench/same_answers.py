"""Every message's NLU reading and reply, as `make run` serves them: to show that a speed change
changes no answer.

    python bench/same_answers.py MODEL.tar.gz OUT.json [--stock]

Writes, for each message, the intent ranking (confidences as Python writes floats: every bit),
the entities, the replies and the actions that ran, with the policy that chose each. The messages:
the held-out phrasings (tests/nlu_holdout.yml) and every example of data/nlu/ parsed alone, and the
tune part's conversations (tests/eval/tune/: single questions, follow-ups, consultation forms)
handled turn by turn through Rasa's `Agent.handle_message`. Served as bench/breakdown.py serves
"actions in process": serving/startup.py's changes, the tracker store endpoints.yml names (a
throwaway SQLite file), the custom actions in process. `--stock` loads the model with stock Rasa
instead (no serving change, Rasa's in-memory tracker store, the actions in process).

Run it before and after a change and compare the two files (`cmp`): timings are not in them.
"""
import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TUNE = ROOT / "tests" / "eval" / "tune"


def nlu_examples() -> list[str]:
    texts = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in (block.get("examples") or "").strip().splitlines():
                if line.strip().startswith("- "):
                    texts.append(line.strip()[2:].strip())
    return texts


def tune_conversations() -> list[list[str]]:
    conversations: list[list[str]] = []
    for name in ("everyday", "other_treatments", "real_style", "follow_ups", "form"):
        data = yaml.safe_load((TUNE / f"{name}.yml").read_text(encoding="utf-8"))
        for item in next(iter(data.values())):
            if isinstance(item, str):
                conversations.append([item])
            elif item.get("turns"):
                conversations.append([str(turn) for turn in item["turns"]])
            else:
                conversations.append([item["text"]])
    return conversations


def reading(parsed: dict) -> dict:
    return {"intent": parsed.get("intent"), "intent_ranking": parsed.get("intent_ranking"),
            "entities": parsed.get("entities")}


async def _run(model: str, stock: bool, tmp: Path) -> dict:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.shared.core.events import ActionExecuted
    from rasa.utils.log_utils import configure_structlog

    from serving import actions_in_process
    from trainer import holdout

    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    if stock:
        agent = Agent.load(model, lock_store=InMemoryLockStore())
    else:
        from rasa.core.tracker_store import TrackerStore
        from rasa.utils.endpoints import EndpointConfig

        store_type = yaml.safe_load((ROOT / "endpoints.yml").read_text())["tracker_store"]["type"]
        store = TrackerStore.create(EndpointConfig(type=store_type, url=f"sqlite:///{tmp / 'conversations.db'}"))
        agent = Agent.load(model, tracker_store=store, lock_store=InMemoryLockStore())
    actions_in_process.answer_in_process(agent, actions_in_process.load_executor())
    readings: list[dict] = []  # what NLU made of each message handled (Rasa's processor parses it once)
    parse = agent.processor.parse_message

    async def parse_and_keep(*args, **kwargs):
        parsed = await parse(*args, **kwargs)
        readings.append(reading(parsed))
        return parsed

    agent.processor.parse_message = parse_and_keep

    parsed = {}
    for text in [text for text, _ in holdout.load_examples()] + nlu_examples():
        parsed[text] = reading(await agent.parse_message(text))
    readings.clear()
    conversations = []
    for number, turns in enumerate(tune_conversations()):
        sender = f"conversation-{number}"
        handled = []
        for turn in turns:
            replies = CollectingOutputChannel()
            readings.clear()
            await agent.handle_message(UserMessage(turn, replies, sender_id=sender))
            handled.append({"text": turn, "readings": list(readings), "replies": replies.messages})
        tracker = await agent.tracker_store.retrieve(sender)
        conversations.append({"turns": handled, "actions": [
            [e.action_name, e.policy] for e in tracker.events if isinstance(e, ActionExecuted)]})
    return {"parsed": parsed, "conversations": conversations}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("out", type=Path)
    parser.add_argument("--stock", action="store_true", help="stock Rasa: no serving change")
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    if not args.stock:
        from serving import startup

        startup.prepare_rasa()  # before anything imports Rasa, as the launcher does
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LEADS_DB_URL"] = f"sqlite:///{tmp}/leads.db"  # (what the form's actions store)
        result = asyncio.run(_run(str(Path(args.model).resolve()), args.stock, Path(tmp)))
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True))
    print(f"{len(result['parsed'])} messages parsed, {len(result['conversations'])} conversations "
          f"({sum(len(c['turns']) for c in result['conversations'])} messages) handled: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
