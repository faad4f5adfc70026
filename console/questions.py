"""The "Questions" pages: what the assistant could not answer, or may have answered
wrongly (findings.py), each with the conversation around it, and the staff's labels.

A label says what should happen to a question: "should have been: <topic>" (a training
example for that topic), "new topic needed", or "ignore". Labels are kept in the
console's database, with the question's wording (not for "ignore": what is not needed is
not kept); `make review-export` turns them into a review file for a trainer. The live
assistant's training data is never edited here.
"""
import asyncio
from datetime import date, timedelta

import sqlalchemy as sa
from sanic import Blueprint, response
from sanic.request import Request

from actions import registry
from console import audit, findings
from console.database import metadata, utc_now
from console.pages import error_page, render
from console.transcript import around, conversations, transcript

LABELS = {"should_have_been": "should have been", "new_topic": "new topic needed", "ignore": "ignore"}
PERIODS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
SHOWN_OCCURRENCES = 3

labels_table = sa.Table(
    "question_labels",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),  # findings.finding_key
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("question", sa.String(1000), nullable=False),
    sa.Column("label", sa.String(20), nullable=False),
    sa.Column("topic", sa.String(100)),  # the intent, for "should have been"
    sa.Column("labelled_by", sa.String(254), nullable=False),
    sa.Column("labelled_at", sa.DateTime, nullable=False),
)


def topics() -> dict[str, registry.Faq]:
    """The topics a question can be labelled with: the FAQs of data/faqs.yml, by intent."""
    return registry.load()


def topic_title(intent: str | None) -> str:
    return topics()[intent].title if intent in topics() else (intent or "")


def labels(engine) -> dict[str, sa.engine.Row]:
    with engine.connect() as connection:
        return {row.key: row for row in connection.execute(labels_table.select())}


def set_label(engine, finding: findings.Finding, label: str | None, topic: str | None, staff: str) -> None:
    with engine.begin() as connection:
        connection.execute(labels_table.delete().where(labels_table.c.key == finding.key))
        if label:
            connection.execute(labels_table.insert().values(
                key=finding.key, kind=finding.kind, question="" if label == "ignore" else finding.question,
                label=label, topic=topic,
                labelled_by=staff, labelled_at=utc_now()))


def _days(request: Request) -> int:
    text = request.args.get("days", "")
    return int(text) if text.isdigit() and int(text) in PERIODS else DEFAULT_DAYS


async def _findings(request: Request, days: int) -> list[findings.Finding]:
    store = conversations()
    engine = store.engine if store else None
    if engine is None or not sa.inspect(engine).has_table("events"):
        return []  # no conversation yet
    since = date.today() - timedelta(days=days)
    return await asyncio.get_running_loop().run_in_executor(None, findings.find, engine, since)


pages = Blueprint("questions")


@pages.get("/questions")
async def questions_page(request: Request):
    days = _days(request)
    found = await _findings(request, days)
    return render(request, "questions.html", findings=found, labels=labels(request.app.ctx.db), label_names=LABELS,
                  topic_title=topic_title, days=days, periods=PERIODS)


async def _finding(request: Request, key: str):
    days = _days(request)
    match = next((f for f in await _findings(request, days) if f.key == key), None)
    if match is None:
        return None, error_page(request, 404, "No such question", "This question is no longer in the conversations "
                                f"of the last {days} days (conversations are deleted after the retention period).")
    return match, None


@pages.get("/questions/<key:[0-9a-f]{16}>")
async def question_page(request: Request, key: str):
    finding, missing = await _finding(request, key)
    if missing:
        return missing
    store = conversations()
    excerpts = [(o, around(transcript(store, o.sender), o.timestamp))
                for o in finding.occurrences[:SHOWN_OCCURRENCES]]
    return render(request, "question.html", finding=finding, excerpts=excerpts, label=labels(request.app.ctx.db)
                  .get(key), label_names=LABELS, topics=topics(), topic_title=topic_title, days=_days(request),
                  saved=request.args.get("saved", ""))


@pages.post("/questions/<key:[0-9a-f]{16}>/label")
async def label_question(request: Request, key: str):
    finding, missing = await _finding(request, key)
    if missing:
        return missing
    label = request.form.get("label") or ""
    topic = request.form.get("topic") or None
    if label not in LABELS and label != "clear":
        return error_page(request, 400, "Unknown label", "Choose one of: should have been (a topic), new topic "
                          "needed, ignore.")
    if label == "should_have_been" and topic not in topics():
        return error_page(request, 400, "Which topic?", "Choose the topic the question should have been answered "
                          "with, then save again.")
    label = None if label == "clear" else label
    set_label(request.app.ctx.db, finding, label, topic if label == "should_have_been" else None,
              request.ctx.session.email)
    audit.record(request.app.ctx.db, request.ctx.session.email, "labelled question" if label else "cleared label",
                 f"question {key}", f"{LABELS[label]}: {topic}" if label == "should_have_been" else
                 (LABELS[label] if label else ""))
    return response.redirect(f"/questions/{key}?days={_days(request)}&saved=1")
