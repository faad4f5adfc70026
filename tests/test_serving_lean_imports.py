"""What Rasa imports and serving never uses stays out of the server (serving/lean_imports.py):
TensorFlow above all, which is still there for a model that needs it.

Whether a server process loaded TensorFlow is read from outside, in /proc/<pid>/maps: importing
TensorFlow maps its native libraries (site-packages/tensorflow/...so) into the process. Which
Python modules it loaded, the Rasa server writes when it stops, only when SERVING_MODULES_REPORT
names a file (the tests' flag)."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

import lanes
from expected_replies import CONVERSATIONS
from paths import BIN, ROOT
from servers import free_port, start_assistant, stop, wait_until_ready

PROBE = "import sys; {}; print(json.dumps(sorted(m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules)))"


def tensorflow_mapped(pid: int) -> list[str]:
    """The TensorFlow (and jax) libraries mapped into the process."""
    libraries = {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines() if "/" in line}
    return sorted(path for path in libraries if "/site-packages/tensorflow/" in path or "/site-packages/jax" in path)


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


# What the server never loads while serving this project's conversations (serving/lean_imports.py).
NEVER_LOADED = ["tensorflow", "keras", "jax", "h5py", "matplotlib", "pytest", "rasa.utils.train_utils",
                "rasa.core.channels.telegram", "aiogram", "socketio", "webexteamssdk", "slack_sdk", "twilio",
                "questionary", "prompt_toolkit", "apscheduler", "boto3.session", "botocore.session"]


@pytest.mark.model
@pytest.mark.server
def test_a_served_conversation_never_loads_what_it_does_not_use(model_path, tmp_path):
    report = tmp_path / "modules.json"
    with start_assistant(model_path, tmp_path, SERVING_MODULES_REPORT=str(report)) as assistant:
        # Every kind of turn: FAQs, entities, follow-ups, other treatments, gaps, the fallback, the form.
        turns = [[turn["say"] for turn in CONVERSATIONS[name]] for name in
                 ("named_questions", "multi_turn", "careful", "unanswered", "scope")]
        turns += [[turn["say"] for turn in conversation] for conversation in CONVERSATIONS["follow_ups"]]
        turns += [[CONVERSATIONS["fallback"]["unclear"], CONVERSATIONS["fallback"]["still_unclear"]],
                  ["i'd like a consultation", "cancel"]]
        for conversation in turns:
            sender = assistant.new_sender()
            for text in conversation:
                assert assistant.say(text, sender), text
        actions, rasa_server = assistant.processes
        # TensorFlow's native libraries, read from outside the processes.
        assert tensorflow_mapped(rasa_server.pid) == [] and tensorflow_mapped(actions.pid) == []
    loaded = set(json.loads(report.read_text()))  # written by the Rasa server as it stopped
    assert "rasa.core.agent" in loaded and "spacy" in loaded and "sklearn" in loaded  # the report is real
    assert [name for name in NEVER_LOADED if name in loaded] == []


@pytest.mark.model
def test_loading_the_model_as_the_launcher_does_imports_no_tensorflow(model_path):
    code = PROBE.format(f"import json; from serving import startup; startup.prepare_rasa(); "
                        f"from rasa.core.agent import Agent; Agent.load({str(model_path)!r})")
    done = python(code)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_rasas_agent_still_imports_tensorflow():
    # Why the deferral exists. When this fails, Rasa no longer needs it (serving/patches.py).
    done = python(PROBE.format("import json; import rasa.core.agent"))
    assert "tensorflow" in json.loads(done.stdout.strip().splitlines()[-1])


TRUSTED = ("import json, skops.io._trusted_types as t; print(json.dumps([t.PRIMITIVE_TYPE_NAMES, "
           "t.SCIPY_UFUNC_TYPE_NAMES, t.NUMPY_UFUNC_TYPE_NAMES, t.NUMPY_DTYPE_TYPE_NAMES, "
           "t.SKLEARN_ESTIMATOR_TYPE_NAMES]))")


@pytest.mark.model
def test_skops_trusts_the_same_types_but_only_rasas_classifier(model_path):
    # skops names the types it trusts by looking them up in the modules loaded before it: imported
    # first (serving/lean_imports.py) or, as Rasa does, while loading the model, the names agree.
    load = f"from rasa.core.agent import Agent; Agent.load({str(model_path)!r})"
    first = python(f"from serving import startup; startup.prepare_rasa(); {load}; {TRUSTED}")
    as_rasa_does = python(f"{load}; {TRUSTED}")
    assert first.returncode == 0 and as_rasa_does.returncode == 0, first.stderr[-2000:] + as_rasa_does.stderr[-2000:]
    *ours, our_estimators = json.loads(first.stdout.strip().splitlines()[-1])
    *rasas, all_estimators = json.loads(as_rasa_does.stdout.strip().splitlines()[-1])
    assert ours == rasas and all(ours)
    assert our_estimators == ["sklearn.linear_model._logistic.LogisticRegression"]
    assert set(our_estimators) < set(all_estimators) and len(all_estimators) > 100


ANOTHER_CLASSIFIER = """
import sys
from pathlib import Path
from serving import startup
startup.prepare_rasa()
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from sklearn.linear_model import SGDClassifier

storage, resource = LocalModelStorage(Path(sys.argv[1])), Resource("intent_classifier")
context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
saved = LogisticRegressionClassifier.create({}, storage, resource, context)
saved.clf = SGDClassifier().fit([[0.0], [1.0]], ["greet", "goodbye"])  # not the classifier skops trusts here
saved.persist()
LogisticRegressionClassifier.load({}, storage, resource, context)
"""


def test_a_classifier_file_skops_does_not_trust_stops_the_start(tmp_path):
    done = subprocess.run([sys.executable, "-c", ANOTHER_CLASSIFIER, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode != 0
    assert "RuntimeError: The model's intent classifier (LogisticRegressionClassifier) could not be loaded" in \
        done.stderr


def test_rasas_own_channel_names_still_work():
    code = ("from serving import startup; startup.prepare_rasa(); import rasa.core.run as run; "
            "print(type(run._create_single_channel('rest', {})).__name__, "
            "type(run._create_single_channel('channels.rest.ValidatedRestInput', {})).__name__)")
    done = python(code)
    assert done.stdout.split() == ["RestInput", "ValidatedRestInput"], done.stderr[-2000:]
    wrong = python("from serving import startup; startup.prepare_rasa(); import rasa.core.run as run; "
                   "run._create_single_channel('channels.rest.NoSuchInput', {})")
    assert "Failed to find input channel class for 'channels.rest.NoSuchInput'" in wrong.stderr


def test_the_deferral_refuses_to_start_when_it_is_too_late():
    done = python("import rasa.core.agent; from serving import startup; startup.prepare_rasa()")
    assert done.returncode != 0
    assert "serving.lean_imports.DeferralImpossible: serving/lean_imports.py: tensorflow, rasa.core.agent, " \
           "rasa.utils.train_utils, " in done.stderr
    assert "already imported before the deferral was installed" in done.stderr


@pytest.mark.model
def test_the_train_schema_read_on_demand_is_rasas(model_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    from serving import patches

    rasas_own = LocalModelStorage.metadata_from_archive(model_path)
    change = patches.by_name("train-schema-on-demand")
    patches.apply([change])
    try:
        ours = LocalModelStorage.metadata_from_archive(model_path)
        assert ours.predict_schema == rasas_own.predict_schema
        assert ours.train_schema._nodes is None  # not read yet
        assert ours.train_schema.as_dict() == rasas_own.train_schema.as_dict()
        assert ours.train_schema == rasas_own.train_schema
    finally:
        change.undo()


# --- a model whose config uses TensorFlow (DIET) is served as before ------------------------------

TINY_PROJECT = {
    "config.yml": """
        recipe: default.v1
        assistant_id: tiny-diet
        language: en
        pipeline:
          - name: WhitespaceTokenizer
          - name: CountVectorsFeaturizer
          - name: DIETClassifier
            epochs: 50
        policies:
          - name: RulePolicy
    """,
    "domain.yml": """
        version: "3.1"
        intents: [greet, goodbye]
        responses:
          utter_greet: [{text: "Hello from DIET."}]
          utter_goodbye: [{text: "Bye from DIET."}]
    """,
    "data/nlu.yml": """
        version: "3.1"
        nlu:
          - intent: greet
            examples: |
              - hi
              - hello
              - hey there
          - intent: goodbye
            examples: |
              - bye
              - goodbye
              - see you
    """,
    "data/rules.yml": """
        version: "3.1"
        rules:
          - rule: greet
            steps: [{intent: greet}, {action: utter_greet}]
          - rule: goodbye
            steps: [{intent: goodbye}, {action: utter_goodbye}]
    """,
}


@pytest.fixture(scope="module")
def diet_model(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("tiny-diet")
    for name, text in TINY_PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(textwrap.dedent(text))
    trained = subprocess.run(
        [str(BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
         "--out", "models", "--fixed-model-name", "diet"], cwd=project, capture_output=True, text=True, timeout=900,
        env={**os.environ, "RASA_CACHE_DIRECTORY": str(project / ".rasa"), "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    return project / "models" / "diet.tar.gz"


@pytest.mark.server
def test_a_model_with_diet_still_answers(diet_model, tmp_path):
    (tmp_path / "endpoints.yml").write_text(
        f"tracker_store:\n  type: serving.tracker_store.TunedSQLTrackerStore\n"
        f"  url: sqlite:///{tmp_path / 'conversations.db'}\n")
    (tmp_path / "credentials.yml").write_text("rest:\n")
    port, log = free_port(), tmp_path / "rasa.log"
    lanes.require("server", "the Rasa server")
    server = subprocess.Popen(
        [str(BIN / "python"), "-m", "serving", "run", "--model", str(diet_model), "--port", str(port),
         "--interface", "127.0.0.1", "--endpoints", str(tmp_path / "endpoints.yml"),
         "--credentials", str(tmp_path / "credentials.yml")],
        cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, stdout=log.open("a"), stderr=subprocess.STDOUT)
    try:
        wait_until_ready([f"http://127.0.0.1:{port}/"], [server], [log])
        reply = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                              json={"sender": "visitor", "message": "hello"}, timeout=60)
        assert reply.json() == [{"recipient_id": "visitor", "text": "Hello from DIET."}]
        assert tensorflow_mapped(server.pid)  # DIET imported it: the deferral kept nothing away
    finally:
        stop([server])
    assert "TensorFlow is being imported (by rasa.nlu." in log.read_text()  # said, with who asked


def test_the_quicker_whichmodule_gives_pickles_answers():
    # serving/lean_imports.py's _whichmodule replaces skops' (pickle's) while skops lists the types
    # it trusts: for every NumPy and SciPy function, and for names no module has, the same module.
    import numpy as np
    import scipy.special
    from skops.io import _utils

    from serving.lean_imports import _whichmodule

    functions = [getattr(module, name) for module in (np, scipy.special) for name in dir(module)
                 if isinstance(getattr(module, name), np.ufunc)]
    assert len(functions) > 200
    for function in functions:
        assert _whichmodule(function, function.__name__) == _utils.whichmodule(function, function.__name__)
    nameless = type("Nameless", (), {"__module__": None})()
    assert _whichmodule(nameless, "no_module_has_this.name") == _utils.whichmodule(nameless, "no_module_has_this.name")
    assert _whichmodule(nameless, "<locals>.f") == "__main__"
