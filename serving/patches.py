"""Every place where this project changes Rasa's behaviour: one list, CHANGES.

A **hook** uses an extension point Rasa offers (a class named by module path in endpoints.yml,
a plugin hook); nothing of Rasa's is replaced. A **patch** replaces a Rasa function at
start-up, where Rasa offers no hook. An **import** change alters when Python loads a module of
Rasa's or a library's (sys.meta_path), not what its code does. Each entry says what it changes and why, which test
proves it, and when it can go; docs/architecture.md ("Where we change Rasa's behaviour") is
this list, printed by `python -m serving changes`.

`python -m serving run|shell` calls apply(): it checks every entry first (the installed Rasa
is WRITTEN_FOR_RASA, and every Rasa function an entry replaces or plugs into has the signature
the entry was written against), and installs nothing unless all pass. A difference stops the
start with a message saying which entry, what changed, and what to check (serving/rasa_change.py).
"""

from rasa.core.lock_store import LOCK_LIFETIME

from serving import (
    action_connection,
    actions_in_process,
    applied_events,
    lean_imports,
    memory,
    model_reload,
    past_states,
    reliability,
    rule_index,
    spacy_docs,
    speedups,
)
from serving.rasa_change import Change, RasaChanged, Signature

# The Rasa of requirements.lock, whose code every entry below was checked against.
WRITTEN_FOR_RASA = "3.6.21"

CHANGES: list[Change] = [
    Change(
        name="unused-imports-deferred",
        kind="import",
        where="Python's import system (sys.meta_path): rasa.utils.train_utils, rasa.utils.plotting, "
              "rasa.core.channels (and .console), rasa.core.jobs, boto3; thinc.compat's and "
              "sklearn.utils._testing's optional imports; skops.io imported before Rasa",
        ours="serving.lean_imports.install (serving/startup.py installs it before anything imports Rasa)",
        what="Modules the serving path imports and never uses are loaded the first time one of their names is "
             "used (serving/deferred_import.py): TensorFlow, matplotlib, Rasa's other input channels, its "
             "reminders' scheduler and the AWS SDK stay out. thinc is told TensorFlow and h5py are not installed, "
             "scikit-learn's test helpers that pytest is not. The first import of TensorFlow is logged with who "
             "asked. skops.io is imported first, trusting Rasa's LogisticRegression among scikit-learn's "
             "estimators, and names the module of NumPy's and SciPy's functions by a lookup that formats no "
             "error for each module without the name. A component that uses TensorFlow (DIET, TED) still imports it.",
        why="Rasa's agent imports train_utils (policies → featurizers → extractor), which subclasses Keras classes "
            "as it is imported, and thinc imports TensorFlow to offer it as a backend: ~430 MB and ~2.5 s this "
            "config never uses; the rest ~40 MB and ~1 s. skops imported every scikit-learn module to list its "
            "estimators (25 MB, 0.7 s), then looked through ~3,900 modules: ~1 s; through ~900, ~0.4 s of "
            "AttributeError messages (each with a module's repr) that nothing reads.",
        tests=("tests/test_serving_lean_imports.py::test_a_served_conversation_never_loads_what_it_does_not_use",
               "tests/test_serving_lean_imports.py::test_a_model_with_diet_still_answers",
               "tests/test_serving_lean_imports.py::test_skops_trusts_the_same_types_but_only_rasas_classifier",
               "tests/test_serving_deferred_import.py::test_a_deferred_module_loads_when_a_name_is_used"),
        remove_when="`import rasa.core.agent` no longer imports TensorFlow and thinc no longer imports it unasked "
                    "(tests/test_serving_lean_imports.py::test_rasas_agent_still_imports_tensorflow then fails); "
                    "each module in serving/lean_imports.py when the serving path no longer imports it",
        relies_on=(),
        install=lean_imports.install,
        verify=lean_imports.verify,
    ),
    Change(
        name="channels-by-module-path",
        kind="patch",
        where="rasa.core.run._create_single_channel",
        ours="serving.lean_imports.channels_by_module_path",
        what="A channel named by module path in credentials.yml (channels.rest.ValidatedRestInput) is imported by "
             "its path, without Rasa's list of its own channels; Rasa's own names are looked up as before.",
        why="Looking a name up in that list imports every channel Rasa has and their libraries (Telegram, "
            "Slack, Socket.IO, Webex...): ~20 MB and ~0.5 s for channels this project does not use.",
        tests=("tests/test_serving_lean_imports.py::test_a_served_conversation_never_loads_what_it_does_not_use",
               "tests/test_serving_lean_imports.py::test_rasas_own_channel_names_still_work"),
        remove_when="rasa.core.channels no longer imports every channel, or the project uses a channel of Rasa's",
        relies_on=(
            Signature("rasa.core.run:_create_single_channel",
                      "(channel: str, credentials: Dict[str, Any]) -> Any"),
        ),
        replacement=lean_imports.channels_by_module_path,
    ),
    Change(
        name="train-schema-on-demand",
        kind="patch",
        where="rasa.engine.storage.storage.ModelMetadata.from_dict",
        ours="serving.lean_imports.train_schema_on_demand",
        what="A model's metadata is read as Rasa reads it, except its training graph's schema, which is read the "
             "first time it is used (serving never uses it).",
        why="Reading it imports every class the training graph names: DefaultV1RecipeValidator imports DIET, TED "
            "and the CRF extractor, and with them TensorFlow, whatever the config.",
        tests=("tests/test_serving_lean_imports.py::test_a_served_conversation_never_loads_what_it_does_not_use",
               "tests/test_serving_lean_imports.py::test_the_train_schema_read_on_demand_is_rasas"),
        remove_when="Loading a model for serving no longer reads its training graph's schema",
        relies_on=(
            Signature("rasa.engine.storage.storage:ModelMetadata.from_dict",
                      "(serialized: 'Dict[Text, Any]') -> 'ModelMetadata'"),
            Signature("rasa.engine.graph:GraphSchema.__init__", "(self, nodes: 'Dict[Text, SchemaNode]') -> None"),
            Signature("rasa.engine.graph:GraphSchema.from_dict",
                      "(serialized_graph_schema: 'Dict[Text, Any]') -> 'GraphSchema'"),
        ),
        replacement=lean_imports.train_schema_on_demand,
    ),
    Change(
        name="redis-ticket-lock-store",
        kind="hook",
        where="endpoints.yml `lock_store: type:` a class by module path",
        ours="serving.locks.RedisTicketLockStore (LOCK_STORE_TYPE)",
        what="Each change of a conversation's ticket queue is one Redis transaction (WATCH/MULTI/EXEC); "
             "a waiting message whose ticket expired queues again. Rasa's `type: redis` is refused at start-up.",
        why="Rasa's RedisLockStore reads, changes and writes a queue without a transaction (two replicas lose "
            "each other's tickets), and a message waiting behind a dead replica's ticket waits forever.",
        tests=("tests/test_serving_locks.py::test_tickets_issued_at_the_same_moment_by_two_replicas_are_all_kept",
               "tests/test_serving_locks.py::test_a_dead_replicas_turn_expires_and_the_waiting_message_goes_ahead",
               "tests/test_scale_out.py::test_a_replica_killed_under_load_loses_nothing"),
        remove_when="Rasa's RedisLockStore changes the queue atomically and re-queues an expired waiting ticket "
                    "(tests/test_serving_locks.py::test_rasas_own_lock_store_never_serves_that_message then fails)",
        relies_on=(
            Signature("rasa.core.lock_store:_load_from_module_name_in_endpoint_config",
                      "(endpoint_config: 'EndpointConfig') -> 'LockStore'"),
            Signature("rasa.core.lock_store:RedisLockStore.__init__",
                      "(self, host: 'Text' = 'localhost', port: 'int' = 6379, db: 'int' = 1, username: "
                      "'Optional[Text]' = None, password: 'Optional[Text]' = None, use_ssl: 'bool' = False, "
                      "ssl_certfile: 'Optional[Text]' = None, ssl_keyfile: 'Optional[Text]' = None, ssl_ca_certs: "
                      "'Optional[Text]' = None, key_prefix: 'Optional[Text]' = None, socket_timeout: 'float' = 10) "
                      "-> 'None'"),
            # (lock_lifetime's default is Rasa's LOCK_LIFETIME: TICKET_LOCK_LIFETIME, or 60)
            Signature("rasa.core.lock_store:LockStore.lock",
                      f"(self, conversation_id: 'Text', lock_lifetime: 'float' = {LOCK_LIFETIME}, "
                      "wait_time_in_seconds: 'float' = 1) -> 'AsyncGenerator[TicketLock, None]'"),
        ),
    ),
    Change(
        name="tuned-sql-tracker-store",
        kind="hook",
        where="endpoints.yml `tracker_store: type:` a class by module path",
        ours="serving.tracker_store.TunedSQLTrackerStore",
        what="Rasa's SQLTrackerStore (same tables and rows): SQLite in WAL mode with synchronous=NORMAL and "
             "pooled connections; PostgreSQL connections checked before use (pool_pre_ping); reads and writes in "
             "the store's own threads; a write appends what was added since the read, without counting again; "
             "SQLite's statements, compiled by SQLAlchemy once, run on one DB-API connection of its thread.",
        why="SQLite synced the disk on every message and opened a connection per query, in the event loop: "
            "~10 ms and ~40% of the throughput (issue #16). After a PostgreSQL restart the pool's dead "
            "connections failed the next visitors' messages.",
        tests=("tests/test_serving_tracker_store.py::test_the_sqlite_file_is_in_wal_mode",
               "tests/test_serving_tracker_store.py::test_conversations_read_back_as_rasas_store_reads_them",
               "tests/test_serving_tracker_store.py::test_sqlite_statements_are_run_as_sqlalchemy_would_run_them",
               "tests/test_serving_tracker_store.py::test_the_first_read_after_a_database_restart_is_answered",
               "tests/test_scale_out.py::test_postgres_briefly_down"),
        remove_when="Rasa's SQLTrackerStore sets WAL, pools SQLite connections, creates its engine with "
                    "pool_pre_ping and runs off the event loop (tests/test_serving_tracker_store.py"
                    "::test_rasas_own_store_fails_that_read then fails)",
        relies_on=(
            Signature("rasa.core.tracker_store:_load_from_module_name_in_endpoint_config",
                      "(domain: 'Domain', store: 'EndpointConfig', event_broker: 'Optional[EventBroker]' = None) "
                      "-> 'TrackerStore'"),
            Signature("rasa.core.tracker_store:SQLTrackerStore.__init__",
                      "(self, domain: 'Optional[Domain]' = None, dialect: 'Text' = 'sqlite', host: 'Optional[Text]' "
                      "= None, port: 'Optional[int]' = None, db: 'Text' = 'rasa.db', username: 'Text' = None, "
                      "password: 'Text' = None, event_broker: 'Optional[EventBroker]' = None, login_db: "
                      "'Optional[Text]' = None, query: 'Optional[Dict]' = None, **kwargs: 'Dict[Text, Any]') "
                      "-> 'None'"),
            Signature("rasa.core.tracker_store:create_engine_kwargs",
                      "(url: \"Union[Text, 'URL']\") -> 'Dict[Text, Any]'"),
            # (the query a read copies, and the lookup of events' classes it keeps)
            Signature("rasa.core.tracker_store:SQLTrackerStore._event_query",
                      "(self, session: \"'Session'\", sender_id: 'Text', fetch_events_from_all_sessions: 'bool') "
                      "-> \"'Query'\""),
            Signature("rasa.shared.core.events:Event.resolve_by_type",
                      "(type_name: str, default: Optional[Type[ForwardRef('Event')]] = None) "
                      "-> Optional[Type[ForwardRef('Event')]]"),
        ),
    ),
    Change(
        name="model-reload",
        kind="hook",
        where="Rasa's plugin hook `configure_commandline` → `serve_application(server_listeners=...)`",
        ours="serving.model_reload (MODEL_RELOAD_SECONDS)",
        what="Every MODEL_RELOAD_SECONDS the server looks at its --model file; a new model there is loaded "
             "with Rasa's Agent.load_model, and the next message is answered by it.",
        why="After `make train` the running assistant kept answering with the old model until restarted.",
        tests=("tests/test_model_reload.py::test_a_retrained_model_reaches_the_running_assistant",
               "tests/test_scale_out.py::test_a_new_model_reaches_every_replica"),
        remove_when="Rasa reloads a changed --model file by itself",
        relies_on=(
            Signature("rasa.plugin:configure_commandline",
                      "(cmdline_arguments: argparse.Namespace) -> Optional[str]"),
            Signature("rasa.core.run:serve_application", "server_listeners: Optional[List[Tuple[Callable, str]]] "
                      "= None", parameter="server_listeners"),
            Signature("rasa.core.agent:Agent.load_model",
                      "(self, model_path: 'Union[Text, Path]', fingerprint: 'Optional[Text]' = None) -> 'None'"),
        ),
        install=model_reload.install,
    ),
    Change(
        name="memory-released-after-loading",
        kind="hook",
        where="Rasa's plugin hook `configure_commandline` → `serve_application(server_listeners=...)`",
        ours="serving.memory",
        what="Once the model is loaded (and after each new model) the server collects garbage and returns the "
             "allocator's free pages to the system (glibc's malloc_trim).",
        why="Loading a model allocates more than it keeps, and glibc kept the freed pages: ~10 MB resident.",
        tests=("tests/test_serving_memory.py::test_rasas_plugin_hook_adds_the_release_to_rasa_run",
               "tests/test_serving_memory.py::test_freed_memory_goes_back_to_the_system"),
        remove_when="Rasa or Python returns freed memory after loading a model by itself",
        relies_on=(
            Signature("rasa.plugin:configure_commandline",
                      "(cmdline_arguments: argparse.Namespace) -> Optional[str]"),
            Signature("rasa.core.run:serve_application", "server_listeners: Optional[List[Tuple[Callable, str]]] "
                      "= None", parameter="server_listeners"),
        ),
        install=memory.install,
    ),
    Change(
        name="action-server-connections-kept",
        kind="hook",
        where="Rasa's plugin hook `configure_commandline` → `serve_application(server_listeners=...)`",
        ours="serving.action_connection (KeptAliveEndpointConfig)",
        what="Once the model is loaded, the agent's action endpoint is Rasa's EndpointConfig whose sessions share "
             "one pool of connections that outlives them: consecutive custom actions reuse a connection. One "
             "idle for 2 s is closed rather than reused, well inside the action server's keep-alive (15 s, "
             "serving/actions.py); one the server closed is not reused.",
        why="Rasa opened a session, and a TCP connection, for every custom action and closed it afterwards: "
            "~0.4 ms of a ~2.5 ms round trip (bench/breakdown.py). A kept connection must not race the action "
            "server closing it, hence the shorter idle time.",
        tests=("tests/test_serving_action_connection.py::test_consecutive_actions_share_one_connection",
               "tests/test_serving_action_connection.py::test_an_action_server_restart_costs_no_answer",
               "tests/test_serving_reliability.py::test_action_server_down_slow_and_back"),
        remove_when="Rasa's EndpointConfig keeps one session (and its connections) per endpoint",
        relies_on=(
            Signature("rasa.plugin:configure_commandline",
                      "(cmdline_arguments: argparse.Namespace) -> Optional[str]"),
            Signature("rasa.core.run:serve_application", "server_listeners: Optional[List[Tuple[Callable, str]]] "
                      "= None", parameter="server_listeners"),
            Signature("rasa.utils.endpoints:EndpointConfig.session", "(self) -> aiohttp.client.ClientSession"),
            Signature("rasa.utils.endpoints:EndpointConfig.request",
                      "(self, method: str = 'post', subpath: Optional[str] = None, content_type: Optional[str] = "
                      "'application/json', compress: bool = False, **kwargs: Any) -> Optional[Any]"),
            Signature("rasa.core.agent:Agent.load_model",
                      "(self, model_path: 'Union[Text, Path]', fingerprint: 'Optional[Text]' = None) -> 'None'"),
        ),
        install=action_connection.install,
    ),
    Change(
        name="response-validation",
        kind="patch",
        where="rasa.core.actions.action.RemoteAction._validate_action_result",
        ours="serving.speedups.validating_with_a_compiled_schema",
        what="Validates each action-server response against Rasa's schema with validators compiled once: each "
             "event against its own type's part of the schema; a response that fails that goes through the whole "
             "schema. Same verdicts, same error.",
        why="jsonschema.validate() re-checked Rasa's large schema against the meta-schema on every response: "
            "~19 of ~29 ms per message (bench/breakdown.py). Then each event was checked against all 23 event "
            "types' parts (oneOf): ~0.6 ms an event.",
        tests=("tests/test_serving_speedups.py::test_same_verdict_as_rasas_own_validation",
               "tests/test_serving_speedups.py::test_a_response_passed_by_its_events_types_is_one_the_whole_schema_passes"),
        remove_when="RemoteAction._validate_action_result no longer calls jsonschema.validate() per response",
        relies_on=(
            Signature("rasa.core.actions.action:RemoteAction._validate_action_result",
                      "(self, result: Dict[str, Any]) -> bool"),
        ),
        replacement=speedups.validating_with_a_compiled_schema,
    ),
    Change(
        name="intent-classifier-layout",
        kind="patch",
        where="rasa.nlu.classifiers.logistic_regression_classifier.LogisticRegressionClassifier.load",
        ours="serving.speedups.coefficients_laid_out_for_prediction",
        what="The loaded classifier's coefficient matrix is stored column by column (numpy.asfortranarray): "
             "the same numbers, the same probabilities, bit for bit. A classifier Rasa could not read (it answers "
             "with an untrained one) stops the start.",
        why="scikit-learn scores a message as X @ coef_.T, and SciPy copied coef_.T (36 intents x 38,912 "
            "n-grams, 11 MB) into row order for every message: 2-12 ms of a message (bench/breakdown.py, NLU).",
        tests=("tests/test_serving_speedups.py::test_the_intent_classifier_gives_the_same_probabilities",
               "tests/test_serving_lean_imports.py::test_a_classifier_file_skops_does_not_trust_stops_the_start"),
        remove_when="LogisticRegressionClassifier is replaced by a component in config.yml that stores its "
                    "coefficients so, or SciPy multiplies by a transposed matrix without copying it",
        relies_on=(
            Signature("rasa.nlu.classifiers.logistic_regression_classifier:LogisticRegressionClassifier.load",
                      "(config: Dict[str, Any], model_storage: rasa.engine.storage.storage.ModelStorage, resource: "
                      "rasa.engine.storage.resource.Resource, execution_context: rasa.engine.graph.ExecutionContext, "
                      "**kwargs: Any) -> 'LogisticRegressionClassifier'"),
        ),
        replacement=speedups.coefficients_laid_out_for_prediction,
    ),
    Change(
        name="intent-classifier-features-joined",
        kind="patch",
        where="rasa.nlu.classifiers.logistic_regression_classifier.LogisticRegressionClassifier._create_X",
        ours="serving.speedups.sentence_features_joined_directly",
        what="A message's sentence features (the two count-vector featurizers', one row each) are put side by side "
             "as one CSR row, as float64 (columns out of order or twice: one COO matrix converted by SciPy): the "
             "matrix Rasa builds, array for array, so the same probabilities. Several messages, or dense "
             "features, go through Rasa's code.",
        why="Rasa built it with five SciPy constructions, deep-copying and joining the unused sequence features "
            "on the way: ~0.5 ms of a message's ~2.5 ms NLU (bench/breakdown.py).",
        tests=("tests/test_serving_speedups.py::test_the_intent_classifier_reads_the_same_features",
               "tests/test_serving_speedups.py::test_the_classifiers_matrix_from_columns_in_any_order_is_rasas"),
        remove_when="LogisticRegressionClassifier joins only the sentence features it uses, once",
        relies_on=(
            Signature("rasa.nlu.classifiers.logistic_regression_classifier:LogisticRegressionClassifier._create_X",
                      "(self, messages: List[rasa.shared.nlu.training_data.message.Message]) "
                      "-> scipy.sparse._csr.csr_matrix"),
            Signature("rasa.shared.nlu.training_data.message:Message.get_sparse_features",
                      "(self, attribute: str, featurizers: Optional[List[str]] = None) -> "
                      "Tuple[Optional[ForwardRef('Features')], Optional[ForwardRef('Features')]]"),
        ),
        replacement=speedups.sentence_features_joined_directly,
    ),
    Change(
        name="intent-ranking-without-revalidation",
        kind="patch",
        where="rasa.nlu.classifiers.logistic_regression_classifier.LogisticRegressionClassifier.process",
        ours="serving.speedups.ranking_without_revalidation",
        what="For a matrix scikit-learn's checks would pass as it is (CSR, float64, finite, the classifier's width), "
             "the probabilities are scikit-learn's multinomial predict_proba without the checks (its safe_sparse_dot, "
             "intercepts, its softmax), and the ranking is the same stable order by confidence (NumPy's stable "
             "argsort), the same values and types, the intent being the ranking's first entry. Anything else: Rasa's.",
        why="predict_proba checked the matrix again, and Rasa built and sorted a dict for each of the 36 intents with "
            "NumPy scalars as keys to keep ten: ~0.05 ms of a message's NLU, 9% of the server's main thread under "
            "16 visitors (py-spy).",
        tests=("tests/test_serving_speedups.py::test_the_intent_ranking_is_rasas_bit_for_bit",),
        remove_when="LogisticRegressionClassifier.process no longer revalidates and sorts dicts",
        relies_on=(
            Signature("rasa.nlu.classifiers.logistic_regression_classifier:LogisticRegressionClassifier.process",
                      "(self, messages: List[rasa.shared.nlu.training_data.message.Message]) -> "
                      "List[rasa.shared.nlu.training_data.message.Message]"),
            Signature("sklearn.linear_model._logistic:LogisticRegression.predict_proba", "(self, X)"),
            Signature("sklearn.linear_model._base:LinearClassifierMixin.decision_function", "(self, X)"),
            Signature("sklearn.utils.extmath:softmax", "(X, copy=True)"),
        ),
        replacement=speedups.ranking_without_revalidation,
    ),
    Change(
        name="domain-emptiness-checked-once",
        kind="patch",
        where="rasa.shared.core.domain.Domain.is_empty",
        ours="serving.speedups.emptiness_compared_with_one_empty_domain",
        what="Whether the domain is empty is answered as Rasa answers it (its contents compared with an empty "
             "domain's), against an empty domain's contents built once at start-up.",
        why="Rasa's processor asks on every message (before warning about unknown intents), and Rasa built a new "
            "empty Domain from a dict for each answer: ~0.1 ms a message.",
        tests=("tests/test_serving_speedups.py::test_the_same_verdict_on_empty_domains",),
        remove_when="Domain.is_empty no longer builds an empty Domain per call",
        relies_on=(
            Signature("rasa.shared.core.domain:Domain.is_empty", "(self) -> bool"),
            Signature("rasa.shared.core.domain:Domain.empty", "() -> 'Domain'"),
            Signature("rasa.shared.core.domain:Domain.as_dict", "(self) -> Dict[str, Any]"),
        ),
        replacement=speedups.emptiness_compared_with_one_empty_domain,
    ),
    Change(
        name="config-files-parsed-once",
        kind="patch",
        where="rasa.shared.utils.io.read_config_file",
        ours="serving.speedups.config_files_parsed_once",
        what="A configuration file (endpoints.yml, credentials.yml) whose bytes and environment variables are "
             "those of an earlier read is not parsed and validated again: each caller gets a copy of what Rasa's "
             "function returned. A file that cannot be read or fails Rasa's check raises each time.",
        why="Starting the server read endpoints.yml 21 times (each of its 7 sections, three times: the launcher's "
            "store check, `rasa run`, Rasa's API setup), parsing the YAML and validating it against Rasa's "
            "schema each time: ~0.2 s of a ~2.6 s start.",
        tests=("tests/test_serving_speedups.py::test_a_config_file_read_again_gives_what_rasa_gives",),
        remove_when="Rasa reads endpoints.yml once per start (AvailableEndpoints.read_endpoints parses it per "
                    "section)",
        relies_on=(
            Signature("rasa.shared.utils.io:read_config_file",
                      "(filename: Union[pathlib.Path, str], reader_type: Union[str, List[str]] = 'safe') "
                      "-> Dict[str, Any]"),
            Signature("rasa.utils.endpoints:read_endpoint_config",
                      "(filename: str, endpoint_type: str) -> Optional[ForwardRef('EndpointConfig')]"),
        ),
        replacement=speedups.config_files_parsed_once,
    ),
    Change(
        name="graph-run-in-dask-order",
        kind="patch",
        where="rasa.engine.runner.dask.DaskGraphRunner.run",
        ours="serving.speedups.graph_run_in_dask_order",
        what="The model's graph runs the same nodes with the same arguments in the order dask's synchronous "
             "scheduler runs them (computed once with dask.order.order), without the scheduler itself.",
        why="Each message runs the graph three times; each time Rasa rebuilt the task graph, formatted a debug "
            "message holding the whole schema (debug logging off) and had dask schedule a dozen tasks one by "
            "one: ~0.4 ms of a 2.5 ms NLU run (bench/breakdown.py).",
        tests=("tests/test_serving_speedups.py::test_the_graph_runs_to_the_same_results",),
        remove_when="Rasa's graph runner no longer rebuilds and schedules the graph on every run",
        relies_on=(
            Signature("rasa.engine.runner.dask:DaskGraphRunner.run",
                      "(self, inputs: 'Optional[Dict[Text, Any]]' = None, targets: 'Optional[List[Text]]' = None) "
                      "-> 'Dict[Text, Any]'"),
            Signature("rasa.engine.runner.dask:DaskGraphRunner._build_dask_graph",
                      "(self, schema: 'GraphSchema') -> 'Dict[Text, Any]'"),
            Signature("rasa.engine.runner.dask:DaskGraphRunner._add_inputs_to_graph",
                      "(inputs: 'Optional[Dict[Text, Any]]', graph: 'Any') -> 'None'"),
            Signature("rasa.engine.graph:GraphSchema.minimal_graph_schema",
                      "(self, targets: 'Optional[List[Text]]' = None) -> 'GraphSchema'"),
            Signature("dask.order:order", "(dsk, dependencies=None)"),
        ),
        replacement=speedups.graph_run_in_dask_order,
    ),
    Change(
        name="rules-checked-by-index",
        kind="patch",
        where="rasa.core.policies.rule_policy.RulePolicy._get_possible_keys",
        ours="serving.rule_index.rules_checked_by_index",
        what="RulePolicy checks, with its own _is_rule_applicable, only the rules whose last turn has the "
             "conversation's current previous action and intent (an index built once per model), and those the "
             "index cannot sort; the rules it leaves out are rules Rasa's check of the current turn rejects, so "
             "the same rules fit and the same action is predicted.",
        why="Rasa checked each of the ~185 rules turn by turn, twice per prediction (text, then intent), at "
            "least two predictions a message: about 600 rule checks, half of the policies' time "
            "(bench/breakdown.py, policies).",
        tests=("tests/test_serving_rule_index.py::test_the_same_predictions_as_rasas_rule_policy",
               "tests/test_serving_rule_index.py::test_the_rules_left_unchecked_are_rules_that_do_not_fit"),
        remove_when="RulePolicy no longer checks every rule for every prediction",
        relies_on=(
            Signature("rasa.core.policies.rule_policy:RulePolicy._get_possible_keys",
                      "(self, lookup: 'Dict[Text, Text]', states: 'List[State]') -> 'Set[Text]'"),
            Signature("rasa.core.policies.rule_policy:RulePolicy._is_rule_applicable",
                      "(self, rule_key: 'Text', turn_index: 'int', conversation_state: 'State') -> 'bool'"),
            Signature("rasa.core.policies.rule_policy:RulePolicy._does_rule_match_state",
                      "(rule_state: 'State', conversation_state: 'State') -> 'bool'"),
        ),
        replacement=rule_index.rules_checked_by_index,
    ),
    Change(
        name="applied-events-by-class",
        kind="patch",
        where="rasa.shared.core.trackers.DialogueStateTracker.applied_events",
        ours="serving.applied_events.by_class",
        what="The applied events (after the last restart or session start, without what was rewound or undone, "
             "without a loop's replaced executions) found by Rasa's loop, in Rasa's order, with Rasa's helpers; each "
             "event's kind (which of the six Event classes the loop asks about it is) looked up by its class, found "
             "once with issubclass.",
        why="Rasa asked each event six isinstance questions through ABCMeta (Event is abstract), ~4 times a "
            "message (the policies' states, the session check, each custom action's copy): ~0.05 ms a call for a "
            "10-message conversation.",
        tests=("tests/test_serving_applied_events.py::test_the_same_applied_events_as_rasa",),
        remove_when="DialogueStateTracker.applied_events no longer asks isinstance of every event",
        relies_on=(
            Signature("rasa.shared.core.trackers:DialogueStateTracker.applied_events",
                      "(self) -> List[rasa.shared.core.events.Event]"),
            Signature("rasa.shared.core.trackers:DialogueStateTracker._undo_till_previous",
                      "(event_type: Type[rasa.shared.core.events.Event], done_events: "
                      "List[rasa.shared.core.events.Event]) -> None"),
            Signature("rasa.shared.core.trackers:DialogueStateTracker._first_loop_execution_or_unhappy_path",
                      "(self, loop_action_name: str, applied_events: List[rasa.shared.core.events.Event]) -> bool"),
            Signature("rasa.shared.core.trackers:DialogueStateTracker._undo_till_previous_loop_execution",
                      "(loop_action_name: str, done_events: List[rasa.shared.core.events.Event]) -> None"),
        ),
        replacement=applied_events.by_class,
    ),
    Change(
        name="past-states-extended",
        kind="patch",
        where="rasa.shared.core.domain.Domain.states_for_tracker_history",
        ours="serving.past_states.states_extended",
        what="A tracker keeps the states its last look-up computed (the applied events, their states, the replayed "
             "tracker); when its applied events still begin with those event objects, only the events added since "
             "are replayed, with Rasa's own functions and in Rasa's order: the same states. Each caller gets its own "
             "copy. Anything else (a rewind, a restart, a new session, rule-only turns left out, another tracker "
             "class) is Rasa's own.",
        why="RulePolicy asks for the conversation's states ~3 times a message, on the same tracker with a few "
            "events added, and Rasa replayed every event of the session each time: ~0.5 ms of the policies' "
            "~0.75 ms a message (bench/breakdown.py).",
        tests=("tests/test_serving_past_states.py::test_the_same_states_as_rasa_turn_by_turn",
               "tests/test_serving_past_states.py::test_the_same_predictions_as_rasa_on_the_stories",
               "tests/test_serving_past_states.py::test_a_rewound_or_restarted_conversation_is_rebuilt"),
        remove_when="Rasa no longer replays the whole conversation for each prediction",
        relies_on=(
            Signature("rasa.shared.core.domain:Domain.states_for_tracker_history",
                      "(self, tracker: 'DialogueStateTracker', omit_unset_slots: bool = False, ignore_rule_only_turns: "
                      "bool = False, rule_only_data: Optional[Dict[str, Any]] = None) -> List[Dict[str, "
                      "MutableMapping[str, Union[str, Tuple[Union[float, str], ...]]]]]"),
            # (the loop it continues: generate_all_prior_trackers's, and what each turn reads)
            Signature("rasa.shared.core.trackers:DialogueStateTracker.generate_all_prior_trackers",
                      "(self) -> Generator[Tuple[ForwardRef('DialogueStateTracker'), bool], NoneType, NoneType]"),
            Signature("rasa.shared.core.trackers:DialogueStateTracker.applied_events",
                      "(self) -> List[rasa.shared.core.events.Event]"),
            Signature("rasa.shared.core.trackers:DialogueStateTracker.init_copy", "(self) -> 'DialogueStateTracker'"),
            Signature("rasa.shared.core.domain:Domain.get_active_state",
                      "(self, tracker: 'DialogueStateTracker', omit_unset_slots: bool = False) -> Dict[str, "
                      "MutableMapping[str, Union[str, Tuple[Union[float, str], ...]]]]"),
        ),
        replacement=past_states.states_extended,
    ),
    Change(
        name="spacy-pipeline-loaded-once",
        kind="patch",
        where="rasa.nlu.utils.spacy_utils.SpacyNLP.load_model",
        ours="serving.speedups.one_spacy_pipeline_per_model",
        what="A spaCy pipeline already loaded from the same, unchanged files is used again.",
        why="The prediction graph has two SpacyNLP nodes and Rasa loaded the pipeline for each: twice the "
            "start-up time and memory for one pipeline.",
        tests=("tests/test_serving_speedups.py::test_the_spacy_pipeline_is_loaded_once_and_parses_the_same",),
        remove_when="Rasa loads one pipeline for a model's SpacyNLP nodes",
        relies_on=(
            Signature("rasa.nlu.utils.spacy_utils:SpacyNLP.load_model",
                      "(spacy_model_name: 'Text') -> 'SpacyModel'"),
        ),
        replacement=speedups.one_spacy_pipeline_per_model,
    ),
    Change(
        name="spacy-docs-readers-noted",
        kind="patch",
        where="rasa.nlu.utils.spacy_utils.SpacyNLP.create",
        ours="serving.spacy_docs.readers_noted",
        what="The SpacyNLP component Rasa creates notes whether its model's graph has a component that reads "
             "spaCy's parse of a message (SpacyTokenizer, SpacyFeaturizer, or a subclass), for "
             "'spacy-docs-only-when-read'.",
        why="A component does not see the graph it runs in; Rasa hands the graph to create() only.",
        tests=("tests/test_serving_spacy_docs.py::test_the_graphs_readers_are_noted",),
        remove_when="'spacy-docs-only-when-read' goes",
        relies_on=(
            Signature("rasa.nlu.utils.spacy_utils:SpacyNLP.create",
                      "(config: 'Dict[Text, Any]', model_storage: 'ModelStorage', resource: 'Resource', "
                      "execution_context: 'ExecutionContext') -> 'SpacyNLP'"),
        ),
        replacement=spacy_docs.readers_noted,
    ),
    Change(
        name="spacy-docs-only-when-read",
        kind="patch",
        where="rasa.nlu.utils.spacy_utils.SpacyNLP.process",
        ours="serving.spacy_docs.parsed_only_when_read",
        what="SpacyNLP parses a message's text for the message only when a component of the model reads the parse "
             "('spacy-docs-readers-noted'); otherwise the message is left as it is. The spaCy pipeline is still "
             "loaded and given to SpacyEntityExtractor, which parses the text in its original case.",
        why="Only SpacyTokenizer and SpacyFeaturizer read the parse, and this pipeline has neither "
            "(WhitespaceTokenizer, count vectors): a parse made and never read, ~0.25 ms of a message's NLU "
            "(bench/breakdown.py).",
        tests=("tests/test_serving_spacy_docs.py::test_the_same_nlu_results_without_the_unread_parse",
               "tests/test_serving_spacy_docs.py::test_the_graphs_readers_are_noted"),
        remove_when="Rasa's SpacyNLP parses only for a component that reads the parse, or config.yml's pipeline "
                    "has a SpacyTokenizer or SpacyFeaturizer (then this changes nothing)",
        relies_on=(
            Signature("rasa.nlu.utils.spacy_utils:SpacyNLP.process",
                      "(self, messages: 'List[Message]', model: 'SpacyModel') -> 'List[Message]'"),
        ),
        replacement=spacy_docs.parsed_only_when_read,
    ),
    Change(
        name="action-timeout-and-apology",
        kind="patch",
        where="rasa.core.actions.action.RemoteAction.run",
        ours="serving.reliability.with_timeout_and_apology",
        what="A custom action gets action_endpoint.timeout seconds (ACTION_TIMEOUT); if it fails the visitor "
             "gets utter_technical_problem, once per message, and a form's unchecked answer is cleared.",
        why="Rasa waits up to 300 s for the action server, then drops the action's events: "
            "the visitor waits, then gets no answer.",
        tests=("tests/test_serving_reliability.py::test_action_server_down_slow_and_back",
               "tests/test_serving_reliability.py::test_action_server_failing_during_the_consultation_form"),
        remove_when="Rasa honours a per-endpoint action timeout and answers something when an action fails",
        relies_on=(
            Signature("rasa.core.actions.action:RemoteAction.run",
                      "(self, output_channel: 'OutputChannel', nlg: 'NaturalLanguageGenerator', tracker: "
                      "'DialogueStateTracker', domain: 'Domain') -> List[rasa.shared.core.events.Event]"),
        ),
        replacement=reliability.with_timeout_and_apology,
    ),
    Change(
        name="actions-in-process",
        kind="hook",
        where="Rasa's plugin hook `configure_commandline` → `serve_application(server_listeners=...)`; "
              "RemoteAction's action endpoint (`EndpointConfig.request`)",
        ours="serving.actions_in_process (InProcessEndpointConfig; ACTIONS_IN_PROCESS=1, the embedded mode)",
        what="With ACTIONS_IN_PROCESS=1 (make run), the custom actions run inside the Rasa server: the action "
             "endpoint's request() hands the action call to rasa_sdk's ActionExecutor, loaded with the actions "
             "package at start-up, and returns its reply; both cross as JSON, as over HTTP. Rasa's RemoteAction "
             "still checks the reply, makes its events and handles errors (a failing action: a 500, so the "
             "apology of action-timeout-and-apology). The retention purge runs in this server. Unset "
             "(deploy/), the action server is called as before.",
        why="A custom action's round trip to the action server took ~2.1 ms of a ~7.3 ms message, of which "
            "rasa_sdk's executor and our actions ~0.02 ms: the rest was HTTP and JSON on both sides. The action "
            "server was a second process (~55 MB resident) starting at the same time on 2 cores.",
        tests=("tests/test_serving_actions_in_process.py::test_answers_and_the_form_with_the_actions_in_process",
               "tests/test_serving_actions_in_process.py::test_an_action_that_raises_gets_the_apology_and_a_clean_log",
               "tests/test_serving_actions_in_process.py::test_the_retention_purge_runs_in_the_rasa_server",
               "tests/test_run_script.py::test_make_run_starts_no_action_server"),
        remove_when="Rasa runs custom actions in its own process (Rasa 3.10's `action_endpoint: actions_module`)",
        relies_on=(
            Signature("rasa.plugin:configure_commandline",
                      "(cmdline_arguments: argparse.Namespace) -> Optional[str]"),
            Signature("rasa.core.run:serve_application", "server_listeners: Optional[List[Tuple[Callable, str]]] "
                      "= None", parameter="server_listeners"),
            Signature("rasa.utils.endpoints:EndpointConfig.request",
                      "(self, method: str = 'post', subpath: Optional[str] = None, content_type: Optional[str] = "
                      "'application/json', compress: bool = False, **kwargs: Any) -> Optional[Any]"),
            Signature("rasa.utils.endpoints:ClientResponseError.__init__",
                      "(self, status: int, message: str, text: str) -> None"),
            Signature("rasa.core.actions.action:RemoteAction.run",
                      "(self, output_channel: 'OutputChannel', nlg: 'NaturalLanguageGenerator', tracker: "
                      "'DialogueStateTracker', domain: 'Domain') -> List[rasa.shared.core.events.Event]"),
            Signature("rasa_sdk.executor:ActionExecutor.run",
                      "(self, action_call: 'ActionCall') -> Optional[Dict[str, Any]]"),
            Signature("rasa.core.agent:Agent.load_model",
                      "(self, model_path: 'Union[Text, Path]', fingerprint: 'Optional[Text]' = None) -> 'None'"),
        ),
        install=actions_in_process.install,
    ),
    Change(
        name="tracker-store-errors-propagate",
        kind="patch",
        where="rasa.core.agent.Agent._create_tracker_store",
        ours="serving.reliability.without_memory_fallback",
        what="The configured tracker store is used as it is, not wrapped in FailSafeTrackerStore: its errors "
             "reach the channels, which answer 503 \"please try again\" (channels/guard.py).",
        why="The fail-safe answers a failed read with a new, empty conversation and keeps a failed write in one "
            "process's memory: conversations silently restart, split between replicas, and are lost.",
        tests=("tests/test_scale_out.py::test_postgres_briefly_down",
               "tests/test_scale_out.py::test_redis_briefly_down"),
        remove_when="Agent lets the fail-safe be switched off (it has no setting in 3.6)",
        relies_on=(
            Signature("rasa.core.agent:Agent._create_tracker_store",
                      "(store: 'Optional[TrackerStore]', domain: 'Domain') -> 'TrackerStore'"),
        ),
        replacement=reliability.without_memory_fallback,
    ),
]


def check_all(changes: list[Change] | None = None, rasa_version: str | None = None) -> None:
    """Raises RasaChanged for the first entry that does not fit the installed Rasa."""
    import rasa

    for change in CHANGES if changes is None else changes:
        change.check(rasa_version or rasa.__version__, WRITTEN_FOR_RASA)


def apply(changes: list[Change] | None = None) -> None:
    """Checks every entry, then installs them: nothing is installed unless all fit."""
    changes = CHANGES if changes is None else changes
    check_all(changes)
    for change in changes:
        change.apply()


def undo(changes: list[Change] | None = None) -> None:
    for change in CHANGES if changes is None else changes:
        change.undo()


def by_name(name: str) -> Change:
    return next(change for change in CHANGES if change.name == name)


def table(changes: list[Change] | None = None) -> str:
    """The list as a Markdown table (docs/architecture.md)."""
    rows = ["| change | kind | where → ours | what | why | proved by | remove when |",
            "|---|---|---|---|---|---|---|"]
    for change in CHANGES if changes is None else changes:
        cells = [f"**{change.name}**", change.kind, f"{change.where} → `{change.ours}`", change.what, change.why,
                 "<br>".join(change.tests), change.remove_when]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


__all__ = ["CHANGES", "RasaChanged", "WRITTEN_FOR_RASA", "apply", "by_name", "check_all", "table", "undo"]
