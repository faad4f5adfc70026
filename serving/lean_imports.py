"""What Rasa imports but serving never uses, kept out of the Rasa server: a leaner, faster start.

**TensorFlow** (about 430 MB resident and 2.5 s here). Rasa 3.6 imports it while it starts to
serve, whatever the pipeline, along three paths. This config uses no TensorFlow component, so
the launcher (`python -m serving run|shell`, serving/startup.py) cuts each path:

1. ``rasa.core.agent`` → policies → featurizers → ``rasa.nlu.extractors.extractor`` imports
   ``rasa.utils.train_utils``, which subclasses Keras classes as it is imported
   (``rasa/utils/tensorflow/callback.py``). The extractor only uses it inside functions that
   train or evaluate, so it is deferred (serving/deferred_import.py): loaded, with TensorFlow,
   the first time one of its names is used.
2. Loading a model reads its *training* graph's schema as well as its prediction graph's, and
   that imports every class the training graph names, among them
   ``DefaultV1RecipeValidator``, which imports DIET, TED and the CRF extractor, and so
   TensorFlow. Serving never runs the training graph: ``train_schema_on_demand`` reads it the
   first time it is used (serving/patches.py, 'train-schema-on-demand').
3. spaCy's ``thinc.compat`` imports TensorFlow, if it is installed, to offer it as a backend.
   spaCy's own pipelines (and this project's, models/spacy) never use that backend: thinc is told
   TensorFlow is not installed (its import of TensorFlow, and only its, fails). A thinc model
   wrapping TensorFlow would then fail with thinc's "TensorFlow not installed" error.

A config that does use TensorFlow (Rasa's default: DIET, TED) still works: its components
import TensorFlow as they always did when the model is loaded. The first import of TensorFlow
is logged (a warning) with the module that asked for it, so a path this module does not cut
shows up in `make run`'s output. tests/test_serving_lean_imports.py proves, on real servers,
that a served conversation with this config never maps TensorFlow's library, and that a model
with DIET still answers.

**The rest** (about 60 MB and a second, `DEFERRED_MODULES` and `HIDDEN_FROM` below): the server
imports Rasa's evaluation code (its HTTP API can run `rasa test`), and with it matplotlib; every
input channel Rasa has and their libraries (Telegram, Slack, Socket.IO, Webex...), because Rasa
looks channels up in a list of its own first; the reminders' scheduler; the AWS SDK for a
DynamoDB tracker store; thinc's h5py and scikit-learn's pytest, which they try for optional
features. Each is deferred or hidden the same way, and loaded if something uses it (a channel of
Rasa's named in credentials.yml, a reminder). serving/patches.py, 'channels-by-module-path', lets
a channel named by module path be imported without Rasa's list.

**skops** (the file format of Rasa's LogisticRegressionClassifier) is imported first, before Rasa,
and trusting that classifier only among scikit-learn's estimators. To name the types it trusts,
importing it imports every module of scikit-learn to list its estimators (~500 modules, 25 MB,
0.7 s) and looks up each of NumPy's and SciPy's functions in every module loaded so far: ~900
modules then instead of ~3,900, with pickle's ``whichmodule``, which formats an AttributeError
message (with the module's repr) for each module that lacks a name: ~0.4 s, until ``_whichmodule``
replaced it for that import (the same search, 0.1 s). The NumPy and SciPy names it finds are the same
(tests/test_serving_lean_imports.py compares them); a model file holding another estimator is
refused at start-up (serving/speedups.py checks the classifier was loaded).

If the deferral cannot be put in place (Rasa's agent or TensorFlow already imported, or a
module to defer missing from the installed Rasa), ``install`` raises DeferralImpossible and the
launcher does not start.
"""
import importlib
import importlib.abc
import importlib.machinery
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from serving import deferred_import
from serving.rasa_change import RasaChanged

logger = logging.getLogger(__name__)

# Modules the serving path imports and never uses: each is loaded the first time one of its names
# is used (serving/deferred_import.py).
DEFERRED_MODULES = {
    "rasa.utils.train_utils": "subclasses Keras classes as it is imported: TensorFlow",
    "rasa.utils.plotting": "the plots of `rasa test`: matplotlib",
    "rasa.core.channels": "imports every input channel Rasa has and their libraries (Telegram, Slack, Socket.IO, "
                          "Webex...); its own names come from rasa.core.channels.channel, imported alone",
    "rasa.core.channels.console": "the terminal channel's prompt libraries (`rasa shell` loads them)",
    "rasa.core.jobs": "the scheduler of reminders (APScheduler); loaded when a reminder is set",
    "boto3": "the AWS SDK's session and clients, for Rasa's DynamoDB tracker store (Rasa's tracker store module "
             "imports one of its submodules, which is imported alone)",
}
# Optional libraries a module tries to import for features serving never uses: that module's
# import of them fails as if they were not installed (and only that module's).
HIDDEN_FROM = {
    "thinc.compat": ("tensorflow", "h5py"),  # thinc's TensorFlow backend and its Keras weights
    "sklearn.utils._testing": ("pytest",),  # scikit-learn's test helpers (skops lists its estimators)
}
HIDDEN_LIBRARIES = {library for libraries in HIDDEN_FROM.values() for library in libraries}
# Imported before the deferral is installed, these would have brought what it keeps out.
MUST_NOT_BE_IMPORTED_YET = ("tensorflow", "rasa.core.agent", *DEFERRED_MODULES)
IMPORTED_FIRST = "skops.io"
# The scikit-learn estimators skops trusts by default (module, class): Rasa's intent classifier's.
SKOPS_ESTIMATORS = (("sklearn.linear_model", "LogisticRegression"),)
TENSORFLOW = "tensorflow"
# For tests only: the Rasa server writes the modules it loaded to this file (JSON) when it stops.
MODULES_REPORT = "SERVING_MODULES_REPORT"


class DeferralImpossible(RasaChanged):
    """What serving never uses cannot be kept out (the launcher stops)."""


class _Hidden(importlib.abc.MetaPathFinder):
    """Fails the imports HIDDEN_FROM lists, as if those libraries were not installed."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname.partition(".")[0] not in HIDDEN_LIBRARIES:
            return None  # (most imports: no need to look at who is importing)
        importer = _importer() or ""
        if fullname.partition(".")[0] in HIDDEN_FROM.get(importer, ()):
            raise ModuleNotFoundError(f"No module named {fullname!r} (hidden from {importer}: "
                                      f"serving/lean_imports.py)", name=fullname)
        return None


class _FirstImportLogged(importlib.abc.MetaPathFinder):
    """Logs the first import of TensorFlow, with the module that asked for it; imports nothing."""

    def __init__(self) -> None:
        self.importer: str | None = None

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == TENSORFLOW and self.importer is None and TENSORFLOW not in sys.modules:
            self.importer = _importer() or "?"
            logger.warning(f"TensorFlow is being imported (by {self.importer}): about 430 MB and 2.5 s. This "
                           f"config needs it only if one of its components uses it (DIET, TED...).")
        return None


def _importer() -> str | None:
    """The module whose code is importing (the first frame outside the import system)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.startswith(("importlib", "_frozen_importlib")) and name != __name__:
            return name
        frame = frame.f_back
    return None


def _on_deferred_load(name: str) -> None:
    ours = (deferred_import.__file__, __file__)
    caller = next((frame for frame in reversed(traceback.extract_stack()) if frame.filename not in ours), None)
    where = f"{caller.filename}:{caller.lineno}" if caller else "?"
    logger.info(f"Loading the deferred module {name} (first used at {where}).")


_installed: list[importlib.abc.MetaPathFinder] = []
first_import = _FirstImportLogged()


def install() -> None:
    """Puts the deferral in place and imports skops first (once). Raises DeferralImpossible if
    the deferral cannot work."""
    if _installed:
        return
    too_late = [name for name in MUST_NOT_BE_IMPORTED_YET if name in sys.modules]
    if too_late:
        raise DeferralImpossible(
            f"serving/lean_imports.py: {', '.join(too_late)} already imported before the deferral was "
            f"installed; the launcher must install it before anything imports Rasa's agent.")
    verify()
    _installed.append(deferred_import.defer(DEFERRED_MODULES, on_load=_on_deferred_load))
    _installed.append(_Hidden())
    _installed.append(first_import)
    sys.meta_path[1:1] = _installed[1:]
    _import_skops()
    if os.environ.get(MODULES_REPORT):
        _report_modules_at_stop(os.environ[MODULES_REPORT])


def _import_skops() -> None:
    """skops.io, trusting SKOPS_ESTIMATORS among scikit-learn's estimators (see the docstring)."""
    import sklearn.utils

    estimators = [(name, getattr(importlib.import_module(module), name)) for module, name in SKOPS_ESTIMATORS]
    all_estimators = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda type_filter=None: list(estimators)
    quicker = _QuickerTrustLists()
    sys.meta_path.insert(0, quicker)
    try:
        importlib.import_module(IMPORTED_FIRST)
    finally:
        sklearn.utils.all_estimators = all_estimators
        quicker.restore()
        sys.meta_path.remove(quicker)


class _QuickerTrustLists(importlib.abc.MetaPathFinder):
    """While skops.io is imported: as its trust lists' module is, skops' ``whichmodule`` is
    replaced by ``_whichmodule`` (the same answers); imports nothing."""

    def __init__(self) -> None:
        self.utils: Any = None

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        utils = sys.modules.get("skops.io._utils")
        if fullname == "skops.io._trusted_types" and utils is not None and self.utils is None:
            self.utils, self.whichmodule = utils, utils.whichmodule
            utils.whichmodule = _whichmodule
        return None

    def restore(self) -> None:
        if self.utils is not None:
            self.utils.whichmodule = self.whichmodule


_MISSING = object()


def _whichmodule(obj: Any, name: str) -> str:
    """skops' ``whichmodule`` (pickle's), with the same answer, without its cost: skops asks it
    the module of each of NumPy's and SciPy's functions (~350), and it tries every loaded module
    (~900), formatting an AttributeError (with the module's repr) for each one that lacks the
    name: ~0.35 s of the server's start. A lookup with a default does the same search."""
    module_name = getattr(obj, "__module__", None)
    if module_name is not None:
        return module_name
    for module_name, module in sys.modules.copy().items():
        if module_name in ("__main__", "__mp_main__") or module is None:
            continue
        found = module
        for part in name.split("."):
            found = _MISSING if part == "<locals>" else getattr(found, part, _MISSING)
            if found is _MISSING:
                break
        if found is obj:
            return module_name
    return "__main__"


def verify() -> None:
    """The modules to defer are installed, as Python source (serving/patches.py)."""
    for name in DEFERRED_MODULES:
        spec = deferred_import.find_spec_unimported(name)
        loader = deferred_import.real_loader(spec) if spec else None
        if not isinstance(loader, importlib.machinery.SourceFileLoader):
            raise DeferralImpossible(
                f"serving/patches.py, 'unused-imports-deferred': the module {name} was not found as Python "
                f"source; the installed Rasa or libraries differ from those this deferral was written for. Check "
                f"what the serving path imports (tests/test_serving_lean_imports.py) and update DEFERRED_MODULES "
                f"in serving/lean_imports.py.")


def channels_by_module_path(rasa_create_single_channel: Callable) -> Callable:
    """Replaces rasa.core.run._create_single_channel: a channel named by module path in
    credentials.yml (a dot in its name; Rasa's own channels' names have none) is imported by its
    path, as Rasa does after looking it up among its own channels, which imports them all."""
    from rasa.shared.utils.common import class_from_module_path

    def _create_single_channel(channel: str, credentials: Any) -> Any:
        if "." in channel:
            try:
                channel_class = class_from_module_path(channel)
            except (AttributeError, ImportError):
                return rasa_create_single_channel(channel, credentials)  # Rasa's own error
            return channel_class.from_credentials(credentials)
        return rasa_create_single_channel(channel, credentials)

    return _create_single_channel


def loaded_modules() -> list[str]:
    """The modules loaded in this process (deferred ones not yet used left out)."""
    return sorted(name for name, module in list(sys.modules.items())
                  if module is not None and not isinstance(module, deferred_import.DeferredModule))


def _report_modules_at_stop(path: str) -> None:
    """SERVING_MODULES_REPORT (tests): Rasa's plugin hook adds a listener that writes
    loaded_modules() to `path` when the server stops."""
    import json

    import pluggy
    from rasa.plugin import plugin_manager

    async def write_report(app: Any, loop: Any) -> None:
        with open(path, "w", encoding="utf-8") as report:
            json.dump(loaded_modules(), report)

    class ModulesReport:
        @pluggy.HookimplMarker("rasa")
        def configure_commandline(self, cmdline_arguments: Any) -> None:
            listeners = getattr(cmdline_arguments, "server_listeners", None) or []
            cmdline_arguments.server_listeners = [*listeners, (write_report, "after_server_stop")]

    if plugin_manager().get_plugin(MODULES_REPORT) is None:
        plugin_manager().register(ModulesReport(), name=MODULES_REPORT)


def train_schema_on_demand(rasa_from_dict: Callable) -> Callable:
    """Replaces ModelMetadata.from_dict (Rasa's is `rasa_from_dict`): the metadata as Rasa reads
    it, with the training graph's schema read the first time it is used."""
    from rasa.engine.graph import GraphSchema

    class TrainSchemaOnDemand(GraphSchema):
        """A GraphSchema whose nodes are read from the model's metadata when first used."""

        def __init__(self, serialized: dict) -> None:  # (GraphSchema's dataclass fields: nodes only)
            self._serialized = serialized
            self._nodes: dict | None = None

        @property
        def nodes(self) -> dict:
            if self._nodes is None:
                self._nodes = GraphSchema.from_dict(self._serialized).nodes
            return self._nodes

        @nodes.setter
        def nodes(self, nodes: dict) -> None:
            self._nodes = nodes

        def __eq__(self, other: object) -> bool:  # equal to Rasa's GraphSchema with the same nodes
            return isinstance(other, GraphSchema) and self.nodes == other.nodes

        __hash__ = None  # (as GraphSchema's: a dataclass with eq)

    def from_dict(serialized: dict) -> Any:
        metadata = rasa_from_dict({**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = TrainSchemaOnDemand(serialized["train_schema"])
        return metadata

    return from_dict
