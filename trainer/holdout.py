"""Intent accuracy of a trained model on the held-out visitor phrasings.

Usage: python -m trainer.holdout MODEL.tar.gz [tests/nlu_holdout.yml]
Prints accuracy (an nlu_fallback counts as wrong), the misses, and the most
confused pairs. Used by tests/test_nlu_holdout.py and to compare pipelines.
"""
import asyncio
import collections
import logging
import os
import sys
from pathlib import Path
from typing import NamedTuple

import yaml

HOLDOUT = Path(__file__).resolve().parent.parent / "tests" / "nlu_holdout.yml"


class Prediction(NamedTuple):
    text: str
    expected: str
    predicted: str
    confidence: float


def load_examples(path: Path = HOLDOUT) -> list[tuple]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (line.strip()[2:].strip(), block["intent"])
        for block in data["nlu"]
        for line in block["examples"].strip().splitlines()
    ]


async def _predict(model: str, examples: list[tuple]) -> list[Prediction]:
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)

    agent = Agent.load(model)
    out = []
    for text, expected in examples:
        parsed = await agent.parse_message(text)
        out.append(Prediction(text, expected, parsed["intent"]["name"], parsed["intent"]["confidence"]))
    return out


def predict(model: str, path: Path = HOLDOUT) -> list[Prediction]:
    return asyncio.run(_predict(model, load_examples(path)))


def report(predictions: list[Prediction]) -> str:
    misses = [p for p in predictions if p.predicted != p.expected]
    right = len(predictions) - len(misses)
    lines = [f"held-out intent accuracy: {right / len(predictions):.3f} ({right}/{len(predictions)})"]
    for p in misses:
        lines.append(f"  MISS {p.expected:24} -> {p.predicted:24} {p.confidence:.2f}  {p.text!r}")
    pairs = collections.Counter((p.expected, p.predicted) for p in misses)
    if pairs:
        lines.append("most confused: " + ", ".join(f"{a}->{b} x{n}" for (a, b), n in pairs.most_common(5)))
    return "\n".join(lines)


def accuracy(predictions: list[Prediction]) -> float:
    return sum(p.predicted == p.expected for p in predictions) / len(predictions)


def main(argv: list[str] | None = None) -> None:
    argv = argv or sys.argv[1:]
    if not argv:
        sys.exit("usage: python -m trainer.holdout MODEL.tar.gz [HOLDOUT.yml]")
    path = Path(argv[1]) if len(argv) > 1 else HOLDOUT
    print(report(predict(argv[0], path)))


if __name__ == "__main__":
    main()
