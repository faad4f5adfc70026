"""Which answer a message asks for, read with the conversation before it: a learned model.

Plain Python and scikit-learn, no Rasa imports (hooks/follow_ups.py trains and asks it).

The rules in hooks/follow_ups.py read a follow-up with the question before it by hand: "a
short message that leans on the last question with 'it', 'that', 'tho'…". Each blind round
showed the same limit: every new writer's sub-questions are worded their own way, and a rule
written for one carries to few others. This model learns the same decision from examples
instead: whole conversations (data/conversations.yml), each labelled with the intent whose
answer its last message wants. Its features are

- the message's own words (word 1-2-grams and character 2-4-grams),
- the previous message's words, and the one before that, at lower weights,
- what the topic model (trained on data/nlu) reads in the message alone and in the
  previous message alone: so the model can learn "the last topic again" ("and for 3?"),
  "its own reading" ("does it hurt?") and "a third topic" ("is that per session?" after
  the number of sessions asks the price) from a few hundred conversations.

Besides the conversations it learns from the NLU examples themselves, each after a question
of another topic, labelled with their own intent: a question of its own stays its own.
"""
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from hooks.sentence_encoder import EncoderMissing, SentenceEncoder

CONVERSATIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "conversations.yml"


@dataclass(frozen=True)
class Conversation:
    turns: tuple[str, ...]  # the visitor's messages, oldest first
    intent: str  # the intent whose answer the last message wants

    @property
    def message(self) -> str:
        return self.turns[-1]

    @property
    def previous(self) -> str:
        return self.turns[-2]

    @property
    def earlier(self) -> str:
        return self.turns[-3] if len(self.turns) > 2 else ""


class ConversationsError(ValueError):
    """data/conversations.yml can't be read; the message names the entry and the fix."""


def load_conversations(path: Path = CONVERSATIONS_FILE) -> list[Conversation]:
    """The labelled conversations of ``path``; a missing file has none."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConversationsError(f"{path.name} is not valid YAML: {error}") from error
    entries = data.get("conversations") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConversationsError(f"{path.name} must have a 'conversations:' list (see docs/training.md).")
    conversations = []
    for number, entry in enumerate(entries, start=1):
        turns = entry.get("turns") if isinstance(entry, dict) else None
        intent = entry.get("intent") if isinstance(entry, dict) else None
        if not isinstance(turns, list) or len(turns) < 2:
            raise ConversationsError(f"{path.name}, conversation {number}: 'turns' must list at least two of the "
                                     f"visitor's messages, oldest first.")
        for turn in turns:
            if not isinstance(turn, str) or not turn.strip():
                # YAML reads an unquoted yes, no, on, 3 or an empty entry as something other than text.
                raise ConversationsError(f"{path.name}, conversation {number}: the turn {turn!r} is not a message. "
                                         f"Put every turn in double quotes, e.g. [\"how much is it\", \"yes\"].")
        if not isinstance(intent, str) or not intent:
            raise ConversationsError(f"{path.name}, conversation {number} ({turns[-1]!r}): give the 'intent' whose "
                                     f"answer the last message wants, e.g. 'intent: ask_cost'.")
        conversations.append(Conversation(tuple(t.strip() for t in turns), intent))
    return conversations


def _text_features() -> Any:
    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2),
    )


class ContextModel:
    """P(intent | message, the previous message, the one before it)."""

    # (A model pickled before it could read what messages mean has neither attribute.)
    encoder: SentenceEncoder | None = None
    reads_meaning = False

    def __init__(self, topic_features: Any, topics: LogisticRegression, previous_weight: float = 0.5,
                 earlier_weight: float = 0.25, topic_weight: float = 3.0, regularisation: float = 10.0,
                 encoder: SentenceEncoder | None = None, meaning_weight: float = 5.0) -> None:
        # The topic model of data/nlu (hooks/follow_ups.py trains it): its features and classifier.
        self.topic_features, self.topics = topic_features, topics
        self.previous_weight, self.earlier_weight = previous_weight, earlier_weight
        self.topic_weight, self.regularisation = topic_weight, regularisation
        # The three messages' sentence embeddings (hooks/sentence_encoder.py), at this weight: what
        # they mean, where their words differ from every example's ("whats that when its at home").
        self.encoder, self.meaning_weight = encoder, meaning_weight
        self.reads_meaning = encoder is not None
        self.words: Any = None
        self.classifier: LogisticRegression | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The encoder's 90 MB of weights stay in models/sentence-encoder, not in every trained model;
        # hooks/follow_ups.py gives a loaded model the process's one encoder (``attach``).
        return {**self.__dict__, "encoder": None}

    def attach(self, encoder: SentenceEncoder | None) -> None:
        self.encoder = encoder

    def _meanings(self, messages: Sequence[str], previous: Sequence[str], earlier: Sequence[str]) -> np.ndarray:
        if self.encoder is None:
            raise EncoderMissing("this context model reads what messages mean, and has no sentence encoder")
        n = len(messages)
        vectors = self.encoder.encode([*messages, *previous, *earlier])
        return self.meaning_weight * np.hstack([vectors[:n], self.previous_weight * vectors[n:2 * n],
                                                self.earlier_weight * vectors[2 * n:]])

    def topic_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.topics.predict_proba(self.topic_features.transform(texts))

    def _matrix(self, messages: Sequence[str], previous: Sequence[str], earlier: Sequence[str]) -> csr_matrix:
        n = len(messages)
        # One call per vectoriser, for all three texts: a message is read in ~2 ms, not ~6.
        words = self.words.transform([*messages, *previous, *earlier])
        topics = self.topic_probabilities([*messages, *previous])
        blocks = [
            words[:n],
            self.previous_weight * words[n:2 * n],
            self.earlier_weight * words[2 * n:],
            self.topic_weight * csr_matrix(topics[:n]),
            self.topic_weight * csr_matrix(topics[n:]),
        ]
        if self.reads_meaning:
            blocks.append(csr_matrix(self._meanings(messages, previous, earlier)))
        return hstack(blocks).tocsr()

    def fit(self, conversations: Sequence[Conversation], saved_meanings: Path | None = None) -> "ContextModel":
        if self.encoder is not None and saved_meanings is not None:
            self.encoder.warm([text for c in conversations for text in (c.message, c.previous, c.earlier)],
                              saved_meanings)
        self.words = _text_features().fit([c.message for c in conversations] + [c.previous for c in conversations])
        matrix = self._matrix([c.message for c in conversations], [c.previous for c in conversations],
                              [c.earlier for c in conversations])
        self.classifier = LogisticRegression(C=self.regularisation, max_iter=3000, random_state=42)
        self.classifier.fit(matrix, [c.intent for c in conversations])
        # The weights of each block of features, contiguous: reading one message multiplies three
        # short sparse rows by them, without building the row (sklearn's predict_proba copies its
        # whole weight matrix for each call: ~1.5 ms).
        width = len(self.words.get_feature_names_out())
        weights = self.classifier.coef_.T
        topics_end = 3 * width + 2 * len(self.topics.classes_)
        self.blocks = [np.ascontiguousarray(weights[i * width:(i + 1) * width]) for i in range(3)] \
            + [np.ascontiguousarray(weights[3 * width:topics_end]), np.ascontiguousarray(weights[topics_end:])]
        return self

    def read(self, message: str, previous: str, earlier: str = "") -> tuple[str, float]:
        """The most likely intent and its probability."""
        if self.classifier is None:
            return "", 0.0
        words = self.words.transform([message, previous, earlier])
        topics = self.topic_probabilities([message, previous]).reshape(-1)
        scores = (words[0] @ self.blocks[0] + self.previous_weight * (words[1] @ self.blocks[1])
                  + self.earlier_weight * (words[2] @ self.blocks[2])).ravel()
        scores = scores + self.topic_weight * (topics @ self.blocks[3]) + self.classifier.intercept_
        if self.reads_meaning:
            scores = scores + (self._meanings([message], [previous], [earlier]) @ self.blocks[4]).ravel()
        if len(scores) == 1:  # two intents: one row of weights, for the second (sklearn's binary case)
            scores = np.array([0.0, scores[0]])
        probabilities = np.exp(scores - scores.max())
        probabilities /= probabilities.sum()
        best = int(np.argmax(probabilities))
        return str(self.classifier.classes_[best]), float(probabilities[best])


def questions_of_their_own(examples: dict[str, list[str]], asked_before: dict[str, list[str]],
                           per_intent: int = 25, seed: int = 42) -> list[Conversation]:
    """Up to ``per_intent`` NLU examples of each intent, each after a question of another intent
    (from ``asked_before``), labelled with their own intent: what stops the model reading every
    message as the last topic again."""
    chooser = random.Random(seed)
    before = [(text, intent) for intent in sorted(asked_before) for text in sorted(asked_before[intent])]
    conversations = []
    for intent in sorted(examples):
        others = [text for text, other in before if other != intent]
        texts = sorted(examples[intent])
        for text in chooser.sample(texts, min(per_intent, len(texts))) if others else []:
            conversations.append(Conversation((chooser.choice(others), text), intent))
    return conversations
