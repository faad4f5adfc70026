"""What visitors asked that the assistant could not answer: the trainers' to-do list.

Reads the conversation store (Rasa's SQL tracker store: the SQLite file by default,
or PostgreSQL via a SQLAlchemy URL) and lists the visitor messages that ended in the
fallback ("not understood"), out of scope, or a medical question the documents don't
answer. Messages are grouped ignoring case and punctuation, most frequent first, with
the dates they were seen and, after a "Did you mean…?", which topic the visitor chose.
Then it shows, per day, the share of visitor messages that were answered.

    python -m trainer.report [--db PATH_OR_URL] [--since YYYY-MM-DD] [--csv FILE]

`make report` runs it on the conversations of `make run` (TRACKER_STORE_URL).
"""
import argparse
import csv
import json
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from leads.spreadsheet import private_file, spreadsheet_safe
from trainer.validate import normalised

# The form that takes a visitor's details for a consultation (domain.yml, forms:).
CONSULTATION_FORM = "consultation_form"

# Intents whose messages the assistant could not answer, and how the report names them.
UNANSWERED = {
    "nlu_fallback": "not understood",
    "out_of_scope": "out of scope",
    "ask_not_covered": "not in the documents",
    "ask_other_treatment": "another treatment",
    "report_adverse_reaction": "a reaction after treatment",
}


@dataclass
class VisitorMessage:
    sender: str
    text: str
    intent: str
    timestamp: float

    @property
    def day(self) -> date:
        return datetime.fromtimestamp(self.timestamp, timezone.utc).date()


@dataclass
class Group:
    question: str
    reason: str
    count: int = 0
    latest: float = float("-inf")  # when `question` was asked
    first_seen: date | None = None
    last_seen: date | None = None
    then_chose: Counter = field(default_factory=Counter)


def engine_for(db: str) -> sa.engine.Engine:
    if db.startswith("sqlite:///"):
        db = db[len("sqlite:///"):]
    if "://" in db:
        return sa.create_engine(db)
    if not Path(db).is_file():
        raise SystemExit(f"error: no conversation store at {db} (has the assistant run yet? see `make run`)")
    return sa.create_engine(f"sqlite:///{Path(db).resolve()}")


def read_messages(engine: sa.engine.Engine, since: date | None) -> Iterable[tuple]:
    """(message, the button the visitor clicked next, if any), oldest first per visitor.

    Replies to the consultation form (name, email, phone, ...) are personal data, not
    questions: they are left out. Questions asked during the form (ask_*) are kept.
    """
    query = sa.text(
        "SELECT sender_id, timestamp, intent_name, data, type_name FROM events "
        "WHERE type_name IN ('active_loop', 'session_started', 'restart') "
        "OR (type_name = 'user' " + ("AND timestamp >= :since" if since else "") + ") ORDER BY sender_id, id"
    )
    params = {"since": datetime.combine(since, datetime.min.time(), timezone.utc).timestamp()} if since else {}
    with engine.connect() as connection:
        rows = connection.execute(query, params).fetchall()
    by_sender: dict[str, list[VisitorMessage]] = defaultdict(list)
    in_form: dict[str, bool] = {}
    for sender, timestamp, intent, data, kind in rows:
        event = json.loads(data or "{}")
        if kind != "user":
            in_form[sender] = kind == "active_loop" and event.get("name") == CONSULTATION_FORM
            continue
        if in_form.get(sender) and not (intent or "").startswith("ask_"):
            continue
        text = (event.get("text") or "").strip()
        by_sender[sender].append(VisitorMessage(sender, text, intent or "", timestamp or 0.0))
    for messages in by_sender.values():
        for message, following in zip(messages, messages[1:] + [None], strict=True):
            if message.text and not message.text.startswith("/"):  # "/intent" = a clicked button
                clicked = following.text[1:] if following and following.text.startswith("/") else None
                yield message, clicked


def build_report(messages: Iterable[tuple]):
    groups: dict[tuple, Group] = {}
    per_day: dict[date, Counter] = defaultdict(Counter)
    for message, clicked in messages:
        per_day[message.day]["messages"] += 1
        reason = UNANSWERED.get(message.intent)
        if reason is None:
            per_day[message.day]["answered"] += 1
            continue
        key = (normalised(message.text), reason)
        group = groups.setdefault(key, Group(message.text, reason))
        group.count += 1
        if message.timestamp >= group.latest:  # show the most recent wording
            group.question, group.latest = message.text, message.timestamp
        group.first_seen = min(filter(None, [group.first_seen, message.day]))
        group.last_seen = max(filter(None, [group.last_seen, message.day]))
        if clicked and clicked != "out_of_scope":
            group.then_chose[clicked] += 1
    ordered = sorted(groups.values(), key=lambda g: (-g.count, -g.last_seen.toordinal(), g.question.lower()))
    return ordered, dict(sorted(per_day.items()))


def chose_text(group: Group) -> str:
    return ", ".join(f"{intent} x{n}" for intent, n in group.then_chose.most_common())


def print_report(groups: list[Group], per_day: dict[date, Counter], since: date | None) -> None:
    scope = f" since {since}" if since else ""
    if not groups:
        print(f"Every visitor message{scope} was answered.")
    else:
        print(f"Visitor messages the assistant could not answer{scope}, most frequent first:\n")
        print(f"{'count':>5}  {'reason':<21} {'first seen':<11} {'last seen':<11} question")
        for g in groups:
            chose = f"   (then chose: {chose_text(g)})" if g.then_chose else ""
            print(f"{g.count:>5}  {g.reason:<21} {g.first_seen!s:<11} {g.last_seen!s:<11} {g.question}{chose}")
    print("\nShare of visitor messages answered from the documents, per day (the rest are above):\n")
    print(f"{'date':<11} {'messages':>8} {'answered':>8} {'share':>6}")
    for day, c in per_day.items():
        print(f"{day!s:<11} {c['messages']:>8} {c['answered']:>8} {c['answered'] / c['messages']:>6.0%}")
    if not per_day:
        print("(no visitor messages yet)")


def write_csv(path: Path, groups: list[Group]) -> None:
    # Visitors' words: a cell starting with = + - @ would run as a formula (leads/spreadsheet.py).
    with private_file(path) as f:
        writer = csv.writer(f)
        writer.writerow(["count", "reason", "first_seen", "last_seen", "question", "then_chose"])
        for g in groups:
            writer.writerow([g.count, g.reason, g.first_seen, g.last_seen, spreadsheet_safe(g.question),
                             spreadsheet_safe(chose_text(g))])


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date like 2026-11-01") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("TRACKER_STORE_URL", "var/conversations.db"),
                        help="SQLite file or SQLAlchemy URL of the tracker store (default: $TRACKER_STORE_URL)")
    parser.add_argument("--since", type=parse_day, help="only messages from this day on (YYYY-MM-DD, UTC)")
    parser.add_argument("--csv", type=Path, help="also write the unanswered questions to this CSV file")
    args = parser.parse_args(argv)
    groups, per_day = build_report(read_messages(engine_for(args.db), args.since))
    print_report(groups, per_day, args.since)
    if args.csv:
        write_csv(args.csv, groups)
        print(f"\nWrote {len(groups)} rows to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
