"""serving/spacy_docs.py: without the spaCy parse nothing in the model reads, the same NLU results
(serving/patches.py, 'spacy-docs-readers-noted' and 'spacy-docs-only-when-read')."""
import asyncio
import re
from pathlib import Path

import pytest

from patched_agents import loaded_with_and_without
from paths import ROOT
from serving import patches
from serving.spacy_docs import DOCS_READ, docs_read

CHANGES = ("spacy-docs-readers-noted", "spacy-docs-only-when-read")


def spacy_components(agent) -> list:
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    return [node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
            if isinstance(node._component, SpacyNLP)]


@pytest.fixture(scope="module")
def agents(model_path: Path):
    """The model loaded by Rasa as it is, and with the two changes."""
    return loaded_with_and_without(model_path, CHANGES)


def texts() -> list[str]:
    import yaml

    from trainer import holdout

    found = [text for text, _ in holdout.load_examples()]
    for path in sorted((ROOT / "tests" / "eval" / "tune").glob("*.yml")):
        for item in next(iter(yaml.safe_load(path.read_text(encoding="utf-8")).values())):
            found += [item] if isinstance(item, str) else [str(t) for t in item.get("turns") or [item.get("text", "")]]
    return found + ["", "   ", "🙂", "MY FACE and NECK, 3 sessions", "Botox or microneedling?"]


@pytest.mark.model
def test_the_same_nlu_results_without_the_unread_parse(agents):
    rasas_own, ours = agents
    every = texts()
    assert len(every) > 1500
    # (each graph node keeps the function it was loaded with: ours the changed process, Rasa's its own)
    mine = [asyncio.run(ours.parse_message(text)) for text in every]
    theirs = [asyncio.run(rasas_own.parse_message(text)) for text in every]
    assert mine == theirs
    # Not vacuous: spaCy's entity extractor still reads the texts.
    assert sum(bool(p["entities"]) for p in mine) > 200


@pytest.mark.model
def test_the_graphs_readers_are_noted(agents):
    from rasa.engine.graph import GraphSchema, SchemaNode
    from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    rasas_own, ours = agents
    assert [getattr(c, DOCS_READ) for c in spacy_components(ours)] == [False, False]
    assert all(DOCS_READ not in vars(c) for c in spacy_components(rasas_own))

    def schema(*classes):
        return GraphSchema({f"node{i}": SchemaNode({}, c, "load", "load", {}) for i, c in enumerate(classes)})

    featurizer = type("SpacyFeaturizer", (), {"__module__": "rasa.nlu.featurizers.dense_featurizer.spacy_featurizer"})
    assert not docs_read(schema(WhitespaceTokenizer))
    assert docs_read(schema(WhitespaceTokenizer, SpacyTokenizer))
    assert docs_read(schema(type("MyTokenizer", (SpacyTokenizer,), {})))
    assert docs_read(schema(featurizer)) and docs_read(None)

    # A component whose graph reads the parse parses as Rasa's does.
    component = spacy_components(ours)[-1]
    change = patches.by_name("spacy-docs-only-when-read")
    patches.apply([change])
    try:
        unread, read = Message(data={TEXT: "How much is it?"}), Message(data={TEXT: "How much is it?"})
        component.process([unread], component.provide())
        setattr(component, DOCS_READ, True)
        component.process([read], component.provide())
    finally:
        setattr(component, DOCS_READ, False)
        change.undo()
    assert unread.get("text_spacy_doc") is None
    assert [t.text for t in read.get("text_spacy_doc")] == ["how", "much", "is", "it", "?"]


def test_the_projects_components_read_no_spacy_parse():
    """The parse is left out when none of Rasa's readers is in the graph: it relies on the project's own
    components (hooks/) not reading it."""
    parse = re.compile(r"spacy_doc|SPACY_DOCS")
    for path in sorted((ROOT / "hooks").glob("*.py")):
        assert not parse.search(path.read_text(encoding="utf-8")), path.name
