"""The consultation form's blind evaluation, held-out part (tests/eval/heldout/form.yml).

Each messy conversation is played against the trained model and the real action server, and
the request it stored is compared with the summary it should end in (trainer/form_eval.py,
which `make eval` runs and which prints every miss). The issue's targets (#17): at least 90%
end in exactly the right summary (or nothing stored where nothing may be), and no detail is
ever stored in the wrong field. As tests/test_eval_blind.py does, this guards what the form
reaches today so that a change can't quietly make it worse: where a target is met it is the
floor, elsewhere today's level is (one conversation of slack).
"""
import asyncio

import pytest

from trainer import form_eval

# Target 90%, met: 268/294 (91.2%) since the tenth round (docs/architecture.md); the target is the floor.
FLOOR_EXACT = 0.90
MAX_WRONG_FIELDS = 0  # target met


@pytest.fixture(scope="module")
def result(model_path):
    return asyncio.run(form_eval.evaluate(model_path, "heldout"))


@pytest.mark.server  # form_eval starts the action server
def test_held_out_form_conversations_end_in_the_right_summary(result, capsys):
    with capsys.disabled():
        form_eval.report(result, "heldout")
    assert result.exact_rate >= FLOOR_EXACT


@pytest.mark.server
def test_no_detail_is_stored_in_the_wrong_field(result):
    assert result.wrong_field_count <= MAX_WRONG_FIELDS, [(o.id, o.wrong_fields) for o in result.outcomes
                                                          if o.wrong_fields]


# --- The scoring itself (no model) -------------------------------------------------------

EXPECTED = {"stored": True, "name": "Sarah Byrne", "email": None, "phone": "086 555 1234",
            "preferred_time": "evenings", "concern": "acne scars"}


def stored(**changes):
    return {"name": "Sarah Byrne", "email": None, "phone": "086 555 1234", "preferred_time": "evenings",
            "concern": "acne scars", **changes}


def scored(expect, request):
    return form_eval.score({"id": "x", "kind": "k", "turns": ["hi"], "expect": expect}, request, [[]])


@pytest.mark.parametrize("request_, exact", [
    (stored(), True),
    (stored(name=" Sarah   Byrne "), True),                  # spaces squeezed
    (stored(name="sarah byrne"), False),                      # names: case counts
    (stored(phone="+353 86 555 1234"), False),                # a leading + is part of the number
    (stored(phone="086-555-1234"), True),                     # digits compared
    (stored(preferred_time="Evenings."), True),               # case and punctuation around ignored
    (stored(concern="acne scars on my face"), False),
    (stored(email="x@example.com"), False),
    (None, False),
])
def test_a_stored_request_is_exact_only_when_every_field_is(request_, exact):
    assert scored(EXPECTED, request_).exact is exact


def test_a_proposed_concern_holds_the_topic_words():
    expect = {**EXPECTED, "concern": "proposed: stretch marks"}
    assert scored(expect, stored(concern="stretch marks")).exact
    assert scored(expect, stored(concern="your question “does it help with stretch marks?”")).exact
    assert not scored(expect, stored(concern="wrinkles")).exact


def test_nothing_stored_is_right_only_when_expected():
    assert scored({"stored": False}, None).exact
    assert not scored({"stored": False}, stored()).exact


@pytest.mark.parametrize("request_, wrong", [
    (stored(preferred_time="087 123 4567"), ["preferred_time: a phone number"]),
    (stored(name="sarah@example.com"), ["name: an email address"]),
    (stored(name="where is the clinic"), ["name: a question"]),
    (stored(concern="tomorrow after 6", preferred_time="tomorrow after 6"), ["concern: a time"]),
    (stored(concern="evenings"), ["concern: a time"]),
    (stored(name="Acne Scars"), ["name: the expected concern"]),
    (stored(concern="wrinkles"), []),  # wrong, but not of another kind
])
def test_a_detail_in_the_wrong_field_is_counted_apart(request_, wrong):
    assert scored(EXPECTED, request_).wrong_fields == wrong
