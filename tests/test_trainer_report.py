"""`make report` on a conversation store filled by real conversations through a running server."""
import csv
import re
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from paths import ROOT
from servers import start_assistant


def utc_day() -> str:
    return datetime.now(timezone.utc).date().isoformat()


# The day the visits were stored (UTC), set by the fixture that stores them.
TODAY = utc_day()

# (visitor, message). Answered: cost x3, pain x1, a consultation request x1. Not answered:
# weather x2 (two visitors, different punctuation), joke x1, pregnancy x2, "i was wondering" x1
# (then a button click). Replies to the consultation form are personal data, never listed:
# "blah blah" (an out-of-scope phrase, typed as a name) and "stop".
VISITS = [
    ("v1", "how much does it cost?"), ("v1", "what's the weather like tomorrow"),
    ("v1", "can i have it if im pregnant?"),
    ("v2", "how much does it cost?"), ("v2", "What's the weather like tomorrow?!"), ("v2", "tell me a joke"),
    ("v3", "how much does it cost?"), ("v3", "can i have it if im pregnant?"), ("v3", "does it hurt?"),
    ("v4", "i was wondering"), ("v4", "/ask_pain"),
    ("v5", "I'd like to book"), ("v5", "blah blah"), ("v5", "stop"),
]


@pytest.fixture(scope="module")
def filled_store(model_path, tmp_path_factory):
    global TODAY
    with start_assistant(model_path, tmp_path_factory.mktemp("report")) as assistant:
        senders = {}
        before = utc_day()
        for visitor, message in VISITS:
            sender = senders.setdefault(visitor, assistant.new_sender())
            assert assistant.say(message, sender)
        TODAY = utc_day()
        if TODAY != before:
            pytest.skip(f"the visits straddled midnight UTC ({before} to {TODAY}): the per-day figures can't be "
                        "checked on this run")
        yield assistant.tracker_db


def report(*args):
    result = subprocess.run([sys.executable, "-m", "trainer.report", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.server
def test_lists_exactly_the_unanswered_questions_with_counts(filled_store, tmp_path):
    out = tmp_path / "unanswered.csv"
    text = report("--db", str(filled_store), "--csv", str(out))
    rows = list(csv.DictReader(out.open()))
    assert [(r["count"], r["reason"], r["question"].lower()) for r in rows] == [
        ("2", "not in the documents", "can i have it if im pregnant?"),
        ("2", "out of scope", "what's the weather like tomorrow?!"),
        ("1", "not understood", "i was wondering"),
        ("1", "out of scope", "tell me a joke"),
    ]
    assert all(r["first_seen"] == r["last_seen"] == TODAY for r in rows)
    assert rows[2]["then_chose"] == "ask_pain x1"
    assert "how much does it cost" not in text and "does it hurt" not in text
    assert "blah blah" not in text and "stop" not in text
    # 11 visitor messages (the button click and the form's replies are not), 5 of them answered.
    assert re.search(rf"^{TODAY}\s+11\s+5\s+45%$", text, re.M), text


@pytest.mark.server
def test_since_filters_by_day(filled_store):
    later = report("--db", str(filled_store), "--since", "2999-01-01")
    assert "Every visitor message since 2999-01-01 was answered." in later
    assert "i was wondering" in report("--db", str(filled_store), "--since", TODAY)


def test_clear_errors_for_bad_input(tmp_path):
    missing = subprocess.run([sys.executable, "-m", "trainer.report", "--db", str(tmp_path / "none.db")],
                             cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode != 0 and "no conversation store" in missing.stderr
    bad_date = subprocess.run([sys.executable, "-m", "trainer.report", "--since", "yesterday"],
                              cwd=ROOT, capture_output=True, text=True)
    assert bad_date.returncode == 2 and "is not a date like" in bad_date.stderr
