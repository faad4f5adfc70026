"""`make review-export`: the questions staff labelled in the console, as candidate
training examples in a review file for a trainer.

    python -m console review-export [--out FILE]   (default: results/review-candidates.yml)

The file is in Rasa's NLU format: "should have been: <topic>" questions under their
intent, so a trainer can check each one and copy the good ones into data/nlu/ (see
docs/training.md), then run `make validate` and `make eval`. Questions labelled "new
topic needed" are listed as comments: they need an answer before they need examples.
"ignore" is left out. Nothing is ever written into data/: the live assistant's training
data changes only through a trainer.
"""
import argparse
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from console import settings as console_settings
from console.database import open_database
from console.questions import labels, topic_title

DEFAULT_OUT = console_settings.ROOT / "results" / "review-candidates.yml"
DATA = console_settings.ROOT / "data"


def one_line(text: str) -> str:
    return " ".join(text.split())


def review_file(rows) -> str:
    by_topic = defaultdict(list)
    new_topics: list[str] = []
    for row in sorted(rows, key=lambda r: r.labelled_at):
        if row.label == "should_have_been" and row.topic:
            by_topic[row.topic].append(one_line(row.question))
        elif row.label == "new_topic":
            new_topics.append(one_line(row.question))
    lines = [
        f"# Candidate training examples, labelled by clinic staff in the console "
        f"(exported {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `make review-export`).",
        "# NOT training data yet. Check each example: is it really a question for that topic,",
        "# and does it hold no personal data? Copy the good ones into data/nlu/ under the same",
        "# intent, then run `make validate` and `make eval` (docs/training.md).",
        'version: "3.1"',
        "nlu:" if by_topic else "nlu: []",
    ]
    for topic in sorted(by_topic):
        lines += [f"- intent: {topic}  # {topic_title(topic)}", "  examples: |"]
        lines += [f"    - {example}" for example in dict.fromkeys(by_topic[topic])]
    lines.append("")
    lines.append("# Questions staff marked \"new topic needed\": the assistant has no answer for them yet.")
    lines.append("# A new topic needs the clinic's information first (sources/), then an intent and examples.")
    lines += [f"#   - {question}" for question in dict.fromkeys(new_topics)] or ["#   (none)"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make review-export", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the review file (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if out == DATA or DATA in out.parents:
        print(f"error: {args.out} is inside data/. The review file is checked by a trainer before anything goes "
              f"into data/: write it elsewhere (default {DEFAULT_OUT}).", file=sys.stderr)
        return 2
    try:
        rows = list(labels(open_database(console_settings.load().db_url)).values())
    except console_settings.ConsoleSettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(review_file(rows), encoding="utf-8")
    examples = sum(1 for r in rows if r.label == "should_have_been")
    new_topics = sum(1 for r in rows if r.label == "new_topic")
    print(f"Wrote {examples} candidate example(s) and {new_topics} question(s) needing a new topic to {args.out}.")
    print("Check them before copying any into data/nlu/ (docs/training.md).")
    return 0
