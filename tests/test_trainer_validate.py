"""`make validate`'s project checks (trainer/validate.py) on main and on copies with mistakes."""
import shutil
import subprocess
import sys

import pytest

from paths import ROOT


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
    add_examples(project / "data" / "nlu" / "comfort_and_care.yml", "ask_exercise",
                 [f"can i go to the gym {n} days after" for n in range(20)])
    add_examples(project / "tests" / "nlu_holdout.yml", "ask_exercise",
                 [f"is running ok on day {n}" for n in range(6)])
    code, output = run_checks(project)
    assert code == 1
    assert "domain.yml, intent 'ask_exercise'" in output
    assert ("Nothing answers this intent. If the clinic's documents answer it, add an entry for it to "
            "data/faqs.yml") in output
    assert "domain.yml, intent 'ask_exercise':\n    This FAQ intent has no entry in data/faqs.yml" in output


def test_an_answer_listed_as_deliberately_unanswered_passes(project):
    add_intent_to_domain(project, "chitchat_weather")
    settings = project / "trainer.yml"
    settings.write_text(settings.read_text().replace("deliberately_unanswered: []",
                                                     "deliberately_unanswered: [chitchat_weather]"))
    code, output = run_checks(project)
    assert code == 0, output


def add_registry_entry(project, entry):
    with (project / "data" / "faqs.yml").open("a") as f:
        f.write("\n" + entry)


def test_a_registry_entry_not_in_the_domain_and_without_examples_fails(project):
    add_registry_entry(project, "- intent: ask_exercise\n  title: Exercise\n  answer: '{DOWNTIME:Cap}.'\n")
    code, output = run_checks(project)
    assert code == 1
    assert ("data/faqs.yml, intent 'ask_exercise':\n    domain.yml does not list this intent. "
            "Add the line '  - ask_exercise'") in output
    assert ("This entry has no training examples. Add them under '- intent: ask_exercise' in a file of "
            "data/nlu/") in output


def test_a_template_naming_an_unknown_fact_fails(project):
    add_intent_to_domain(project, "ask_exercise")
    add_registry_entry(project, "- intent: ask_exercise\n  title: Exercise\n  answer: 'The clinic says {GYM_DAYS}.'\n")
    code, output = run_checks(project)
    assert code == 1
    assert ("data/faqs.yml, intent 'ask_exercise':\n    Its answer cannot be composed: 'GYM_DAYS' is not a fact "
            "in actions/facts.py") in output


def test_a_template_reaching_past_a_facts_value_fails(project):
    add_intent_to_domain(project, "ask_exercise")
    add_registry_entry(project, "- intent: ask_exercise\n  title: Exercise\n  answer: '{DOWNTIME.source.quote:Cap}'\n")
    code, output = run_checks(project)
    assert code == 1
    assert "after a fact's name only .value is allowed" in output


def test_an_entry_without_title_or_answer_fails(project):
    add_intent_to_domain(project, "ask_exercise")
    add_registry_entry(project, "- intent: ask_exercise\n  compute: exercise\n  takes: [weather]\n  colour: red\n")
    code, output = run_checks(project)
    assert code == 1
    assert "This entry has no 'title:'" in output
    assert ("'compute: exercise' is not an answer actions/answers.py computes. "
            "Use one of: body_areas, conditions, cost") in output
    assert "'takes: weather' is not an entity in domain.yml" in output
    assert "Unknown key(s) colour" in output


def test_an_unused_fact_is_named(project):
    facts = project / "actions" / "facts.py"
    facts.write_text(facts.read_text() + '\nGYM = Fact(1, "the gym", clinic("The cost for 1 Treatment is €170"))\n')
    code, output = run_checks(project)
    assert code == 1
    assert ("actions/facts.py:\n    GYM is used by no answer. Name it in an answer in data/faqs.yml "
            "(e.g. {GYM})") in output


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


def test_a_conversation_labelled_with_an_unknown_intent_fails_naming_it(project):
    with (project / "data" / "conversations.yml").open("a", encoding="utf-8") as f:
        f.write('- turns: ["how much is it", "and for 3?"]\n  intent: ask_price\n')
    code, output = run_checks(project)
    assert code == 1
    assert ("data/conversations.yml, intent 'ask_price':\n    The conversation ending 'and for 3?' names an intent "
            "that domain.yml does not list.") in output


def test_a_conversation_without_its_intent_fails_naming_it(project):
    with (project / "data" / "conversations.yml").open("a", encoding="utf-8") as f:
        f.write('- turns: ["how much is it", "and for 3?"]\n')
    code, output = run_checks(project)
    assert code == 1
    assert "data/conversations.yml:\n    conversations.yml, conversation" in output
    assert "('and for 3?'): give the 'intent' whose answer the last message wants" in output
