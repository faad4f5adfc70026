"""Memory the model's loading freed goes back to the system: a hook (Rasa's plugin hook
``configure_commandline`` adds a server listener, as serving/model_reload.py does).

Loading a model allocates more than it keeps (the archive's files read, JSON parsed, a
classifier's coefficients copied into column order: serving/speedups.py). Python frees that
memory, but glibc's allocator keeps most freed pages in the process. Once the server has
loaded its model, and after each new model (serving/model_reload.py), ``release`` collects
garbage and asks glibc to return its free pages (``malloc_trim``): about 10 MB resident.
On a C library without malloc_trim it only collects garbage.
"""
import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable
from typing import Any

import pluggy

logger = logging.getLogger(__name__)
PLUGIN_NAME = "serving.memory"
hookimpl = pluggy.HookimplMarker("rasa")


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release() -> None:
    """Collects garbage and returns the allocator's free pages to the system."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


async def release_after_start(app: Any, loop: Any) -> None:
    release()


class MemoryReleasePlugin:
    @hookimpl
    def configure_commandline(self, cmdline_arguments: Any) -> None:
        listeners = getattr(cmdline_arguments, "server_listeners", None) or []
        cmdline_arguments.server_listeners = [*listeners, (release_after_start, "after_server_start")]


def install() -> None:
    """Registers the plugin with Rasa's plugin manager (once)."""
    from rasa.plugin import plugin_manager

    if plugin_manager().get_plugin(PLUGIN_NAME) is None:
        plugin_manager().register(MemoryReleasePlugin(), name=PLUGIN_NAME)
