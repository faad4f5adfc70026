"""Answers are composed from facts: right numbers, honest gaps, one place to change."""
import re

import pytest
import yaml

from actions import answers, facts, registry
from paths import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
FAQ_INTENTS = [i for i in DOMAIN["intents"] if i.startswith("ask_")]
FAQS = registry.load()


def test_every_faq_intent_in_the_domain_has_an_answer():
    assert FAQ_INTENTS, "no FAQ intents in domain.yml"
    assert set(FAQ_INTENTS) <= set(FAQS)


@pytest.mark.parametrize("intent", sorted(FAQS))
def test_every_answer_is_short_plain_text(intent):
    text = FAQS[intent].answer()
    assert 40 < len(text) < 700, f"{intent}: {len(text)} characters"
    assert "{" not in text and "None" not in text


def test_cost_without_a_number_gives_single_and_package_prices():
    text = answers.cost()
    assert "€170" in text and "package of 5 for €550" in text and "€110 per treatment" in text


@pytest.mark.parametrize(
    "treatments, expected",
    [
        (1, ["One treatment costs €170."]),
        (2, ["2 treatments at €170 each come to €340", "€210 more"]),
        (3, ["3 treatments at €170 each come to €510", "package of 5 is €550", "€40 more"]),
        (4, ["€680", "€550: €130 less"]),
        (5, ["€850", "saving €300"]),
        (8, ["€1,360", "ask the clinic"]),
    ],
)
def test_cost_for_a_number_of_treatments(treatments, expected):
    text = answers.cost(treatments)
    for part in expected:
        assert part in text, f"{part!r} not in {text!r}"


def test_package_arithmetic():
    assert answers.package_per_treatment() == 110
    assert answers.package_saving() == 300


def test_a_price_changes_in_one_place(monkeypatch):
    monkeypatch.setattr(facts, "PRICE_SINGLE", facts.Fact(200, "", facts.PRICE_SINGLE.source))
    assert "One treatment costs €200" in answers.cost()
    assert "3 treatments at €200 each come to €600" in answers.cost(3)
    assert "€170" not in answers.cost(3)


def test_pain_gives_the_clinic_first_and_stays_honest_about_the_guide():
    text = FAQS["ask_pain"].answer()
    assert text.index("completely painless") < text.index("moderately painful")
    assert "10 minutes" in text


def test_results_and_makeup_give_the_clinic_first():
    results = FAQS["ask_results_time"].answer()
    assert results.index("6–8 weeks") < results.index("six weeks")
    makeup = FAQS["ask_makeup"].answer()
    assert makeup.index("12 hours") < makeup.index("mineral make-up")


def test_conditions_the_documents_name():
    assert "stretch marks" in answers.conditions("stretch marks")
    assert answers.conditions("acne scarring").startswith("Acne scars see great improvement")
    assert "hair growth" in answers.conditions("hair loss")


def test_conditions_the_documents_do_not_name_get_an_honest_answer():
    text = answers.conditions("rosacea")
    assert "doesn’t mention rosacea" in text and "consultation" in text


def test_body_areas():
    assert answers.body_areas("Legs").startswith("Yes.")
    text = answers.body_areas("stomach")
    assert "doesn’t mention the stomach" in text and "face, legs, arms and neck" in text


def test_unanswered_medical_questions_give_no_advice():
    text = FAQS["ask_not_covered"].answer()
    assert "doesn’t answer that" in text and "consultation" in text
    assert not re.search(r"\b(safe|fine|ok|okay|should not|shouldn't)\b", text, re.I)


def test_more_than_the_package_says_what_package_and_singles_would_come_to_and_that_it_is_not_a_price():
    six = answers.cost(6)
    assert "€1,020" in six and "€720" in six and "don\u2019t say whether the two combine" in six
    # From two packages on, the same: the sum of packages and singles, and that the prices don't
    # say whether more than one package can be bought.
    ten = answers.cost(10)
    assert "€1,700" in ten and "Two packages would come to €1,100" in ten and "more than one package" in ten
    twelve = answers.cost(12)
    assert "€2,040" in twelve and "Two packages plus 2 at the single price would come to €1,440" in twelve


def test_the_price_answer_gives_the_single_price_of_the_package_size():
    assert "compared with 5 single treatments (€850)" in answers.cost(None)
