"""The custom actions run inside the Rasa server, without an action server: a hook (Rasa's plugin
hook ``configure_commandline`` adds server listeners, as serving/action_connection.py does).

The embedded mode (`make run`) sets ACTIONS_IN_PROCESS=1; the scale-out mode (deploy/) leaves it
unset and keeps its action server (`python -m serving actions`, ACTION_SERVER_URL).

Rasa's ``RemoteAction.run`` (rasa/core/actions/action.py) hands the action call, a JSON-shaped
dict, to its endpoint's ``EndpointConfig.request(json=...)`` and reads the dict it returns, or the
``ClientResponseError`` it raises for an HTTP error status. ``InProcessEndpointConfig`` is that
endpoint with ``request`` answered by rasa_sdk's ``ActionExecutor`` (the one the action server
runs), loaded with the ``actions`` package in this process. So RemoteAction still checks the
reply against its schema, turns it into events and responses, and handles errors as it does for
an action server; serving/reliability.py's timeout and apology still apply. Of a custom action's
~2.1 ms round trip, rasa_sdk's executor and our actions took ~0.02 ms; the rest was HTTP and JSON
on both sides, and the action server ~55 MB resident (bench/breakdown.py, make bench).

What the action server did, done here the same way:

* the action call and the reply cross as JSON, as over HTTP: an action gets its own copy of the
  conversation and of the domain (Rasa's ``Domain.as_dict()`` is the live domain), and Rasa gets
  plain JSON values back, never an object an action keeps;
* rasa_sdk's answers for a form rejecting a value (400) and an unknown action (404) are raised as
  the ``ClientResponseError`` Rasa reads from an action server; any other exception in an action
  is logged by action name and error type only (the traceback at DEBUG: its values may be the
  visitor's), and raised as a 500, so the visitor gets the apology serving/reliability.py gives
  when the action server fails (serving/actions.py did the same for the action server);
* rasa_sdk runs an action in the event loop (``utils.call_potential_coroutine``): a sync action's
  ``run`` is called there, an async one awaited. Ours compute for microseconds; the one that does
  blocking I/O (storing a consultation request, then the purge and the notification,
  actions/consultation.py) does it in threads (``asyncio.to_thread``, ``run_in_executor``), so
  other visitors are not held up;
* the retention purge runs on its schedule (leads/schedule.py) in this server, as it did in the
  action server;
* the actions are imported when the server starts: a broken actions package or leads.yml stops
  the start, as it stopped the action server's.
"""
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import pluggy
import ujson
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

logger = logging.getLogger(__name__)
PLUGIN_NAME = "serving.actions_in_process"
hookimpl = pluggy.HookimplMarker("rasa")

ENVIRONMENT_VARIABLE = "ACTIONS_IN_PROCESS"
ACTIONS_PACKAGE = "actions"
FAILED = "The action could not run."


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """ACTIONS_IN_PROCESS: 1 runs the actions in this process, 0 or unset calls the action server."""
    value = environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{ENVIRONMENT_VARIABLE} must be 1 (the custom actions run inside the Rasa server) "
                         f"or 0 (they run in the action server at ACTION_SERVER_URL), not {value!r}")
    return value == "1"


def load_executor(package: str = ACTIONS_PACKAGE) -> Any:
    """rasa_sdk's ActionExecutor with the package's actions registered (as the action server's)."""
    import rasa
    from rasa_sdk import utils
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    try:
        executor.register_package(package)
    except Exception as error:
        # Type and message: a broken leads.yml or a syntax error says which file and line.
        raise RasaException(f"The custom actions ({package}) could not be loaded: "
                            f"{type(error).__name__}: {error}") from error
    if not executor.actions:
        raise RasaException(f"The package '{package}' has no custom actions.")
    # The action server checks this on every call; here the two are in one process.
    utils.check_version_compatibility(rasa.__version__)
    return executor


def as_over_http(value: Any) -> Any:
    """The value as the other side of an HTTP call would read it: plain JSON values, a copy.
    (ujson, which Sanic reads requests with: ~2x faster than the json module here.)"""
    return ujson.loads(ujson.dumps(value))


class DomainCopies:
    """Copies of the domain an action call carries: Rasa sends the same dict (Domain.as_dict() is
    the model's own) with every call, so its JSON is made once per domain and read for each call."""

    def __init__(self) -> None:
        self._domain: Any = None
        self._text = ""

    def copy(self, domain: Any) -> Any:
        if domain is not self._domain:
            self._text, self._domain = ujson.dumps(domain), domain
        return ujson.loads(self._text)


def action_call_copy(body: Any, domains: DomainCopies) -> Any:
    """The action call as the action server would read it: a copy in plain JSON values."""
    if not isinstance(body, dict) or not isinstance(body.get("domain"), dict):
        return as_over_http(body)
    copied = as_over_http({key: value for key, value in body.items() if key != "domain"})
    copied["domain"] = domains.copy(body["domain"])
    return copied


class InProcessEndpointConfig(EndpointConfig):
    """Rasa's action endpoint (its settings: timeout, selective domain...), answered in process."""

    executor: Any = None
    domains: DomainCopies

    @classmethod
    def of(cls, endpoint: EndpointConfig | None, executor: Any) -> "InProcessEndpointConfig":
        answered = cls.__new__(cls)
        if endpoint is not None:
            answered.__dict__.update(endpoint.__dict__)
        else:
            EndpointConfig.__init__(answered)
        answered.url = f"in-process:{ACTIONS_PACKAGE}"  # (Rasa names it in its error messages)
        answered.executor = executor
        answered.domains = DomainCopies()
        return answered

    def session(self) -> Any:
        raise RuntimeError("The custom actions run in this process: there is no action server to connect to.")

    async def request(self, method: str = "post", subpath: str | None = None,
                      content_type: str | None = "application/json", compress: bool = False,
                      **kwargs: Any) -> Any:
        """What rasa_sdk's /webhook answers (rasa_sdk/endpoint.py), without HTTP."""
        from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

        action_call = action_call_copy(kwargs.get("json"), self.domains)
        name = action_call.get("next_action") if isinstance(action_call, dict) else None
        try:
            result = await self.executor.run(action_call)
        except ActionExecutionRejection as rejection:  # a form rejecting a value: Rasa's normal flow
            logger.debug(rejection)
            raise ClientResponseError(400, "Bad Request", json.dumps(
                {"error": rejection.message, "action_name": rejection.action_name})) from rejection
        except ActionNotFoundException as missing:
            logger.error(missing)
            raise ClientResponseError(404, "Not Found", json.dumps(
                {"error": missing.message, "action_name": missing.action_name})) from missing
        except Exception as error:
            # The action's name and the error's type only: its message and traceback can hold
            # the visitor's words and details (personal data stays out of the logs).
            logger.error(f"Action '{name if isinstance(name, str) else '?'}' failed: {type(error).__name__}",
                         exc_info=error if logger.isEnabledFor(logging.DEBUG) else None)
            raise ClientResponseError(500, "Internal Server Error", json.dumps({"error": FAILED})) from None
        return as_over_http(result)


def answer_in_process(agent: Any, executor: Any) -> None:
    """Makes the agent's action endpoint (and its processor's, which Rasa copied) the in-process
    one. A new model's processor takes the agent's (Agent.load_model)."""
    endpoint = InProcessEndpointConfig.of(getattr(agent, "action_endpoint", None), executor)
    agent.action_endpoint = endpoint
    if getattr(agent, "processor", None) is not None:
        agent.processor.action_endpoint = endpoint


def listeners(executor: Any) -> list[tuple[Callable, str]]:
    from serving.actions import start_retention_purge, stop_retention_purge

    async def answer_after_start(app: Any, loop: Any) -> None:
        # Rasa loads the agent before the server starts (load_agent_on_start); this listener is
        # the first after it, and sets the endpoint before awaiting anything, so no message
        # reaches the agent before.
        agent = getattr(app.ctx, "agent", None)
        if agent is not None:
            answer_in_process(agent, executor)

    return [(answer_after_start, "after_server_start"), (start_retention_purge, "after_server_start"),
            (stop_retention_purge, "before_server_stop")]


class ActionsInProcessPlugin:
    @hookimpl
    def configure_commandline(self, cmdline_arguments: Any) -> None:
        if not enabled():
            return  # the action server at ACTION_SERVER_URL runs them
        executor = load_executor()
        logger.info(f"The custom actions run in this process ({len(executor.actions)} actions of "
                    f"'{ACTIONS_PACKAGE}'); no action server is called.")
        existing = getattr(cmdline_arguments, "server_listeners", None) or []
        # First: before any other listener can let the event loop serve a message.
        cmdline_arguments.server_listeners = [*listeners(executor), *existing]


def install() -> None:
    """Registers the plugin with Rasa's plugin manager (once)."""
    from rasa.plugin import plugin_manager

    enabled()  # a wrong value stops the start here, with its message
    if plugin_manager().get_plugin(PLUGIN_NAME) is None:
        plugin_manager().register(ActionsInProcessPlugin(), name=PLUGIN_NAME)
