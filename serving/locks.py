"""Rasa's Redis lock store, made safe for several replicas: a hook, not a patch.

endpoints.yml names this class (``lock_store: type: ${LOCK_STORE_TYPE}`` with
``LOCK_STORE_TYPE=serving.locks.RedisTicketLockStore``): Rasa loads a lock store named by
module path and constructs it with the endpoint's settings (rasa/core/lock_store.py,
``_load_from_module_name_in_endpoint_config``). Rasa's own ``type: redis`` is refused at
start-up (serving/__main__.py) because of the flaws below.

Rasa keeps one queue of tickets per conversation in a Redis key; a message is processed
when its ticket is first in the queue, so each conversation's messages are handled one
at a time across all replicas. Rasa 3.6's ``RedisLockStore`` has two flaws there:

1. It reads a queue, changes it and writes it back without a transaction, so two
   replicas changing the same queue at the same moment can overwrite each other's
   tickets (a lost ticket, or a queue deleted under a waiting message).
2. A waiting message only waits while its own ticket lives. When a replica dies while
   serving a conversation, its ticket expires after TICKET_LOCK_LIFETIME, and so does
   the ticket of the message waiting behind it (issued a moment later). The waiting
   message then waits for a turn that never comes, until Sanic's response timeout.
   tests/test_scale_out.py found this by killing a replica under load.

Here every change of a queue is one optimistic Redis transaction (WATCH/MULTI/EXEC),
and a message whose ticket expired while it waited queues again.
"""
import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
POLL_SECONDS = 0.1  # Rasa polls every second; a second message of a conversation waits less


class RedisTicketLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **settings: Any) -> None:
        """From endpoints.yml (Rasa passes `endpoint_config`), or from keyword settings as
        Rasa's RedisLockStore takes them (host, port, db, password, key_prefix...)."""
        if endpoint_config is not None:
            # What Rasa's own `type: redis` passes (rasa/core/lock_store.py).
            settings = {"host": endpoint_config.url, **endpoint_config.kwargs}
        super().__init__(**settings)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Applies ``change`` to the conversation's queue in one Redis transaction."""
        key = self.key_prefix + conversation_id

        def transaction(pipe) -> T:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else TicketLock(conversation_id)
            lock.remove_expired_tickets()
            result = change(lock)
            pipe.multi()
            if lock.tickets:
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def _live_lock(self, conversation_id: str) -> TicketLock | None:
        lock = self.get_lock(conversation_id)
        if lock:
            lock.remove_expired_tickets()
        return lock

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime))
        except Exception as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = POLL_SECONDS):
        return _Held(self, conversation_id, lock_lifetime, wait_time_in_seconds)


class _Held:
    """``async with store.lock(conversation_id)``: the ticket is given back however the
    block ends, including the ticket re-issued while waiting."""

    def __init__(self, store: RedisTicketLockStore, conversation_id: str, lifetime: float, wait: float) -> None:
        self.store, self.conversation_id, self.lifetime, self.wait = store, conversation_id, lifetime, wait
        self.ticket: int | None = None

    async def __aenter__(self) -> TicketLock:
        store, conversation_id = self.store, self.conversation_id
        self.ticket = store.issue_ticket(conversation_id, self.lifetime)
        try:
            while True:
                lock = store._live_lock(conversation_id)
                numbers = [t.number for t in lock.tickets] if lock else []
                if self.ticket not in numbers:
                    # Our ticket expired while an older one (whose replica may have died)
                    # outlived it: queue again rather than wait for a turn that never comes.
                    self.ticket = store.issue_ticket(conversation_id, self.lifetime)
                    continue
                if numbers[0] == self.ticket:
                    return lock
                await asyncio.sleep(self.wait)
        except BaseException:
            store.cleanup(conversation_id, self.ticket)
            raise

    async def __aexit__(self, *exc_info) -> None:
        self.store.cleanup(self.conversation_id, self.ticket)
