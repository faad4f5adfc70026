"""hooks/fast_features.py computes the same numbers as Rasa and scikit-learn: the subject check's
relevance as the fitted pipeline's predict_proba, and the count-vectors featurizer's sentence
features as Rasa's CountVectorsFeaturizer's, array for array."""
import logging
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from hooks import fast_features
from hooks.fast_features import CompiledRelevance, relevance_probability, sequence_features_read
from paths import ROOT

# Odd inputs: empty, blank, only punctuation or emoji, accents, digits, tabs, one letter, very long.
ODD = ["", "   ", "?", "!!!", "🙂🙂", "ÄÖÜ crème brûlée", "a", "3 3 3 3", "and for 4?", "\t\n", "how much " * 200,
       "MICRONEEDLING?? HOW MUCH", "x" * 3000, "don't won't can't", "e-mail me@x.ie 087 123 4567"]


def nlu_texts() -> list[str]:
    """Every example of data/nlu/, the held-out phrasings and the tune part's messages: thousands."""
    from trainer import holdout

    texts = [text for text, _ in holdout.load_examples()]
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            texts += [line.strip()[2:].strip() for line in (block.get("examples") or "").splitlines()
                      if line.strip().startswith("- ")]
    for path in sorted((ROOT / "tests" / "eval" / "tune").glob("*.yml")):
        for item in next(iter(yaml.safe_load(path.read_text(encoding="utf-8")).values())):
            if isinstance(item, str):
                texts.append(item)
            else:
                texts += [str(turn) for turn in item.get("turns") or [item.get("text", "")]]
    return texts + ODD


def fitted_relevance(**vectorizer_options) -> object:
    """A relevance model built as hooks/scope.py's ScopeCheck.train builds it, on a few texts."""
    texts = ["how much is microneedling", "does it hurt on the face", "how long is the downtime",
             "can i wear makeup after", "how much is a pint of milk", "what time does the bus leave",
             "does a tattoo hurt", "is it safe for acne scars", "best pizza in town", "how do i reset my router"]
    labels = [1, 1, 1, 1, 0, 0, 0, 1, 0, 0]
    features = make_union(TfidfVectorizer(ngram_range=(1, 2), **vectorizer_options),
                          TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), **vectorizer_options))
    return make_pipeline(features, LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000,
                                                      random_state=42)).fit(texts, labels)


@pytest.mark.parametrize("options", [{"sublinear_tf": True}, {"sublinear_tf": False}, {"norm": None},
                                     {"sublinear_tf": True, "lowercase": False}])
def test_a_relevance_model_scores_as_scikit_learn_scores_it(options):
    model = fitted_relevance(**options)
    compiled = CompiledRelevance.of(model)
    assert compiled is not None
    texts = ["how much is it", "does it hurt", "how much is a pint", "acne scars?", "bus times"] + ODD
    expected = model.predict_proba(texts)[:, 1]
    assert max(abs(compiled.probability(t) - p) for t, p in zip(texts, expected, strict=True)) < 1e-12
    assert [relevance_probability(model, t) for t in texts] == [compiled.probability(t) for t in texts]


def test_an_extreme_decision_gives_scikit_learns_probability():
    model = fitted_relevance(sublinear_tf=True)
    compiled = CompiledRelevance.of(model)
    compiled.intercept = -1000.0
    assert compiled.probability("bus times") == 0.0
    compiled.intercept = 1000.0
    assert compiled.probability("bus times") == 1.0


def test_another_model_is_scored_by_its_own_predict_proba(caplog):
    """A shape the compiled scorer does not compute as scikit-learn does (weights on the union's parts,
    a stand-in) is scored by the model itself, and says so once."""
    weighted = fitted_relevance(sublinear_tf=True)
    weighted.steps[0][1].transformer_weights = {"tfidfvectorizer-1": 2.0, "tfidfvectorizer-2": 1.0}
    assert CompiledRelevance.of(weighted) is None
    with caplog.at_level(logging.WARNING, logger=fast_features.__name__):
        scores = [relevance_probability(weighted, text) for text in ("how much is it", "bus times")]
    assert scores == list(weighted.predict_proba(["how much is it", "bus times"])[:, 1])
    assert sum("scored by scikit-learn" in r.getMessage() for r in caplog.records) == 1

    class StandIn:
        def predict_proba(self, texts):
            return [[0.25, 0.75] for _ in texts]

    assert relevance_probability(StandIn(), "anything") == 0.75


def trained_components(model_path: Path, class_name: str) -> list:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return [node for node in nodes if type(node._component).__name__ == class_name]


@pytest.mark.model
def test_the_trained_relevance_model_scores_as_scikit_learn_scores_it(model_path):
    [node] = trained_components(model_path, "ScopeCheck")
    model = node._component.relevance
    compiled = CompiledRelevance.of(model)
    assert compiled is not None, "the subject check's relevance model is scored by scikit-learn"
    texts = nlu_texts()
    assert len(texts) > 5000
    expected = model.predict_proba(texts)[:, 1]
    differences = [abs(compiled.probability(text) - p) for text, p in zip(texts, expected, strict=True)]
    assert max(differences) < 1e-9
    # The subject check's thresholds are never this close to a score: it decides the same.
    thresholds = [0.15, 0.3, 0.8]
    assert min(abs(p - t) for p in expected for t in thresholds) > 1e-9
    assert node._component.relevance_of("how much is a pint of milk") == compiled.probability(
        "how much is a pint of milk")


def tokenized(texts: list[str]) -> list[Message]:
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={TEXT: text}) for text in texts]
    tokenizer.process(messages)
    return messages


@pytest.mark.model
def test_the_featurizers_give_rasas_sentence_features(model_path):
    """Each of the model's featurizers, and Rasa's CountVectorsFeaturizer with the same vocabularies: the
    same sentence features (COO arrays, dtypes, shape, origin) for thousands of messages, and no
    sequence features, which nothing in the model reads; the classifier's matrix and probabilities are
    the same, with Rasa's own way of building it."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

    nodes = trained_components(model_path, "SentenceCountVectorsFeaturizer")
    assert len(nodes) == 2
    [classifier] = [n._component for n in trained_components(model_path, "LogisticRegressionClassifier")]
    texts = nlu_texts()
    ours, rasas = tokenized(texts), tokenized(texts)
    for node in nodes:
        featurizer = node._component
        assert featurizer.sentence_only
        rasas_featurizer = CountVectorsFeaturizer(featurizer._config, None, None, node._execution_context,
                                                  vectorizers=featurizer.vectorizers,
                                                  oov_token=featurizer.OOV_token, oov_words=featurizer.OOV_words)
        featurizer.process(ours)
        rasas_featurizer.process(rasas)
    for text, mine, theirs in zip(texts, ours, rasas, strict=True):
        expected = [f for f in theirs.features if f.type == FEATURE_TYPE_SENTENCE]
        assert [(f.type, f.attribute, f.origin) for f in mine.features] == \
            [(f.type, f.attribute, f.origin) for f in expected], text
        for got, want in zip(mine.features, expected, strict=True):
            got, want = got.features, want.features
            assert (type(got), got.shape, got.dtype, got.row.dtype, got.col.dtype) == \
                (type(want), want.shape, want.dtype, want.row.dtype, want.col.dtype), text
            for array in ("data", "row", "col"):
                assert np.array_equal(getattr(got, array), getattr(want, array)), (text, array)
    sample = list(zip(ours, rasas, strict=True))[::25]
    for mine, theirs in sample:
        matrices = [LogisticRegressionClassifier._create_X(classifier, [m]) for m in (mine, theirs)]
        assert (matrices[0] != matrices[1]).nnz == 0
        assert np.array_equal(classifier.clf.predict_proba(matrices[0]), classifier.clf.predict_proba(matrices[1]))


@pytest.mark.model
def test_with_a_reader_of_sequence_features_the_featurizer_is_rasas(model_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema, SchemaNode
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

    node = trained_components(model_path, "SentenceCountVectorsFeaturizer")[1]
    featurizer = node._component
    diet = type("DIETClassifier", (), {"__module__": "rasa.nlu.classifiers.diet_classifier"})
    schema = GraphSchema({"diet": SchemaNode({}, type("ResponseSelector", (diet,), {}), "load", "load", {})})
    context = ExecutionContext(schema, "model")
    with_diet = type(featurizer)(featurizer._config, None, None, context, vectorizers=featurizer.vectorizers,
                                 oov_token=featurizer.OOV_token, oov_words=featurizer.OOV_words)
    rasas = CountVectorsFeaturizer(featurizer._config, None, None, context, vectorizers=featurizer.vectorizers,
                                   oov_token=featurizer.OOV_token, oov_words=featurizer.OOV_words)
    assert not with_diet.sentence_only
    [mine], [theirs] = tokenized(["how much for 3 sessions?"]), tokenized(["how much for 3 sessions?"])
    with_diet.process([mine])
    rasas.process([theirs])
    assert [f.type for f in mine.features] == [f.type for f in theirs.features] == ["sequence", "sentence"]
    for got, want in zip(mine.features, theirs.features, strict=True):
        assert (got.features != want.features).nnz == 0


def test_the_readers_of_sequence_features_are_found_by_name():
    from rasa.engine.graph import GraphSchema, SchemaNode
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    def schema(*classes):
        return GraphSchema({f"node{i}": SchemaNode({}, c, "load", "load", {}) for i, c in enumerate(classes)})

    ted = type("TEDPolicy", (), {"__module__": "rasa.core.policies.ted_policy"})
    crf = type("CRFEntityExtractor", (), {"__module__": "rasa.nlu.extractors.crf_entity_extractor"})
    ours = fast_features.SentenceCountVectorsFeaturizer
    assert not sequence_features_read(schema(LogisticRegressionClassifier, ours))
    assert sequence_features_read(schema(LogisticRegressionClassifier, type("UnexpecTEDIntentPolicy", (ted,), {})))
    assert sequence_features_read(schema(crf))
    assert sequence_features_read(None)


def test_the_projects_components_read_no_features():
    """The featurizer leaves out sequence features when none of Rasa's readers is in the graph: it
    relies on the project's own components (hooks/) reading no features at all."""
    message_features = re.compile(r"(?<!self)\.features\b|get_(?:sparse|dense)_features|FEATURE_TYPE_")
    for path in sorted((ROOT / "hooks").glob("*.py")):
        if path.name != "fast_features.py":
            assert not message_features.search(path.read_text(encoding="utf-8")), path.name
    assert message_features.search("message.features") and message_features.search("m.get_sparse_features(TEXT)")
    assert not message_features.search("self.features.transform([text])")

