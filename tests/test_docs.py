"""The docs say what the project does: every intent in docs/intents.md, links that resolve."""
import re

import yaml

from actions import registry
from paths import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
INTENTS_MD = (ROOT / "docs" / "intents.md").read_text(encoding="utf-8")


def table_rows():
    """intent -> its 'answered by' cell; a row may name several intents ('greet / goodbye')."""
    rows = {}
    for line in INTENTS_MD.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and not set(cells[0]) <= set("-") and cells[0] != "intent":
            for intent in cells[0].split(" / "):
                rows[intent.strip()] = cells[2]
    return rows


def test_intents_md_lists_exactly_the_domains_intents():
    assert set(table_rows()) == set(DOMAIN["intents"]) | {"nlu_fallback"}


def test_intents_md_says_the_registry_answers_every_faq():
    rows = table_rows()
    for intent, faq in registry.load().items():
        assert rows[intent].startswith("action_answer_faq"), f"{intent}: {rows[intent]}"
        assert ("utter_offer_consultation" in rows[intent]) == faq.offer_consultation, intent


def test_relative_links_in_the_docs_resolve():
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []
