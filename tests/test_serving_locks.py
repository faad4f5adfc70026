"""serving/locks.py against a real Redis: one message at a time per conversation, across
replicas, even when a replica dies holding a conversation's turn."""
import asyncio
import os
import threading
import time
from itertools import pairwise

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.lock_store import RedisLockStore as RasaRedisLockStore
from rasa.utils.endpoints import EndpointConfig

import stores
from servers import free_port
from serving.locks import RedisTicketLockStore

pytestmark = pytest.mark.services  # a real Redis


@pytest.fixture(scope="module")
def redis_port():
    if stores.missing_binaries():
        reason = "needs " + " and ".join(stores.missing_binaries())
        if os.environ.get("CI"):
            pytest.fail(reason + " (.ci/run installs them)")
        pytest.skip(reason)
    server = stores.Redis(free_port())
    server.start()
    yield server.port
    server.destroy()


def store(port, cls=RedisTicketLockStore):
    return cls(host="127.0.0.1", port=port, key_prefix="test")


def test_messages_of_one_conversation_take_turns(redis_port):
    replicas = [store(redis_port), store(redis_port)]
    spans = []

    async def message(i):
        async with replicas[i % 2].lock("visitor-1"):
            started = time.monotonic()
            await asyncio.sleep(0.05)
            spans.append((started, time.monotonic(), i))

    async def main():
        await asyncio.gather(*(message(i) for i in range(6)))

    asyncio.run(main())
    spans.sort()
    assert [i for _, _, i in spans] == list(range(6))  # in the order they arrived
    assert all(end <= next_start for (_, end, _), (next_start, _, _) in pairwise(spans))
    assert replicas[0].get_lock("visitor-1") is None  # nothing left behind


def test_a_dead_replicas_turn_expires_and_the_waiting_message_goes_ahead(redis_port):
    # A replica took the turn with a 1 s lifetime and died: it never gives it back.
    store(redis_port).issue_ticket("visitor-2", lock_lifetime=1)

    async def waiting_message():
        async with store(redis_port).lock("visitor-2", lock_lifetime=1):
            return time.monotonic()

    started = time.monotonic()
    acquired = asyncio.run(asyncio.wait_for(waiting_message(), timeout=5))
    assert 0.8 <= acquired - started < 3


def test_rasas_own_lock_store_never_serves_that_message(redis_port):
    # The bug serving/locks.py fixes: the waiting message's own ticket expires with the
    # dead one, and it waits forever (in production: until Sanic's response timeout).
    store(redis_port).issue_ticket("visitor-3", lock_lifetime=1)

    async def waiting_message():
        async with store(redis_port, RasaRedisLockStore).lock("visitor-3", lock_lifetime=1):
            pass

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(asyncio.wait_for(waiting_message(), timeout=4))


def test_tickets_issued_at_the_same_moment_by_two_replicas_are_all_kept(redis_port):
    replicas = [store(redis_port), store(redis_port)]
    issued = []

    def issue(replica):
        for _ in range(50):
            issued.append(replica.issue_ticket("visitor-4", lock_lifetime=60))

    threads = [threading.Thread(target=issue, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue = [t.number for t in replicas[0].get_lock("visitor-4").tickets]
    assert sorted(issued) == queue == list(range(100))


def test_endpoints_yml_names_the_lock_store_and_rasa_builds_it(redis_port):
    """The hook: Rasa's own factory loads the class named in endpoints.yml, with its settings."""
    config = EndpointConfig.from_dict({"type": "serving.locks.RedisTicketLockStore", "url": "127.0.0.1",
                                       "port": str(redis_port), "db": "1", "password": "", "key_prefix": "hook",
                                       "socket_timeout": 3})
    built = LockStore.create(config)
    assert type(built) is RedisTicketLockStore and built.key_prefix == "hook:lock:"
    assert built.issue_ticket("visitor-5") == 0 and built.get_lock("visitor-5").tickets[0].number == 0
