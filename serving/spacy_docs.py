"""spaCy's parse of a message, made only when a component reads it (serving/patches.py,
'spacy-docs-readers-noted' and 'spacy-docs-only-when-read').

SpacyNLP's ``process`` parses each message's text with the spaCy pipeline and puts the parse on
the message (``text_spacy_doc``) for SpacyTokenizer and SpacyFeaturizer, Rasa's only readers of
it. This project's pipeline has neither: its tokens are WhitespaceTokenizer's, and
SpacyEntityExtractor parses the text again in its original case (Rasa's own comment: it cannot
use the lower-cased parse). So the parse was made and never read: ~0.25 ms of a message's NLU
(bench/breakdown.py). The spaCy pipeline itself is still loaded and handed to the entity extractor
(SpacyNLP's ``provide``).

When Rasa creates a SpacyNLP component, the model's graph is looked at: if it has a SpacyTokenizer
or a SpacyFeaturizer (or a subclass of either), the component parses messages as Rasa's does;
otherwise its ``process`` leaves the messages as they are. The project's own components read no
parse (tests/test_serving_spacy_docs.py checks hooks/). Training is Rasa's own (the launcher
installs this for serving only).
"""
from collections.abc import Callable
from typing import Any

# Rasa's components that read a message's spaCy parse (their subclasses too), by name.
DOC_READERS = frozenset({
    "rasa.nlu.tokenizers.spacy_tokenizer.SpacyTokenizer",
    "rasa.nlu.featurizers.dense_featurizer.spacy_featurizer.SpacyFeaturizer",
})
# Set on a SpacyNLP component: whether a component of its graph reads the parse.
DOCS_READ = "_serving_docs_read"


def docs_read(schema: Any) -> bool:
    """Whether a component of the graph reads spaCy parses (True when there is no graph to look at)."""
    nodes = getattr(schema, "nodes", None)
    if not isinstance(nodes, dict):
        return True
    return any(f"{cls.__module__}.{cls.__qualname__}" in DOC_READERS
               for node in nodes.values() for cls in getattr(node.uses, "__mro__", ()))


def readers_noted(rasa_create: Callable) -> Callable:
    """Replaces SpacyNLP.create (Rasa's is `rasa_create`, bound to the class): Rasa's component,
    noting whether its graph reads the parses."""

    def create(config: Any, model_storage: Any, resource: Any, execution_context: Any) -> Any:
        component = rasa_create(config, model_storage, resource, execution_context)
        setattr(component, DOCS_READ, docs_read(getattr(execution_context, "graph_schema", None)))
        return component

    return create


def parsed_only_when_read(rasa_process: Callable) -> Callable:
    """Replaces SpacyNLP.process (Rasa's is `rasa_process`)."""

    def process(self: Any, messages: list, model: Any) -> list:
        if self.__dict__.get(DOCS_READ, True):
            return rasa_process(self, messages, model)
        return messages

    return process
