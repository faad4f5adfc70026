"""A new model reaches the running assistant: `make train`, and within MODEL_RELOAD_SECONDS
the Rasa server answers with it. No restart, and no conversation is dropped: conversations
live in the tracker store, not in the model.

Every MODEL_RELOAD_SECONDS (default 10; 0 turns it off) the server looks at the file its
``--model`` names (or the newest model in that folder, as Rasa picks it). When the file
changed and holds a model other than the one being served (each `rasa train` gives its model
a new id: the file being touched, or the same model copied again, loads nothing), the server
loads it with Rasa's own ``Agent.load_model``, as Rasa's model server does, and the next
message is answered by the new model. A message being processed finishes with the old one.

`rasa train` writes the archive in place, so a file is read only once it has been still
for QUIET_SECONDS. A file that cannot be read or loaded (half written, not a model) is
logged, the current model stays, and the file is tried again when it changes.

Installed through Rasa's hooks, not a patch: Rasa's plugin hook ``configure_commandline``
(rasa/__main__.py) adds a server listener to the command's arguments, which `rasa run`
passes to ``serve_application(server_listeners=...)``.

Why not Rasa's model server (endpoints.yml ``models:``)? With it configured, Rasa ignores
``--model`` and takes its first model from the URL before the server starts; if that server
is not answering yet, Rasa starts with no model at all until the next pull, and it could not
be switched off by a variable (tests and deployments that run Rasa without it).
"""
import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pluggy

from serving import memory

logger = logging.getLogger(__name__)

SETTING = "MODEL_RELOAD_SECONDS"
DEFAULT_SECONDS = 10.0
QUIET_SECONDS = 2.0
PLUGIN_NAME = "serving.model_reload"
hookimpl = pluggy.HookimplMarker("rasa")


def reload_seconds(environ: Mapping[str, str]) -> float:
    """MODEL_RELOAD_SECONDS: how often to look for a new model (0: never)."""
    value = (environ.get(SETTING) or "").strip()
    if not value:
        return DEFAULT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise ValueError(f"{SETTING} must be a number of seconds (0 turns reloading off), not {value!r}")
    return seconds


def model_id_of(path: Path) -> str:
    """The id `rasa train` gave the model in this archive (it reads the archive's metadata)."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    return LocalModelStorage.metadata_from_archive(path).model_id


class ModelWatcher:
    """Loads the model at `model_path` into the agent when it holds a new model."""

    def __init__(self, model_path: str, agent: Callable[[], Any]) -> None:
        self.model_path = model_path
        self.agent = agent  # the current agent (Rasa's HTTP API can replace it)
        self._seen: tuple | None = None

    def _model_file(self) -> Path | None:
        from rasa.exceptions import ModelNotFound
        from rasa.model import get_local_model

        try:
            return Path(get_local_model(self.model_path))
        except ModelNotFound:
            return None  # moved away for a moment: the current model stays

    async def check(self) -> bool:
        """True if a new model was loaded."""
        path = self._model_file()
        try:
            stat = path.stat() if path else None
        except OSError:  # moved away between the two looks
            stat = None
        if stat is None:
            return False
        state = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if state == self._seen or time.time() - stat.st_mtime < QUIET_SECONDS:
            return False  # unchanged, or still being written
        self._seen = state
        try:
            model_id = await asyncio.get_running_loop().run_in_executor(None, model_id_of, path)
        except Exception as error:
            logger.error(f"The model file {path} changed but is not a model that can be read ({error}); "
                         "the assistant keeps its current model and tries again when the file changes.")
            return False
        agent = self.agent()
        if agent is None:
            return False
        if model_id == agent.model_id:
            logger.info(f"The model file {path} changed but holds the model being served (model id {model_id}): "
                        "nothing to load.")
            return False
        try:
            # Rasa's own loading, as its model server does it: the next message uses the new model.
            agent.load_model(str(path), fingerprint=model_id)
        except Exception:
            logger.exception(f"Could not load the new model in {path}; the assistant keeps its current model.")
            return False
        logger.info(f"Loaded the new model in {path} (model id {model_id}): the assistant answers with it now.")
        memory.release()  # what loading freed, and the old model, back to the system
        return True

    async def watch(self, every_seconds: float) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.check()
            except Exception:  # the watch goes on; the current model stays
                logger.exception("Checking for a new model failed.")


def server_listeners(model_path: str, every_seconds: float) -> list[tuple[Callable, str]]:
    async def start_watching(app: Any, loop: Any) -> None:
        # Rasa's log level (LOG_LEVEL, --verbose) is set on its "rasa" logger; loading a model
        # raises the root logger's to WARNING, which would hide "Loaded the new model".
        logger.setLevel(logging.getLogger("rasa").getEffectiveLevel())
        watcher = ModelWatcher(model_path, lambda: getattr(app.ctx, "agent", None))
        app.ctx.model_watch = loop.create_task(watcher.watch(every_seconds))

    async def stop_watching(app: Any, loop: Any) -> None:
        task = getattr(app.ctx, "model_watch", None)
        if task:
            task.cancel()

    return [(start_watching, "after_server_start"), (stop_watching, "before_server_stop")]


class ModelReloadPlugin:
    """Rasa's plugin hook: called with `rasa run`'s (and `rasa shell`'s) parsed arguments."""

    def __init__(self, every_seconds: float) -> None:
        self.every_seconds = every_seconds

    @hookimpl
    def configure_commandline(self, cmdline_arguments: Any) -> None:
        model_path = getattr(cmdline_arguments, "model", None)
        if self.every_seconds and model_path:
            listeners = getattr(cmdline_arguments, "server_listeners", None) or []
            cmdline_arguments.server_listeners = [*listeners, *server_listeners(model_path, self.every_seconds)]


def install() -> None:
    """Registers the plugin with Rasa's plugin manager (once)."""
    from rasa.plugin import plugin_manager

    every_seconds = reload_seconds(os.environ)
    manager = plugin_manager()
    if manager.get_plugin(PLUGIN_NAME) is None:
        manager.register(ModelReloadPlugin(every_seconds), name=PLUGIN_NAME)
