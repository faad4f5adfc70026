"""The consultation form's blind evaluation: messy conversations nobody on the team wrote.

Each conversation in tests/eval/<part>/form.yml is played turn by turn against the trained
model and the real action server (trainer/blind_eval.py's set-up: Rasa's Agent in-process,
rasa-sdk's action server in a subprocess, the leads store in a temporary SQLite file), as a
new visitor. Then the request stored for that visitor, if any, is compared with the summary
the conversation should end in:

  exact         every field right: the name exactly (spaces squeezed), the email ignoring
                case, the phone by its digits and leading +, the preferred time and the concern
                ignoring case and surrounding punctuation; ``concern: "proposed: <words>"``
                means the proposed topic was accepted (the stored concern holds those words);
                ``stored: false``: nothing may be stored at all
  wrong field   a detail stored in a field it does not belong to: an email address or phone
                number outside the contact, another field's expected value, or a question
                stored as a detail. Counted apart from the exact score: none is acceptable.

Usage: python -m trainer.form_eval [--part heldout|tune] [--model PATH] [--json FILE] [--file YAML]
                                   [--ids-prefix PREFIX]
Prints the rates (overall, by kind, and by series: the id without its number, so that each
writer's batch can be told apart, e.g. n2 for the second writer's), then every miss (turns,
the assistant's replies, expected and stored). --ids-prefix plays only the conversations
whose id starts with PREFIX.
The held-out targets (at least 90% exact, no wrong field) are guarded by
tests/test_eval_form.py.
"""
import argparse
import asyncio
import json
import logging
import re
import sys
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trainer.blind_eval import ROOT, SETS, Assistant

FIELDS = ("name", "email", "phone", "preferred_time", "concern")
TARGET_EXACT = 0.90
PROPOSED = "proposed:"
QUESTION_START = re.compile(r"^(what|where|when|how|why|who|which|is|are|can|could|do|does|will|would)\b", re.I)
# Words that say when (kept independent of the form's own patterns, which this evaluates).
TIME_WORDS = re.compile(r"\b(mornings?|afternoons?|evenings?|nights?|weekdays?|weekends?|tomorrow|today|tonight|asap"
                        r"|lunchtime|(mon|tues|wednes|thurs|fri|satur|sun)days?|\d{1,2}\s?(am|pm))\b", re.I)


@dataclass
class Outcome:
    id: str
    kind: str
    turns: list[str]
    replies: list[list[str]]
    expected: dict[str, Any]
    stored: dict[str, Any] | None  # None: nothing stored
    exact: bool = False
    wrong_fields: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # the fields that differ


@dataclass
class FormResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def exact_rate(self) -> float:
        return sum(o.exact for o in self.outcomes) / max(1, len(self.outcomes))

    @property
    def wrong_field_count(self) -> int:
        return sum(len(o.wrong_fields) for o in self.outcomes)

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.exact or o.wrong_fields]

    def meets_target(self) -> bool:
        return self.exact_rate >= TARGET_EXACT and self.wrong_field_count == 0


# --- comparing a stored request with the expected summary -------------------------------

def _squeeze(value: Any) -> str:
    return " ".join(str(value or "").split())


def _loose(value: Any) -> str:
    """Lower case, spaces squeezed, surrounding punctuation and spaces dropped."""
    return re.sub(r"^[\W_]+|[\W_]+$", "", _squeeze(value).lower())


def _phone(value: Any) -> str:
    text = _squeeze(value)
    return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)


def field_matches(name: str, expected: Any, stored: Any) -> bool:
    if expected is None or _squeeze(expected) == "":
        return not _squeeze(stored)
    if name == "name":
        return _squeeze(expected) == _squeeze(stored)
    if name == "email":
        return _squeeze(expected).lower() == _squeeze(stored).lower()
    if name == "phone":
        return bool(_squeeze(stored)) and _phone(expected) == _phone(stored)
    if name == "concern" and str(expected).strip().lower().startswith(PROPOSED):
        words = str(expected).strip()[len(PROPOSED):].lower().split()
        return bool(_squeeze(stored)) and all(word in _squeeze(stored).lower() for word in words)
    return _loose(expected) == _loose(stored)


def _holds(stored: str, expected: Any) -> bool:
    """Whether another field's expected value is in this stored text (whole words)."""
    needle = _loose(expected)
    if len(needle) < 3 or needle.startswith(PROPOSED):
        return False
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", _squeeze(stored).lower()) is not None


def wrong_fields(expected: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """Fields holding a detail of another kind ("preferred_time: a phone number")."""
    found = []
    for name in ("name", "preferred_time", "concern"):
        value = _squeeze(stored.get(name))
        if not value or field_matches(name, expected.get(name), value):
            continue
        if "@" in value:
            found.append(f"{name}: an email address")
        elif len(re.findall(r"\d", value)) >= 7:
            found.append(f"{name}: a phone number")
        elif (value.endswith("?") or QUESTION_START.match(value)) and not value.lower().startswith("your question"):
            found.append(f"{name}: a question")
        elif name != "preferred_time" and TIME_WORDS.search(value) \
                and not TIME_WORDS.search(str(expected.get(name) or "")):
            found.append(f"{name}: a time")
        else:
            others = [other for other in ("name", "preferred_time", "concern", "email")
                      if other != name and _holds(value, expected.get(other))]
            if others:
                found.append(f"{name}: the expected {others[0].replace('_', ' ')}")
    return found


def score(conversation: dict[str, Any], stored: dict[str, Any] | None, replies: list[list[str]]) -> Outcome:
    expect = conversation.get("expect") or {}
    outcome = Outcome(str(conversation.get("id")), str(conversation.get("kind", "")), list(conversation["turns"]),
                      replies, expect, stored)
    if not expect.get("stored", True):
        outcome.exact = stored is None
        outcome.wrong = [] if stored is None else ["stored"]
        return outcome
    if stored is None:
        outcome.wrong = ["stored"]
        return outcome
    outcome.wrong = [name for name in FIELDS if not field_matches(name, expect.get(name), stored.get(name))]
    outcome.exact = not outcome.wrong
    outcome.wrong_fields = wrong_fields(expect, stored)
    return outcome


# --- playing the conversations ----------------------------------------------------------

def load(part: str, path: Path | None = None) -> list[dict[str, Any]]:
    path = path or SETS / part / "form.yml"
    if not path.exists():
        raise SystemExit(f"error: no form conversations at {path.relative_to(ROOT)}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]


def stored_request(leads_db_url: str, sender: str) -> dict[str, Any] | None:
    from leads.store import RequestStore

    requests = [r for r in RequestStore(leads_db_url).newest_first() if r.conversation_id == sender]
    if not requests:
        return None
    request = requests[0]
    return {"name": request.name, "email": request.contact.email, "phone": request.contact.phone,
            "preferred_time": request.preferred_time, "concern": request.concern,
            **({"requests": len(requests)} if len(requests) > 1 else {})}


async def evaluate(model: Path, part: str, conversations: list[dict[str, Any]] | None = None) -> FormResult:
    """Plays the part's conversations (or those given) and scores what each stored."""
    conversations = conversations if conversations is not None else load(part)
    assistant = Assistant(model)
    result = FormResult()
    try:
        await assistant.start()
        leads_db_url = f"sqlite:///{assistant.tmp / 'leads.db'}"
        for conversation in conversations:
            sender = "form-eval-" + uuid.uuid4().hex
            replies = [await assistant.say(str(turn), sender) for turn in conversation["turns"]]
            result.outcomes.append(score(conversation, stored_request(leads_db_url, sender), replies))
    finally:
        assistant.stop()
    return result


def series(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    """Outcomes by their id without its trailing number ("n2-07" -> "n2")."""
    grouped: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        grouped.setdefault(re.sub(r"[-_]?\d+$", "", outcome.id) or outcome.id, []).append(outcome)
    return grouped


def report(result: FormResult, part: str, out=None) -> None:
    out = out or sys.stdout  # looked up when called: pytest's capsys.disabled() swaps it
    total = len(result.outcomes)
    where = f"{part} part (tests/eval/{part}/form.yml)" if part in ("tune", "heldout") else part
    print(f"Consultation form, {where}: {total} conversations", file=out)
    exact_mark = "ok" if result.exact_rate >= TARGET_EXACT else "MISSES TARGET"
    field_mark = "ok" if result.wrong_field_count == 0 else "MISSES TARGET"
    print(f"  exact summary: {result.exact_rate:6.1%}  ({sum(o.exact for o in result.outcomes)}/{total}; "
          f"target at least {TARGET_EXACT:.0%})   {exact_mark}", file=out)
    print(f"  wrong field:   {result.wrong_field_count:4}     (target 0)   {field_mark}", file=out)
    kinds: dict[str, list[Outcome]] = {}
    for outcome in result.outcomes:
        kinds.setdefault(outcome.kind, []).append(outcome)
    for kind, outcomes in sorted(kinds.items()):
        print(f"    {kind:16} {sum(o.exact for o in outcomes):3}/{len(outcomes):<3} exact", file=out)
    for name, outcomes in sorted(series(result.outcomes).items()):
        print(f"  series {name:9} {sum(o.exact for o in outcomes):3}/{len(outcomes):<3} exact, "
              f"{sum(len(o.wrong_fields) for o in outcomes)} wrong field", file=out)
    for miss in result.misses:
        print(f"\n- {miss.id} ({miss.kind}): " + ("; ".join(miss.wrong_fields) or "wrong: " + ", ".join(miss.wrong)),
              file=out)
        for said, replies in zip(miss.turns, miss.replies, strict=True):
            print(f"    visitor: {said}", file=out)
            for reply in replies:
                print("      bot: " + reply.replace("\n", " / "), file=out)
        print(f"    expected: {miss.expected}", file=out)
        print(f"    stored:   {miss.stored if miss.stored is not None else 'nothing'}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["heldout", "tune"], default="heldout")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "clinic-faq.tar.gz")
    parser.add_argument("--json", type=Path, help="also write the outcomes to this file")
    parser.add_argument("--file", type=Path, help="play these conversations instead (the same format)")
    parser.add_argument("--ids-prefix", default="", help="play only the conversations whose id starts with this")
    args = parser.parse_args(argv)
    conversations = load(args.part, args.file)
    if args.ids_prefix:
        conversations = [c for c in conversations if str(c.get("id", "")).startswith(args.ids_prefix)]
        if not conversations:
            parser.error(f"no conversation's id starts with {args.ids_prefix!r}")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)
    result = asyncio.run(evaluate(args.model, args.part, conversations))
    report(result, str(args.file) if args.file else args.part)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"exact": result.exact_rate, "wrong_fields": result.wrong_field_count,
                                         "outcomes": [asdict(o) for o in result.outcomes]}, indent=1,
                                        ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
