"""Measured fixes to Rasa 3.6's serving path (serving/patches.py lists each, with its test).

Rasa validates every action-server response with ``jsonschema.validate(result, schema)``
(``RemoteAction._validate_action_result``). That function first re-checks the schema
itself against the JSON-Schema meta-schema, on every call, and Rasa's response schema
(every event type) is large: `bench/breakdown.py` and a profile showed it taking about
two thirds of a message's time (~19 of ~29 ms), whatever the NLU pipeline.

The fix validates against the very same schema with a validator compiled once; the
schema is still checked against the meta-schema, once, at start-up. Then each event of a
response is checked against its own type's part of the schema (``oneOf`` lists 23 event
types, each fixing ``event`` to its name, and checking every part took ~0.6 ms an event).
A response that passes is one the whole schema accepts; any other goes through the whole
schema, so invalid ones raise the same error with the same hint as before.
"""
from collections.abc import Callable
from typing import Any

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


def compiled_response_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every response
    return validator_class(schema)


class EventTypeValidator:
    """Rasa's response schema, with each event checked against the part of the schema for its
    type only. ``accepts`` is True only for responses the whole schema accepts: an event of type T
    is valid under ``oneOf`` when it is valid under T's part (the others fix ``event`` to another
    name, so they fail). It may say False for a valid response (a shape it does not sort): the
    caller then asks the whole schema."""

    def __init__(self, schema: dict[str, Any]) -> None:
        validator_class = validators.validator_for(schema)
        properties = dict(schema["properties"])
        event_schema = properties.pop("events")["items"]
        base = {key: value for key, value in event_schema.items() if key != "oneOf"}
        self.by_type: dict[str, Any] = {}
        for part in event_schema["oneOf"]:
            event_type = part["properties"]["event"]["const"]
            if event_type in self.by_type:
                raise ValueError(f"two parts of the events' schema for {event_type!r}")
            self.by_type[event_type] = validator_class({**base, "allOf": [part]})
        self.without_events = validator_class({**schema, "properties": properties})

    def accepts(self, result: Any) -> bool:
        if not self.without_events.is_valid(result):
            return False
        events = result.get("events", [])
        if not isinstance(events, list):
            return False
        for event in events:
            validator = self.by_type.get(event.get("event")) if isinstance(event, dict) else None
            if validator is None or not validator.is_valid(event):
                return False
        return True


def validating_with_a_compiled_schema(rasa_validate: Callable) -> Callable:
    """Replaces RemoteAction._validate_action_result (Rasa's is `rasa_validate`)."""
    validator = compiled_response_validator()
    by_event_type = EventTypeValidator(RemoteAction.action_response_format_spec())

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if by_event_type.accepts(result):
            return True
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            # The same message Rasa adds (rasa/core/actions/action.py).
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    return _validate_action_result


def coefficients_laid_out_for_prediction(rasa_load: Callable) -> Callable:
    """Replaces LogisticRegressionClassifier.load (Rasa's is `rasa_load`, bound to the class): the
    classifier Rasa loads, its coefficient matrix stored column by column.

    scikit-learn scores a message as ``X @ coef_.T``; for a sparse X, SciPy wants the dense
    operand in row order and copies ``coef_.T`` into it on every call: the whole matrix (intents x
    n-gram features, ~20 MB here) per message. Stored in column order, ``coef_.T`` already is in
    row order: the same numbers, multiplied in the same order, without the copy.

    A classifier Rasa could not read stops the start, rather than answering every message with
    an error."""
    import numpy as np

    def load(*args: Any, **kwargs: Any) -> Any:
        component = rasa_load(*args, **kwargs)
        classifier = getattr(component, "clf", None)
        if getattr(classifier, "coef_", None) is None:
            # Rasa answers a classifier it cannot read (a file missing, or holding types skops does not
            # trust: serving/lean_imports.py) with an untrained one, which fails every message later.
            raise RuntimeError("The model's intent classifier (LogisticRegressionClassifier) could not be loaded: "
                               "its file is missing or holds types that are not trusted. Retrain the model "
                               "(make train).")
        classifier.coef_ = np.asfortranarray(classifier.coef_)
        return component

    return load


def sentence_features_joined_directly(rasa_create_X: Callable) -> Callable:
    """Replaces LogisticRegressionClassifier._create_X (Rasa's is `rasa_create_X`): the same
    matrix, built without Rasa's detours.

    Rasa joins a message's features with ``Message.get_sparse_features`` (which deep-copies and
    joins the featurizers' sequence features as well, unused here), converts the joined sentence
    features to CSR, joins them with an empty matrix for the absent dense features, then stacks
    the one row: five SciPy constructions, ~0.5 ms a message (bench/breakdown.py, NLU). Here the
    featurizers' sentence features (COO, one row each) are put side by side in the same order,
    as one CSR row of the same entries, as float64 as Rasa's result: when the columns are in order
    and none is there twice (each featurizer's are sorted), that is the row as it is; otherwise
    one COO matrix converted by SciPy's own ``tocsr`` (which sums duplicates and sorts the columns,
    as Rasa's conversion does). The same matrix, array for array, so the same probabilities. Any other case (several
    messages, dense features, a matrix not in COO or not one row) is Rasa's own code."""
    import numpy as np
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from scipy.sparse import coo_matrix, csr_matrix

    def joined(message: Any) -> Any:
        sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
        if not sentence or any(not f.is_sparse() or not isinstance(f.features, coo_matrix)
                               or f.features.shape[0] != 1 for f in sentence):
            return None
        offsets = np.cumsum([0] + [f.features.shape[1] for f in sentence])
        data = np.concatenate([f.features.data for f in sentence]).astype(np.float64)
        columns = np.concatenate([f.features.col + offset for f, offset in zip(sentence, offsets, strict=False)])
        if columns.size > 1 and (np.diff(columns) <= 0).any():
            rows = np.concatenate([f.features.row for f in sentence])
            return coo_matrix((data, (rows, columns)), shape=(1, int(offsets[-1]))).tocsr()
        # Columns already in order, none twice (each featurizer's are, and each comes after the one
        # before): the CSR row tocsr() would build, without its conversion (~0.05 ms).
        return csr_matrix((data, columns.astype(np.int32), np.array([0, columns.size], dtype=np.int32)),
                          shape=(1, int(offsets[-1])))

    def _create_X(self: Any, messages: list) -> Any:
        if len(messages) == 1:
            X = joined(messages[0])
            if X is not None:
                return X
        return rasa_create_X(self, messages)

    return _create_X


def ranking_without_revalidation(rasa_process: Callable) -> Callable:
    """Replaces LogisticRegressionClassifier.process (Rasa's is `rasa_process`): the same intent and
    ranking, computed with scikit-learn's own functions, less what a message does not need.

    Rasa asks the classifier's predict_proba, which checks the matrix again (format, dtype, finite
    values, width: ~0.04 ms), then builds a dict for each of the 36 intents and sorts them by
    confidence with NumPy scalars as keys, to keep the first ten. Here, for a matrix that passes
    those checks as it is (CSR, float64, finite, the classifier's width), the probabilities are
    scikit-learn's multinomial predict_proba without the checks: its ``safe_sparse_dot`` of the
    matrix and the coefficients, plus the intercepts, through its ``softmax``; the ranking is the
    same stable order (NumPy's stable argsort of the negated row: ties in the classes' order, as
    Python's sort keeps them), with the same values (NumPy strings and floats), the intent being the
    ranking's first dict, as in Rasa's. Any other matrix or classifier: Rasa's own."""
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import RANKING_LENGTH
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils.extmath import safe_sparse_dot, softmax

    def multinomial(classifier: Any) -> bool:
        """predict_proba's own test (not one-vs-rest), with a row of coefficients for each of 3+ classes."""
        return type(classifier) is LogisticRegression and getattr(classifier, "coef_", None) is not None \
            and classifier.coef_.shape[0] == classifier.classes_.size > 2 and not (
                classifier.multi_class in ("ovr", "warn") or (classifier.multi_class == "auto" and (
                    classifier.classes_.size <= 2 or classifier.solver == "liblinear")))

    def process(self: Any, messages: list) -> list:
        classifier = getattr(self, "clf", None)
        if not messages or not multinomial(classifier):
            return rasa_process(self, messages)
        X = self._create_X(messages)
        if type(X) is not csr_matrix or X.dtype != np.float64 or X.shape[0] != len(messages) \
                or X.shape[1] != getattr(classifier, "n_features_in_", None) or not np.isfinite(X.data).all():
            return rasa_process(self, messages)
        probabilities = softmax(safe_sparse_dot(X, classifier.coef_.T, dense_output=True) + classifier.intercept_,
                                copy=False)
        names, length = classifier.classes_, self.config[RANKING_LENGTH]
        for row, message in zip(probabilities, messages, strict=True):
            order = np.argsort(-row, kind="stable")
            ranking = [{"name": names[i], "confidence": row[i]} for i in (order[:length] if length > 0 else order)]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    return process


def emptiness_compared_with_one_empty_domain(rasa_is_empty: Callable) -> Callable:
    """Replaces Domain.is_empty (Rasa's is `rasa_is_empty`): the domain compared with an empty
    domain's contents built once, not once per call.

    Rasa's processor asks on every message whether the domain is empty (to warn about intents
    and entities the domain lacks), and Rasa answers by building a new empty Domain from a dict
    each time: ~0.1 ms a message. The comparison is the same: ``as_dict()`` of this domain
    against ``as_dict()`` of ``Domain.empty()``, which is the same every time."""
    import copy

    from rasa.shared.core.domain import Domain

    empty_domain = copy.deepcopy(Domain.empty().as_dict())

    def is_empty(self: Any) -> bool:
        return self.as_dict() == empty_domain

    return is_empty


def config_files_parsed_once(rasa_read_config_file: Callable) -> Callable:
    """Replaces rasa.shared.utils.io.read_config_file (Rasa's is `rasa_read_config_file`): a file
    whose bytes, and the environment its ${VARIABLES} are filled from, are the ones already read,
    is not parsed and checked against Rasa's schema again; the caller gets its own copy of the
    result Rasa's function gave.

    Starting the server reads endpoints.yml 21 times (each of its 7 sections, three times over:
    the launcher's check of its stores, `rasa run`, and Rasa's API setup), each time parsing the
    YAML and validating it against Rasa's schema: ~0.2 s of a ~2.6 s start. A file that cannot be
    read or fails the check raises as before, each time (errors are not kept)."""
    import copy
    import os

    parsed: dict[tuple, Any] = {}

    def read_config_file(filename: Any, reader_type: Any = "safe") -> dict[str, Any]:
        try:
            with open(filename, "rb") as file:
                content = file.read()
        except (OSError, TypeError, ValueError):
            return rasa_read_config_file(filename, reader_type)  # Rasa says what is wrong
        key = (os.path.abspath(filename), content, tuple(reader_type) if isinstance(reader_type, list)
               else reader_type, tuple(sorted(os.environ.items())))
        if key not in parsed:
            result = rasa_read_config_file(filename, reader_type)
            if len(parsed) >= 16:
                parsed.clear()
            parsed[key] = result
        return copy.deepcopy(parsed[key])

    return read_config_file


def one_spacy_pipeline_per_model(rasa_load_model: Callable) -> Callable:
    """Replaces SpacyNLP.load_model (Rasa's is `rasa_load_model`): a spaCy pipeline already loaded
    from the same files is used again.

    A model's prediction graph has two SpacyNLP nodes ("provide" and "run"), and Rasa loads the
    pipeline for each: twice the time and the memory, for one pipeline that only the first is
    asked for. The pipeline is read-only once loaded. A pipeline folder that changed since
    (`make train` rebuilds models/spacy when the vocabulary changes) is loaded again."""
    import os

    loaded: dict[tuple, Any] = {}

    def load_model(spacy_model_name: str) -> Any:
        try:
            folder = os.stat(spacy_model_name)
            key: tuple = (os.path.realpath(spacy_model_name), folder.st_ino, folder.st_mtime_ns)
        except (OSError, TypeError, ValueError):
            key = (spacy_model_name,)  # an installed package, or no name (Rasa says what is wrong)
        if key not in loaded:
            model = rasa_load_model(spacy_model_name)
            loaded.clear()  # only the latest: an older pipeline is not kept alive here
            loaded[key] = model
        return loaded[key]

    return load_model


def graph_run_in_dask_order(rasa_run: Callable) -> Callable:
    """Replaces DaskGraphRunner.run (Rasa's is `rasa_run`): the same graph of the model's
    components, run in the order dask's synchronous scheduler runs it, without the scheduler.

    Each message runs the graph three times (NLU, then the policies twice). Each time Rasa
    computed the part of the graph the targets need, built dask's task graph from it, formatted
    a debug message holding the whole graph's schema (even with debug logging off) and had dask
    order and schedule a dozen tasks one after the other: ~0.4 ms of a 2.5 ms NLU run. Here the
    order is computed once per set of targets and inputs (with dask's own ``dask.order.order``),
    and each run calls the same nodes, in that order, with the same arguments."""
    import logging

    import dask.order
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import logger as rasa_logger

    def run(self: Any, inputs: dict | None = None, targets: list | None = None) -> dict:
        inputs = inputs or {}
        run_targets = targets if targets else self._graph_schema.target_names
        plans = self.__dict__.setdefault("_serving_plans", {})
        key = (tuple(run_targets), tuple(sorted(inputs)))
        if key not in plans:
            graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
            self._add_inputs_to_graph(inputs, graph)
            priority = dask.order.order(graph)
            # (an input's task holds this run's value: not kept, each run passes its own)
            plans[key] = [(name, None if name in inputs else graph[name])
                          for name in sorted(graph, key=priority.__getitem__)]
        plan = plans[key]
        for input_value in inputs.values():  # Rasa's check, on every run
            if isinstance(input_value, str) and any(input_value == name for name, _ in plan):
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure that none of the input "
                    f"names passed to the `run` method are the same as node names in the graph schema.")
        if rasa_logger.isEnabledFor(logging.DEBUG):
            rasa_logger.debug(f"Running graph with inputs: {inputs}, targets: {targets} "
                              f"and {self._execution_context}.")
        outputs: dict[str, Any] = {}
        try:
            for name, task in plan:
                if name in inputs:
                    outputs[name] = (name, inputs[name])
                else:
                    node, *needs = task
                    outputs[name] = node(*(outputs[need] for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(outputs[target] for target in run_targets)

    return run
