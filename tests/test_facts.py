"""Provenance: every fact's quote stands verbatim in its seed document."""
import re

import pytest

from actions import facts, vocabulary
from paths import SEEDS
from trainer.validate import quote_problems

ALL = facts.all_facts()


def test_the_seed_documents_are_where_the_facts_say():
    for seed in (facts.CLINIC, facts.GUIDE):
        assert (SEEDS / seed).is_file(), f"seed document {seed} missing from {SEEDS}"


def test_every_quote_is_verbatim_in_its_seed():
    assert [str(p) for p in quote_problems(ALL, SEEDS)] == []


def test_a_quote_that_is_not_in_the_seed_is_caught():
    invented = facts.Fact(99, "invented", facts.clinic("The cost for 1 Treatment is €99."))
    reworded = facts.Fact(170, "reworded", facts.clinic("The cost for one treatment is €170."))
    problems = quote_problems({"INVENTED": invented, "REWORDED": reworded}, SEEDS)
    assert [p.message.split(":")[0] for p in problems] == ["INVENTED", "REWORDED"]


@pytest.mark.parametrize("name", sorted(ALL))
def test_numbers_in_the_wording_come_from_the_quote(name):
    """What visitors read may not carry a number its source does not state."""
    fact = ALL[name]
    for number in re.findall(r"\d+", fact.wording):
        assert re.search(rf"(?<!\d){number}(?!\d)", fact.source.quote), (
            f"{name}: the wording says {number}, its quote does not: {fact.source.quote!r}"
        )


@pytest.mark.parametrize("name", sorted(n for n, f in ALL.items() if isinstance(f.value, int)))
def test_numeric_values_appear_in_their_quote(name):
    fact = ALL[name]
    words = [w for w, n in vocabulary._WORD_NUMBERS.items() if n == fact.value]
    spelled = rf"(?<!\d){fact.value}(?!\d)|\b(" + "|".join(words or ["-"]) + r")\b"
    assert re.search(spelled, fact.source.quote, re.I), (
        f"{name}: value {fact.value} is not what its quote says: {fact.source.quote!r}"
    )


def test_prices_are_the_clinics():
    assert (facts.PRICE_SINGLE.value, facts.PACKAGE_TREATMENTS.value, facts.PACKAGE_PRICE.value) == (170, 5, 550)
    assert facts.PRICE_SINGLE.source.seed == facts.CLINIC


def test_disagreements_keep_both_sources():
    for clinic_fact, guide_fact in [
        (facts.PAIN_CLINIC, facts.PAIN_GUIDE),
        (facts.RESULTS_CLINIC, facts.RESULTS_GUIDE),
        (facts.MAKEUP_CLINIC, facts.MAKEUP_GUIDE),
    ]:
        assert clinic_fact.source.seed == facts.CLINIC
        assert guide_fact.source.seed == facts.GUIDE


