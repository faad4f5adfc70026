"""The blind evaluation's held-out parts (tests/eval/heldout/), scored on the trained model.

The issue's targets are in trainer/blind_eval.py (TARGETS) and printed by `make eval`. This
test guards what the assistant reaches today, so a change can't quietly make it worse:
where a target is met it is the floor, elsewhere today's level is (one item of slack).
"""
import asyncio

import pytest

from trainer import blind_eval

pytestmark = pytest.mark.server  # blind_eval starts the action server

# set -> the worst acceptable score (everyday/other_treatments: share given a fact).
FLOORS = {
    "everyday": 0.01,          # target met: at most 1% (0.3% today, 1/315)
    "other_treatments": 0.04,  # target 0; 2.6% today (8/311), the writers before the ninth round
    "real_style": 0.90,        # target met: 93.8% today (183/195)
    "follow_ups": 0.85,        # target 90%; 86.4% today (414/479), the context model reading meaning
    # Context applied where it doesn't belong: the same questions asked after an answer.
    # target 1%: 1.3% today (4/315; 2 before the twelfth round), one item of slack. A fresh blind set
    # (292 tune questions, round 12) went from 24 to 12 given a fact in that round (docs/architecture.md).
    "everyday_after_a_fact": 0.016,
    "real_style_after_a_fact": 0.90,  # target met: 94.9% today
}


# The ninth round's held-out writer of other treatments (200 names the lists lacked; split by
# writer, tests/eval/README.md) is guarded apart, so the floor above keeps its meaning: 17 given
# a fact before that round's changes, 11 today (5.5%).
NINTH_ROUND_WRITER_FLOOR = 0.065
NINTH_ROUND_MARKER = "# Items after these: writer 9.3"


def items_before_the_ninth_round() -> int:
    text = (blind_eval.SETS / "heldout" / "other_treatments.yml").read_text(encoding="utf-8")
    return text.split(NINTH_ROUND_MARKER)[0].count("\n- text:")


@pytest.fixture(scope="module")
def results(model_path):
    return asyncio.run(blind_eval.evaluate(model_path, "heldout"))


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_held_out_blind_set_does_not_get_worse(results, name, capsys):
    result = results[name]
    with capsys.disabled():
        blind_eval.report({name: result}, "heldout")
    if name == "other_treatments":
        first = items_before_the_ninth_round()
        assert 0 < first < len(result.outcomes)
        result, ninth = (blind_eval.SetResult(name, result.outcomes[:first]),
                         blind_eval.SetResult(name, result.outcomes[first:]))
        assert ninth.score <= NINTH_ROUND_WRITER_FLOOR
    if name in blind_eval.LOWER_IS_BETTER:
        assert result.score <= FLOORS[name]
    else:
        assert result.score >= FLOORS[name]


def test_a_figure_is_mentioned_however_its_range_dash_is_written():
    assert blind_eval.mentioned("2-3", "a series of 2–3 treatments")
    assert blind_eval.mentioned("6 – 8 weeks", "results can take 6-8 weeks")
    assert not blind_eval.mentioned("2-3", "a series of 3 treatments")
    assert not blind_eval.mentioned("€510", "One treatment costs €170.")


def test_a_figure_is_mentioned_with_or_without_a_thousands_separator():
    assert blind_eval.mentioned("€1060", "would come to €1,060, but the prices don't say")
    assert blind_eval.mentioned("€1,360", "8 treatments at €170 each come to €1360.")
    assert not blind_eval.mentioned("€1060", "8 treatments at €170 each come to €1,360.")
