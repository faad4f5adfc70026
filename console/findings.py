"""What visitors asked that the assistant could not answer, or may have answered wrongly.

Unanswered: exactly what `make report` computes (trainer/report.py, reused as it is):
fallbacks, out of scope and medical questions the documents don't cover, grouped
ignoring case and punctuation, counted and dated. Here each group also keeps where it
was asked, so staff can read the conversation around it.

Possibly wrong: answers the visitor got, but which may have missed. `make report` cannot
see these, because the assistant was confident enough to answer:

* a low margin: the top two intents were within LOW_MARGIN of each other, so a small
  change of wording would have given the other answer;
* followed by a complaint ("that's not what I asked", "wrong answer");
* followed by a rephrase: the visitor's next message, within REPHRASE_SECONDS, shares
  most of its words with this one but was understood as another topic.

Only FAQ answers (ask_* intents) are checked: that is where a wrong confident answer
does harm. Replies to the consultation form are never read as questions (personal data).
"""
import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import sqlalchemy as sa

from trainer.report import UNANSWERED, build_report, read_messages
from trainer.validate import normalised

LOW_MARGIN = 0.1
REPHRASE_SECONDS = 180
REPHRASE_OVERLAP = 0.5  # shared words / all words of the two messages
COMPLAINT = re.compile(
    r"\b(not what i (asked|meant|wanted|said)|(that|this|it)('?s| is) (wrong|not (it|right|true|what i)|incorrect)|"
    r"wrong answer|you('re| are) wrong|(you )?did ?n[o']t (answer|understand|get it)|does ?n[o']t answer|"
    r"i did ?n[o']t ask|not my question|that'?s not (my|the) question|answer my question)\b", re.I)
WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass
class Occurrence:
    sender: str
    timestamp: float
    text: str


@dataclass
class Finding:
    key: str  # stable across page views: what a label is attached to
    kind: str  # "unanswered" or "possibly wrong"
    reason: str
    question: str  # the most recent wording
    count: int
    first_seen: date | None
    last_seen: date | None
    answered_as: str | None = None  # the intent that was answered (possibly wrong)
    then_chose: Counter = field(default_factory=Counter)
    occurrences: list[Occurrence] = field(default_factory=list)  # newest first


def finding_key(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}|{normalised(text)}".encode()).hexdigest()[:16]


def _rankings(engine, since: date | None) -> dict[tuple[str, float], list]:
    """Each visitor message's intent ranking, by (conversation, time)."""
    query = "SELECT sender_id, timestamp, data FROM events WHERE type_name = 'user'"
    params = {}
    if since:
        query += " AND timestamp >= :since"
        params["since"] = datetime.combine(since, datetime.min.time(), timezone.utc).timestamp()
    with engine.connect() as connection:
        rows = connection.execute(sa.text(query), params).fetchall()
    return {(sender, timestamp or 0.0): (json.loads(data or "{}").get("parse_data") or {}).get("intent_ranking") or []
            for sender, timestamp, data in rows}


def _words(text: str) -> set:
    return set(WORD.findall(text.lower()))


def _rephrased(first, second) -> bool:
    a, b = _words(first.text), _words(second.text)
    return (bool(a and b) and second.intent != first.intent and normalised(first.text) != normalised(second.text)
            and 0 <= second.timestamp - first.timestamp <= REPHRASE_SECONDS
            and len(a & b) / len(a | b) >= REPHRASE_OVERLAP)


def _suspicion(message, following, ranking) -> str | None:
    if following is not None and COMPLAINT.search(following.text):
        return "followed by a complaint"
    if following is not None and _rephrased(message, following):
        return "followed by a rephrase"
    if len(ranking) >= 2 and (ranking[0].get("confidence") or 0) - (ranking[1].get("confidence") or 0) < LOW_MARGIN:
        return f"low margin: {ranking[0].get('name')} {ranking[0]['confidence']:.2f} vs " \
               f"{ranking[1].get('name')} {ranking[1]['confidence']:.2f}"
    return None


def find(engine, since: date | None = None) -> list[Finding]:
    """Unanswered groups (most frequent first), then possibly wrong answers (likewise)."""
    pairs = list(read_messages(engine, since))
    groups, _ = build_report(pairs)
    where: dict[tuple, list[Occurrence]] = defaultdict(list)
    for message, _clicked in pairs:
        if message.intent in UNANSWERED:
            where[(normalised(message.text), UNANSWERED[message.intent])].append(
                Occurrence(message.sender, message.timestamp, message.text))
    findings = [Finding(finding_key("unanswered", g.question), "unanswered", g.reason, g.question, g.count,
                        g.first_seen, g.last_seen, then_chose=g.then_chose,
                        occurrences=sorted(where[(normalised(g.question), g.reason)], key=lambda o: -o.timestamp))
                for g in groups]
    return findings + possibly_wrong(engine, pairs, since)


def possibly_wrong(engine, pairs, since: date | None) -> list[Finding]:
    rankings = _rankings(engine, since)
    typed_by_sender: dict[str, list] = defaultdict(list)
    for message, _clicked in pairs:
        typed_by_sender[message.sender].append(message)
    grouped: dict[str, Finding] = {}
    for messages in typed_by_sender.values():
        for message, following in zip(messages, messages[1:] + [None], strict=True):
            if not message.intent.startswith("ask_") or message.intent in UNANSWERED:
                continue
            reason = _suspicion(message, following, rankings.get((message.sender, message.timestamp), []))
            if reason is None:
                continue
            key = finding_key("possibly wrong", message.text)
            finding = grouped.setdefault(key, Finding(key, "possibly wrong", reason, message.text, 0, None, None,
                                                      answered_as=message.intent))
            finding.count += 1
            finding.first_seen = min(filter(None, [finding.first_seen, message.day]))
            finding.last_seen = max(filter(None, [finding.last_seen, message.day]))
            finding.occurrences.append(Occurrence(message.sender, message.timestamp, message.text))
            if message.timestamp >= max(o.timestamp for o in finding.occurrences):
                finding.question, finding.reason, finding.answered_as = message.text, reason, message.intent
    for finding in grouped.values():
        finding.occurrences.sort(key=lambda o: -o.timestamp)
    return sorted(grouped.values(),
                  key=lambda f: (-f.count, -(f.last_seen or date.min).toordinal(), f.question.lower()))
