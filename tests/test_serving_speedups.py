"""serving/speedups.py validates action-server responses exactly as Rasa does, only faster
(serving/patches.py, 'response-validation')."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from patched_agents import loaded_with_and_without
from serving import patches

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]},
    {"events": [{"event": "bot", "text": "hi", "data": {}}]},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": "nope"},
]
# Every event type Rasa's schema names, and events each type's part of the schema rejects.
EVENT_TYPES = ["user", "action", "slot", "entities", "user_featurization", "cancel_reminder", "reminder",
               "action_execution_rejected", "form_validation", "loop_interrupted", "form", "active_loop",
               "reset_slots", "resume", "pause", "followup", "export", "restart", "undo", "rewind", "bot",
               "session_started", "agent"]
VALID += [
    {"events": [{"event": "slot", "name": "last_topic", "value": "cost", "timestamp": None},
                {"event": "bot", "text": "hi", "metadata": {"utter_action": "utter_x"}},
                {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 1.0},
                                                               "entities": [{"entity": "number", "value": 3}]}},
                {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
                {"event": "entities", "entities": []}, {"event": "active_loop", "name": None},
                *[{"event": event_type} for event_type in EVENT_TYPES if event_type not in ("slot", "entities")]],
     "responses": [{"text": "One treatment costs 170.", "buttons": [], "template": None}]},
]
INVALID += [
    {"events": [{"event": "slot", "name": "x"}]},  # no value
    {"events": [{"event": "entities"}]},
    {"events": [{"event": "user", "text": 5}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}]},
    {"events": [{"event": "action", "confidence": "sure"}]},
    {"events": [{"event": "a type Rasa does not have"}]},
    {"events": [{"event": 7}]},
    {"events": ["slot"]},
    {"events": [{"event": "bot", "timestamp": "yesterday"}]},
    {"events": [{"event": "bot", "metadata": []}]},
    {"events": [{"event": "slot", "name": "x", "value": 1}, {"event": "user", "text": 5}]},
    {"events": [], "responses": ["hi"]},
    [],
]


@pytest.fixture
def patched():
    change = patches.by_name("response-validation")
    rasas_own = RemoteAction._validate_action_result
    patches.apply([change])
    assert RemoteAction._validate_action_result is not rasas_own
    yield RemoteAction(name="action_x", action_endpoint=None)
    change.undo()
    assert RemoteAction._validate_action_result is rasas_own


@pytest.mark.parametrize("response", VALID + INVALID)
def test_same_verdict_as_rasas_own_validation(patched, response):
    schema = RemoteAction.action_response_format_spec()
    try:
        jsonschema.validate(response, schema)
        expected_valid = True
    except jsonschema.ValidationError:
        expected_valid = False
    if expected_valid:
        assert patched._validate_action_result(response) is True
    else:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            patched._validate_action_result(response)
    assert expected_valid is (response in VALID)



@pytest.mark.parametrize("response", VALID + INVALID)
def test_a_response_passed_by_its_events_types_is_one_the_whole_schema_passes(response):
    """The check by event type passes valid responses without the whole schema, and never one the
    whole schema rejects (those go through the whole schema, for Rasa's error)."""
    from serving.speedups import EventTypeValidator

    schema = RemoteAction.action_response_format_spec()
    accepted = EventTypeValidator(schema).accepts(response)
    assert accepted is (response in VALID)
    if accepted:
        jsonschema.validate(response, schema)


# --- 'intent-classifier-layout' and 'spacy-pipeline-loaded-once' --------------------------------

MODEL_LOADING = ("intent-classifier-layout", "spacy-pipeline-loaded-once")
GRAPH_RUN = "graph-run-in-dask-order"


def components(agent, class_name: str) -> list:
    return [node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
            if type(node._component).__name__ == class_name]


@pytest.fixture(scope="module")
def agents(model_path):
    """The model loaded by Rasa as it is, and with the model-loading changes."""
    return loaded_with_and_without(model_path, MODEL_LOADING)


def parsed(agent, texts: list[str]) -> list[dict]:
    import asyncio

    return [asyncio.run(agent.parse_message(text)) for text in texts]


@pytest.mark.model
def test_the_intent_classifier_gives_the_same_probabilities(agents):
    import numpy as np

    from trainer import holdout

    rasas_own, ours = agents
    [classifier] = [component.clf for component in components(ours, "LogisticRegressionClassifier")]
    [rasas_classifier] = [component.clf for component in components(rasas_own, "LogisticRegressionClassifier")]
    assert classifier.coef_.flags["F_CONTIGUOUS"] and classifier.coef_.T.flags["C_CONTIGUOUS"]
    assert rasas_classifier.coef_.flags["C_CONTIGUOUS"] and np.array_equal(classifier.coef_, rasas_classifier.coef_)
    texts = [text for text, _ in holdout.load_examples()][:80]
    rankings = [[[(r["name"], r["confidence"]) for r in p["intent_ranking"]] for p in parsed(agent, texts)]
                for agent in (ours, rasas_own)]
    assert rankings[0] == rankings[1]  # the same floats, exactly


@pytest.mark.model
def test_the_intent_classifier_reads_the_same_features(agents, monkeypatch):
    """The matrix the classifier scores, built by Rasa and by 'intent-classifier-features-joined', for
    every held-out phrasing and some odd ones: the same arrays, the same probabilities; several messages
    at once, or a message with dense features, are Rasa's own."""
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features

    from serving.speedups import sentence_features_joined_directly
    from trainer import holdout

    _, ours = agents
    seen: list = []
    [node] = [node for node in ours.processor.graph_runner._instantiated_nodes.values()
              if isinstance(node._component, LogisticRegressionClassifier)]
    rasas_process = node._fn
    monkeypatch.setattr(node, "_fn",
                        lambda self, messages: seen.append((self, list(messages))) or rasas_process(self, messages))
    texts = [text for text, _ in holdout.load_examples()] + [
        "", "   ", "?", "🙂🙂", "ÄÖÜ crème brûlée", "how much " * 200, "3 3 3 3", "and for 4?", "\t\n"]
    parsed(ours, texts)
    rasas_create_X = LogisticRegressionClassifier._create_X
    create_X = sentence_features_joined_directly(rasas_create_X)
    classifier = seen[0][0]
    for _, [message] in seen:
        mine, rasas = create_X(classifier, [message]), rasas_create_X(classifier, [message])
        assert (mine.shape, mine.dtype, mine.indices.dtype, mine.indptr.dtype, mine.has_sorted_indices) == \
            (rasas.shape, rasas.dtype, rasas.indices.dtype, rasas.indptr.dtype, rasas.has_sorted_indices)
        for array in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(mine, array), getattr(rasas, array)), (message.get(TEXT), array)
        assert np.array_equal(classifier.clf.predict_proba(mine), classifier.clf.predict_proba(rasas))
    assert len(seen) == len(texts)

    messages = [message for _, [message] in seen[:3]]
    assert np.array_equal(create_X(classifier, messages).toarray(), rasas_create_X(classifier, messages).toarray())
    with_dense = messages[0]
    with_dense.features.append(Features(np.ones((1, 4)), FEATURE_TYPE_SENTENCE, TEXT, "a dense featurizer"))
    assert create_X(classifier, [with_dense]).shape == rasas_create_X(classifier, [with_dense]).shape \
        == (1, classifier.clf.coef_.shape[1] + 4)


@pytest.mark.model
def test_the_intent_ranking_is_rasas_bit_for_bit(agents):
    """The classifier's intent and ranking, by Rasa and by 'intent-ranking-without-revalidation', for every
    held-out phrasing, every example of data/nlu/ and odd texts: the same names and floats, of the same types,
    in the same order, the intent the ranking's first entry; any ranking length; a matrix scikit-learn would
    refuse, or another classifier, is Rasa's own."""
    import copy

    import numpy as np
    import yaml
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message
    from scipy.sparse import vstack
    from sklearn.linear_model import LogisticRegression

    from paths import ROOT
    from serving.speedups import ranking_without_revalidation
    from trainer import holdout

    _, ours = agents
    nodes = list(ours.processor.graph_runner._instantiated_nodes.values())
    [tokenizer] = [n._component for n in nodes if type(n._component).__name__ == "WhitespaceTokenizer"]
    featurizers = [n._component for n in nodes if "CountVectors" in type(n._component).__name__]
    [classifier] = [n._component for n in nodes if isinstance(n._component, LogisticRegressionClassifier)]
    texts = [text for text, _ in holdout.load_examples()] + ["", "?", "🙂", "how much " * 200, "3 3 3"]
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            texts += [line.strip()[2:] for line in (block.get("examples") or "").splitlines()
                      if line.strip().startswith("- ")]
    messages = [Message(data={TEXT: text}) for text in texts]
    tokenizer.process(messages)
    for featurizer in featurizers:
        featurizer.process(messages)
    rasas_process = LogisticRegressionClassifier.process
    process = ranking_without_revalidation(rasas_process)

    def fresh(message: Message) -> Message:
        return Message(data=dict(message.data), features=list(message.features),
                       output_properties=set(message.output_properties))

    def readings(function, component, batch) -> list:
        done = function(component, [fresh(m) for m in batch])
        for message in done:
            intent, ranking = message.get("intent"), message.get("intent_ranking")
            assert intent is ranking[0]
        return [[(type(r["name"]), r["name"], type(r["confidence"]), r["confidence"].tobytes())
                 for r in m.get("intent_ranking")] for m in done]

    assert len(messages) > 5000
    for message in messages:
        assert readings(process, classifier, [message]) == readings(rasas_process, classifier, [message])
    assert readings(process, classifier, messages[:7]) == readings(rasas_process, classifier, messages[:7])
    full = copy.copy(classifier)
    full.config = {**classifier.config, "ranking_length": 0}
    assert len(readings(process, full, messages[:1])[0]) == len(classifier.clf.classes_) > 10
    assert readings(process, full, messages[:3]) == readings(rasas_process, full, messages[:3])

    # A matrix scikit-learn refuses (NaN): Rasa's own, and its error.
    broken = fresh(messages[0])
    broken.features = [copy.deepcopy(f) for f in messages[0].features]
    broken.features[-1].features.data = broken.features[-1].features.data * np.nan
    with pytest.raises(ValueError, match="NaN"):
        process(classifier, [broken])
    # Two classes (one row of coefficients, one-vs-rest): Rasa's own.
    two = copy.copy(classifier)
    matrices = [LogisticRegressionClassifier._create_X(classifier, [m]) for m in messages[:20]]
    two.clf = LogisticRegression(max_iter=500).fit(vstack(matrices), ["a", "b"] * 10)
    assert two.clf.coef_.shape[0] == 1
    assert readings(process, two, messages[:20]) == readings(rasas_process, two, messages[:20])


def test_the_classifiers_matrix_from_columns_in_any_order_is_rasas():
    """Columns in order are joined as they are; out of order or twice, SciPy sorts and sums them: either
    way the matrix Rasa builds, array for array."""
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from scipy.sparse import coo_matrix

    from serving.speedups import sentence_features_joined_directly

    def message(*parts) -> Message:
        found = Message(data={TEXT: "x"})
        for width, columns, counts in parts:
            rows, columns = np.zeros(len(columns), dtype=np.int32), np.array(columns, dtype=np.int32)
            matrix = coo_matrix((np.array(counts, dtype=np.int64), (rows, columns)), shape=(1, width))
            found.add_features(Features(matrix, FEATURE_TYPE_SENTENCE, TEXT, f"featurizer{width}"))
        return found

    rasas_create_X = LogisticRegressionClassifier._create_X
    create_X = sentence_features_joined_directly(rasas_create_X)
    for parts in ([(10, [1, 4, 9], [1, 2, 1]), (5, [0, 3], [2, 1])],  # in order
                  [(10, [4, 1, 9], [1, 2, 1]), (5, [0, 3], [2, 1])],  # out of order
                  [(10, [4, 4, 9], [1, 2, 1]), (5, [3], [1])],  # a column twice
                  [(10, [], []), (5, [2], [7])], [(10, [6], [1])]):
        mine, rasas = create_X(None, [message(*parts)]), rasas_create_X(None, [message(*parts)])
        assert (mine.shape, mine.dtype, mine.indices.dtype, mine.indptr.dtype, mine.has_sorted_indices) == \
            (rasas.shape, rasas.dtype, rasas.indices.dtype, rasas.indptr.dtype, rasas.has_sorted_indices), parts
        for array in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(mine, array), getattr(rasas, array)), (parts, array)


@pytest.mark.model
def test_the_spacy_pipeline_is_loaded_once_and_parses_the_same(agents):
    rasas_own, ours = agents
    pipelines = {id(component._model.model) for component in components(ours, "SpacyNLP")}
    assert len(components(ours, "SpacyNLP")) == 2 and len(pipelines) == 1
    assert len({id(component._model.model) for component in components(rasas_own, "SpacyNLP")}) == 2
    texts = ["how much for 3 sessions on my face?", "does it help with acne scars on the back", "is it like botox",
             "can i have it on my neck and chest"]
    assert [(p["intent"], p["entities"]) for p in parsed(ours, texts)] == \
        [(p["intent"], p["entities"]) for p in parsed(rasas_own, texts)]


@pytest.mark.model
def test_the_graph_runs_to_the_same_results(agents):
    """The same NLU results and the same policy predictions, with Rasa's runner and with ours."""
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from trainer import holdout

    _, agent = agents
    texts = [text for text, _ in holdout.load_examples()][::7]

    def results() -> list:
        out = []
        tracker = DialogueStateTracker("visitor", agent.domain.slots)
        for text in texts:
            parse = parsed(agent, [text])[0]
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(UserUttered(text, parse["intent"], parse["entities"], parse))
            prediction = agent.processor._predict_next_with_tracker(tracker)
            out.append((parse, prediction.probabilities, prediction.policy_name, prediction.events))
            tracker.update(ActionExecuted(agent.domain.action_names_or_texts[prediction.max_confidence_index]))
        return out

    rasas_own = results()
    change = patches.by_name(GRAPH_RUN)
    patches.apply([change])
    try:
        ours, again = results(), results()  # the second run uses the order computed by the first
    finally:
        change.undo()
    assert ours == rasas_own and again == rasas_own


def test_the_same_verdict_on_empty_domains():
    """'domain-emptiness-checked-once': Rasa's answer and ours, for empty and non-empty domains."""
    from rasa.shared.core.domain import Domain

    from paths import ROOT
    from serving.speedups import emptiness_compared_with_one_empty_domain

    is_empty = emptiness_compared_with_one_empty_domain(Domain.is_empty)
    domains = [Domain.empty(), Domain.from_dict({}), Domain.from_yaml("version: '3.1'"),
               Domain.from_dict({"intents": ["greet"]}), Domain.from_dict({"slots": {}}),
               Domain.from_dict({"responses": {"utter_hi": [{"text": "hi"}]}}),
               Domain.from_dict({"session_config": {"session_expiration_time": 5}}),
               Domain.load(str(ROOT / "domain.yml"))]
    verdicts = [(is_empty(domain), Domain.is_empty(domain)) for domain in domains]
    assert all(ours == rasas for ours, rasas in verdicts), verdicts
    assert [rasas for _, rasas in verdicts].count(True) >= 2 and [rasas for _, rasas in verdicts].count(False) >= 3


def test_a_config_file_read_again_gives_what_rasa_gives(tmp_path, monkeypatch):
    """'config-files-parsed-once': the same results as Rasa's read_config_file, each caller its own
    copy, the file parsed again when it or its environment variables change, errors each time."""
    import rasa.shared.utils.io as rasa_io
    from rasa.shared.exceptions import YamlException

    from serving.speedups import config_files_parsed_once

    rasas_own = rasa_io.read_config_file
    calls = []
    read = config_files_parsed_once(lambda *args: calls.append(args) or rasas_own(*args))
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: ${CLINIC_ACTIONS}\n  params: {a: 1}\n")
    monkeypatch.setenv("CLINIC_ACTIONS", "http://127.0.0.1:5055/webhook")

    first = read(str(endpoints))
    assert first == rasas_own(str(endpoints)) == {"action_endpoint": {"url": "http://127.0.0.1:5055/webhook",
                                                                      "params": {"a": 1}}}
    first["action_endpoint"]["params"]["a"] = 2  # a caller changing its copy
    assert read(str(endpoints)) == rasas_own(str(endpoints)) and len(calls) == 1  # parsed once

    monkeypatch.setenv("CLINIC_ACTIONS", "http://10.0.0.2:5055/webhook")
    assert read(str(endpoints)) == rasas_own(str(endpoints)) and len(calls) == 2
    endpoints.write_text("action_endpoint:\n  url: http://elsewhere/webhook\n")
    assert read(str(endpoints)) == rasas_own(str(endpoints)) and len(calls) == 3

    endpoints.write_text("action_endpoint: [unclosed\n")
    for reader in (read, read, rasas_own):
        with pytest.raises(YamlException):
            reader(str(endpoints))
    with pytest.raises(FileNotFoundError):
        read(str(tmp_path / "missing.yml"))
