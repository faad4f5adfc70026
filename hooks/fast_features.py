"""The same features, computed without what a message does not need: two speed-ups of the NLU
pipeline that change no number (issue #16, the throughput target; tests/test_fast_features.py).

``relevance_probability``: the subject check's relevance model (hooks/scope.py) is scikit-learn's
FeatureUnion of TF-IDF vectorizers and a logistic regression. For one message, scikit-learn builds
sparse matrices, checks them and multiplies them: ~1 ms, for a few hundred n-grams. Here the fitted
objects' own numbers are read once (each vectorizer's analyzer, vocabulary and idf, the
coefficients) and the message's score is computed as scikit-learn computes it: its n-grams found in
the vocabulary and counted, each count made sublinear (1 + log) and weighted by its idf, each
vectorizer's part normalised (l2), dotted with the coefficients, plus the intercept, through the
logistic function. The same probability to ~1e-15 (floating-point order); ~0.05 ms.

``SentenceCountVectorsFeaturizer``: Rasa's CountVectorsFeaturizer computes, for the text, both
sequence features (one row per token) and sentence features (the whole text). Of Rasa's components,
only DIET (and ResponseSelector), CRFEntityExtractor and TED (and UnexpecTED) read sequence features;
LogisticRegressionClassifier reads the sentence features, and the project's own components (hooks/)
read no features at all. Named in config.yml instead of CountVectorsFeaturizer, it computes the
sentence features only when none of those readers is in the model's graph, and puts them in the
message exactly as Rasa's does (the same COO arrays, dtypes and order); with one of them, it is
Rasa's own featurizer. Training uses the same path, so the classifier is trained on the same
matrix. Attributes without sentence features (intents and action names, which only DIET and TED
read) are left to Rasa's code.
"""
import logging
import math
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

# --- the relevance model ---------------------------------------------------------------------


class CompiledRelevance:
    """A fitted Pipeline(FeatureUnion(TfidfVectorizer...), LogisticRegression) for a binary label,
    as plain numbers: ``probability(text)`` is ``pipeline.predict_proba([text])[0][1]``."""

    def __init__(self, parts: list[tuple[Callable[[str], list[str]], dict[str, Any], list[float], list[float],
                                          bool, bool]], intercept: float) -> None:
        # Each part: (analyzer, vocabulary, idf by column, coefficient by column, sublinear tf, l2 norm).
        self.parts = parts
        self.intercept = intercept

    @classmethod
    def of(cls, pipeline: Any) -> "CompiledRelevance | None":
        """The pipeline's numbers, or None for a shape this does not compute as scikit-learn does."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        if type(pipeline) is not Pipeline or len(pipeline.steps) != 2:
            return None
        union, classifier = pipeline.steps[0][1], pipeline.steps[1][1]
        if type(union) is not FeatureUnion or union.transformer_weights is not None \
                or type(classifier) is not LogisticRegression:
            return None
        # Binary, one-vs-rest: predict_proba is the logistic function of the decision.
        if len(classifier.classes_) != 2 or classifier.coef_.shape[0] != 1 \
                or classifier.multi_class not in ("auto", "ovr"):
            return None
        coefficients = classifier.coef_[0].tolist()
        parts = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            if type(vectorizer) is not TfidfVectorizer or vectorizer.binary or not vectorizer.use_idf \
                    or vectorizer.norm not in ("l2", None) or vectorizer.dtype not in (np.float64, float) \
                    or vectorizer.input != "content":
                return None
            width = len(vectorizer.vocabulary_)
            parts.append((vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_.tolist(),
                          coefficients[offset:offset + width], bool(vectorizer.sublinear_tf), vectorizer.norm == "l2"))
            offset += width
        if offset != len(coefficients):
            return None
        return cls(parts, float(classifier.intercept_[0]))

    def decision(self, text: str) -> float:
        """The logistic regression's decision function for the text (``decision_function``)."""
        total = 0.0
        for analyze, vocabulary, idf, coefficients, sublinear, l2 in self.parts:
            counts: dict[int, int] = {}
            for feature in analyze(text):
                column = vocabulary.get(feature)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            columns = sorted(counts)  # scikit-learn's order: columns sorted within the row
            weights = [(math.log(counts[c]) + 1.0 if sublinear else float(counts[c])) * idf[c] for c in columns]
            if l2:
                norm = 0.0
                for weight in weights:
                    norm += weight * weight
                if norm != 0.0:
                    norm = math.sqrt(norm)
                    weights = [weight / norm for weight in weights]
            for column, weight in zip(columns, weights, strict=True):
                total += weight * coefficients[column]
        return total + self.intercept

    def probability(self, text: str) -> float:
        decision = self.decision(text)
        if -decision > 709.0:  # (exp overflows: scikit-learn's expit gives 0.0)
            return 0.0
        return 1.0 / (1.0 + math.exp(-decision))


_compiled: "weakref.WeakKeyDictionary[Any, CompiledRelevance | None]" = weakref.WeakKeyDictionary()


def relevance_probability(model: Any, text: str) -> float:
    """``model.predict_proba([text])[0][1]``: computed from the model's numbers (read on first use,
    kept while the model lives) when it is the relevance model's shape, by the model otherwise."""
    try:
        compiled = _compiled[model]
    except KeyError:
        compiled = CompiledRelevance.of(model)
        if compiled is None:
            logger.warning("The relevance model is not a TF-IDF FeatureUnion with a binary logistic regression "
                           "(%s): scored by scikit-learn, ~1 ms a message.", type(model).__name__)
        _compiled[model] = compiled
    except TypeError:  # (not weakly referable: a stand-in)
        compiled = None
    if compiled is None:
        return float(model.predict_proba([text])[0][1])
    return compiled.probability(text)


# --- the count-vectors featurizer -------------------------------------------------------------

# Rasa's components that read a message's sequence features (their subclasses too: ResponseSelector,
# UnexpecTEDIntentPolicy). Named, not imported: importing them imports TensorFlow.
SEQUENCE_FEATURE_READERS = frozenset({
    "rasa.nlu.classifiers.diet_classifier.DIETClassifier",
    "rasa.nlu.extractors.crf_entity_extractor.CRFEntityExtractor",
    "rasa.core.policies.ted_policy.TEDPolicy",
})


def sequence_features_read(schema: GraphSchema | None) -> bool:
    """Whether a component of the graph reads sequence features (True when there is no graph to look at)."""
    if schema is None:
        return True
    return any(f"{cls.__module__}.{cls.__qualname__}" in SEQUENCE_FEATURE_READERS
               for node in schema.nodes.values() for cls in getattr(node.uses, "__mro__", ()))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's CountVectorsFeaturizer (same configuration, vocabularies and files) that computes only
    the sentence features of the text when no component of the model reads sequence features."""

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, model_storage, resource, execution_context, *args, **kwargs)
        self.sentence_only = not sequence_features_read(execution_context.graph_schema)
        self._analyzers: dict[str, tuple[Any, Callable[[str], list[str]]]] = {}

    def process(self, messages: list[Message]) -> list[Message]:
        if not self.sentence_only or self.vectorizers is None:
            return super().process(messages)
        for message in messages:
            for attribute in self._attributes:
                tokens = self._get_processed_message_tokens_by_attribute(message, attribute)
                if attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
                    # (no sentence features: Rasa's sequence features, read by DIET and TED only)
                    sequence, sentence = self._create_features(attribute, [tokens])
                    self.add_features_to_message(sequence[0], sentence[0], attribute, message)
                    continue
                self.add_features_to_message(None, self._sentence_features(attribute, tokens), attribute, message)
        return messages

    def _sentence_features(self, attribute: str, tokens: list[str]) -> scipy.sparse.coo_matrix | None:
        """What Rasa's ``_create_features`` gives as the sentence features: the vectorizer's
        ``transform([" ".join(tokens)])``, indices sorted, as COO; None without a vectorizer or tokens."""
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer or not tokens:
            return None
        vocabulary = vectorizer.vocabulary_
        known = self._analyzers.get(attribute)
        if known is None or known[0] is not vectorizer:  # (scikit-learn builds it on every transform)
            known = self._analyzers[attribute] = (vectorizer, vectorizer.build_analyzer())
        counts: dict[int, int] = {}
        for feature in known[1](" ".join(tokens)):
            column = vocabulary.get(feature)
            if column is not None:
                column = int(column)
                counts[column] = counts.get(column, 0) + 1
        columns = sorted(counts)
        return scipy.sparse.coo_matrix(
            (np.array([counts[c] for c in columns], dtype=vectorizer.dtype),
             (np.zeros(len(columns), dtype=np.int32), np.array(columns, dtype=np.int32))),
            shape=(1, len(vocabulary)))
