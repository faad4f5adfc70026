"""Connections to the action server kept open between custom actions: a hook (Rasa's plugin hook
``configure_commandline`` adds server listeners, as serving/model_reload.py does).

Rasa's ``EndpointConfig.request`` opens a new aiohttp session, and with it a new TCP connection,
for every custom action, and closes it afterwards: a connect and a close per action, about
0.4 ms of the ~2.5 ms a custom action's round trip takes (bench/breakdown.py). Here the action
endpoint's sessions share one connection pool that outlives them (``connector_owner=False``),
so consecutive actions reuse a connection.

A kept connection must never be one the action server is closing. The action server closes a
connection idle for its keep-alive timeout (Sanic's KEEP_ALIVE_TIMEOUT, 5 s by default;
`python -m serving actions` sets ACTION_SERVER_KEEP_ALIVE_SECONDS); the pool drops a connection
idle for IDLE_SECONDS, shorter, before reusing it, so it never sends on a connection the server
is about to close. A connection the server closed for another reason (a restart) is seen closed
and not reused. Everything else is Rasa's request: the same URL, headers, token, timeout.
"""
import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import pluggy
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

logger = logging.getLogger(__name__)
PLUGIN_NAME = "serving.action_connection"
hookimpl = pluggy.HookimplMarker("rasa")

# A kept connection idle this long is closed rather than reused: well inside the action
# server's keep-alive timeout (serving/actions.py sets 15 s; Sanic's default is 5 s).
IDLE_SECONDS = 2.0


class KeptAliveEndpointConfig(EndpointConfig):
    """Rasa's EndpointConfig whose sessions share one pool of kept-alive connections."""

    _connector: aiohttp.TCPConnector | None = None

    @classmethod
    def of(cls, endpoint: EndpointConfig) -> "KeptAliveEndpointConfig":
        """The same endpoint (URL, headers, token, timeout...), its connections kept."""
        if isinstance(endpoint, cls):
            return endpoint
        kept = cls.__new__(cls)
        kept.__dict__.update(endpoint.__dict__)
        return kept

    def _pool(self) -> aiohttp.TCPConnector:
        loop = asyncio.get_running_loop()
        connector = self._connector
        if connector is None or connector.closed or getattr(connector, "_loop", loop) is not loop:
            connector = self._connector = aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS)
        return connector

    def session(self) -> aiohttp.ClientSession:
        """As Rasa's (rasa/utils/endpoints.py), on the shared pool."""
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) \
            if self.basic_auth else None
        return aiohttp.ClientSession(
            connector=self._pool(), connector_owner=False, headers=self.headers, auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))

    async def close(self) -> None:
        if self._connector is not None:
            await self._connector.close()
            self._connector = None


def keep_connections(agent: Any) -> None:
    """Makes the agent's action endpoint (and its processor's, which Rasa copied) keep its
    connections. A new model's processor takes the agent's (Agent.load_model)."""
    endpoint = getattr(agent, "action_endpoint", None)
    # Only Rasa's own HTTP endpoint: not one answered in this process (serving/actions_in_process.py).
    if endpoint is None or not endpoint.url or type(endpoint) not in (EndpointConfig, KeptAliveEndpointConfig):
        return
    kept = KeptAliveEndpointConfig.of(endpoint)
    agent.action_endpoint = kept
    if getattr(agent, "processor", None) is not None:
        agent.processor.action_endpoint = kept


async def keep_after_start(app: Any, loop: Any) -> None:
    agent = getattr(app.ctx, "agent", None)
    if agent is not None:
        keep_connections(agent)


async def close_before_stop(app: Any, loop: Any) -> None:
    endpoint = getattr(getattr(app.ctx, "agent", None), "action_endpoint", None)
    if isinstance(endpoint, KeptAliveEndpointConfig):
        await endpoint.close()


def server_listeners() -> list[tuple[Callable, str]]:
    return [(keep_after_start, "after_server_start"), (close_before_stop, "before_server_stop")]


class ActionConnectionPlugin:
    @hookimpl
    def configure_commandline(self, cmdline_arguments: Any) -> None:
        listeners = getattr(cmdline_arguments, "server_listeners", None) or []
        cmdline_arguments.server_listeners = [*listeners, *server_listeners()]


def install() -> None:
    """Registers the plugin with Rasa's plugin manager (once)."""
    from rasa.plugin import plugin_manager

    if plugin_manager().get_plugin(PLUGIN_NAME) is None:
        plugin_manager().register(ActionConnectionPlugin(), name=PLUGIN_NAME)
