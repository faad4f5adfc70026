"""The learned context model (hooks/context_model.py) and its data, data/conversations.yml."""
import numpy as np
import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from hooks.context_model import (
    CONVERSATIONS_FILE,
    ContextModel,
    Conversation,
    ConversationsError,
    load_conversations,
    questions_of_their_own,
)
from paths import ROOT


def domain_intents() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}


def test_the_projects_conversations_load_and_name_intents_of_the_domain():
    conversations = load_conversations(CONVERSATIONS_FILE)
    assert len(conversations) > 1000
    assert {c.intent for c in conversations} <= domain_intents()
    assert all(len(c.turns) >= 2 for c in conversations)


@pytest.mark.parametrize("text, says", [
    ("conversations: [", "not valid YAML"),
    ("turns: []", "must have a 'conversations:' list"),
    ("conversations:\n- turns: [\"price?\"]\n  intent: ask_cost", "conversation 1: 'turns' must list at least two"),
    ("conversations:\n- turns: [\"price?\", \"and 2?\"]", "conversation 1 ('and 2?'): give the 'intent'"),
    ("conversations:\n- turns: [\"is it ok?\", yes]\n  intent: affirm", "the turn True is not a message. Put every "
                                                                          "turn in double quotes"),
])
def test_a_bad_entry_gets_an_error_naming_the_file_the_entry_and_the_fix(tmp_path, text, says):
    path = tmp_path / "conversations.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConversationsError, match="conversations.yml") as error:
        load_conversations(path)
    assert says in str(error.value)


def test_no_file_means_no_conversations(tmp_path):
    assert load_conversations(tmp_path / "missing.yml") == []


def test_questions_of_their_own_come_after_a_question_of_another_intent():
    examples = {"ask_cost": ["how much", "price?", "cost?"], "ask_pain": ["does it hurt", "painful?"]}
    made = questions_of_their_own(examples, examples, per_intent=2)
    assert len(made) == 4
    for conversation in made:
        assert conversation.message in examples[conversation.intent]
        assert conversation.previous not in examples[conversation.intent]


def toy_model() -> ContextModel:
    topics_texts = ["how much is it", "what does it cost", "price please", "does it hurt", "is it painful",
                    "will it be sore"]
    features = TfidfVectorizer().fit(topics_texts)
    topics = LogisticRegression().fit(features.transform(topics_texts), ["ask_cost"] * 3 + ["ask_pain"] * 3)
    conversations = [Conversation((before, after), intent)
                     for before, intent in (("how much is it", "ask_cost"), ("price please", "ask_cost"),
                                            ("does it hurt", "ask_pain"), ("is it painful", "ask_pain"))
                     for after in ("and for 3?", "why?", "really?", "and for 3?")]
    return ContextModel(features, topics).fit(conversations)


def test_the_fast_reading_is_the_classifiers_own():
    """``read`` multiplies the blocks of weights itself; it must say what sklearn would."""
    model = toy_model()
    for message, previous, earlier in (("why?", "does it hurt", ""), ("and for 3?", "how much is it", "hi"),
                                       ("really?", "price please", "does it hurt")):
        probabilities = model.classifier.predict_proba(model._matrix([message], [previous], [earlier]))[0]
        intent, confidence = model.read(message, previous, earlier)
        assert intent == model.classifier.classes_[int(np.argmax(probabilities))]
        assert confidence == pytest.approx(float(probabilities.max()))


def test_the_same_follow_up_takes_the_topic_before_it():
    model = toy_model()
    assert model.read("why?", "does it hurt")[0] == "ask_pain"
    assert model.read("why?", "how much is it")[0] == "ask_cost"
