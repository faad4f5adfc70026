"""`make validate`'s project checks (trainer/validate.py) on main and on copies with mistakes."""
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def run_checks(root):
    result = subprocess.run([sys.executable, "-m", "trainer.validate", "--root", str(root)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def project(tmp_path):
    """A copy of the project's training files, to break on purpose."""
    copy = tmp_path / "project"
    for name in ("actions", "data", "tests", "sources"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    for name in ("domain.yml", "trainer.yml"):
        shutil.copy(ROOT / name, copy / name)
    return copy


def add_intent_to_domain(project, intent):
    domain = project / "domain.yml"
    domain.write_text(domain.read_text().replace("intents:\n", f"intents:\n  - {intent}\n", 1))


def add_examples(path, intent, examples):
    with path.open("a") as f:
        f.write(f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {e}\n" for e in examples))


def test_main_passes():
    code, output = run_checks(ROOT)
    assert code == 0, output
    assert "Project checks passed" in output


def test_the_unmodified_copy_passes(project):
    code, output = run_checks(project)
    assert code == 0, output


def test_an_intent_without_an_answer_fails_naming_it(project):
    add_intent_to_domain(project, "ask_exercise")
    add_examples(project / "data" / "nlu" / "care_and_cost.yml", "ask_exercise",
                 [f"can i go to the gym {n} days after" for n in range(20)])
    add_examples(project / "tests" / "nlu_holdout.yml", "ask_exercise",
                 [f"is running ok on day {n}" for n in range(6)])
    code, output = run_checks(project)
    assert code == 1
    assert "domain.yml, intent 'ask_exercise'" in output
    assert "Nothing answers this intent. Add a rule in data/rules_faq.yml" in output


def test_an_answer_listed_as_deliberately_unanswered_passes(project):
    add_intent_to_domain(project, "chitchat_weather")
    settings = project / "trainer.yml"
    settings.write_text(settings.read_text().replace("deliberately_unanswered: []",
                                                     "deliberately_unanswered: [chitchat_weather]"))
    code, output = run_checks(project)
    assert code == 0, output


def test_an_faq_rule_without_a_fact_based_answer_fails(project):
    add_intent_to_domain(project, "ask_exercise")
    with (project / "data" / "rules_faq.yml").open("a") as f:
        f.write("\n- rule: answer ask_exercise\n  steps:\n  - intent: ask_exercise\n  - action: utter_exercise\n")
    code, output = run_checks(project)
    assert code == 1
    assert "data/rules_faq.yml, intent 'ask_exercise'" in output
    assert "no response of that name" in output
    assert "class ActionAnswerExercise(AnswerFromFacts):" not in output  # utter_ rule: no class needed
    assert "has no fact-based answer" in output
    assert "Only 0 training examples" in output and "Only 0 held-out test phrasings" in output


def test_a_missing_action_class_is_named_in_full(project):
    add_intent_to_domain(project, "ask_gift_vouchers")
    with (project / "data" / "rules_faq.yml").open("a") as f:
        f.write("\n- rule: answer ask_gift_vouchers\n  steps:\n  - intent: ask_gift_vouchers\n"
                "  - action: action_answer_gift_vouchers\n")
    code, output = run_checks(project)
    assert code == 1
    assert "class ActionAnswerGiftVouchers(AnswerFromFacts):" in output
    assert 'intent = "ask_gift_vouchers"' in output


def test_a_duplicate_example_under_two_intents_fails(project):
    add_examples(project / "data" / "nlu" / "treatment.yml", "ask_pain", ["How much does it cost?!"])
    code, output = run_checks(project)
    assert code == 1
    assert "intent 'ask_pain'" in output
    assert "also appears under intent 'ask_cost'" in output and "Keep it under one intent only" in output


def test_a_test_phrasing_that_is_in_the_training_data_fails(project):
    add_examples(project / "tests" / "nlu_holdout.yml", "ask_cost", ["how much does it cost"])
    code, output = run_checks(project)
    assert code == 1
    assert "tests/nlu_holdout.yml, intent 'ask_cost'" in output
    assert "is also a training example" in output


def test_a_fact_quote_not_in_the_seeds_fails(project):
    facts = project / "actions" / "facts.py"
    facts.write_text(facts.read_text().replace("The cost for 1 Treatment is €170", "The cost for 1 Treatment is €150"))
    code, output = run_checks(project)
    assert code == 1
    assert "PRICE_SINGLE: its quote is not word for word in" in output and "sources/clinic-page.txt" in output
    # It shows what the document really says.
    assert "the document says:    'The cost for 1 Treatment is €170 or a package of 5 for €550.'" in output


def test_the_clinic_changing_its_price_names_the_stale_facts(project):
    """docs/training.md, "When the clinic changes its page": the new page says €180."""
    page = project / "sources" / "clinic-page.txt"
    page.write_text(page.read_text().replace("1 Treatment is €170", "1 Treatment is €180"))
    code, output = run_checks(project)
    assert code == 1
    stale = sorted(line.split(":")[0].strip("- ") for line in output.splitlines() if "is not word for word" in line)
    assert stale == ["CURRENCY", "PACKAGE_PRICE", "PACKAGE_TREATMENTS", "PRICE_SINGLE"]
    assert "'The cost for 1 Treatment is €180 or a package of 5 for €550.'" in output


def test_an_faq_not_answered_during_the_consultation_form_fails_with_the_rule_to_add(project):
    rules = project / "data" / "rules_consultation.yml"
    rule = ("- rule: answer ask_serum during the consultation form\n  condition:\n  - active_loop: consultation_form\n"
            "  steps:\n  - intent: ask_serum\n  - action: action_answer_serum\n  - action: consultation_form\n"
            "  - active_loop: consultation_form\n")
    assert rule in rules.read_text()
    rules.write_text(rules.read_text().replace(rule, ""))
    code, output = run_checks(project)
    assert code == 1
    assert "data/rules_consultation.yml, intent 'ask_serum'" in output
    assert "gets no answer while a visitor fills in 'consultation_form'" in output
    assert "- action: action_answer_serum\n" in output
