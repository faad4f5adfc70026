"""The visitors `make bench` sends: one at a time for latency, CONCURRENCY at once for throughput,
and the held-out phrasings for answer accuracy. Messages go to the servers' REST URLs in turn
(one URL, or one per replica: no affinity, as a load balancer without sticky sessions).
A visitor's conversation is 10 messages; then the visitor comes back as a new one."""
import asyncio
import statistics
import time

import aiohttp

CONCURRENCY = 16
MESSAGES_PER_CONVERSATION = 10


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def one_visitor(urls: list[str], texts: list[str]) -> dict:
    latencies = []
    async with aiohttp.ClientSession() as session:
        for i, text in enumerate(texts):
            started = time.perf_counter()
            body = {"sender": f"solo-{i // MESSAGES_PER_CONVERSATION}", "message": text}
            async with session.post(urls[i % len(urls)], json=body) as reply:
                await reply.read()
            latencies.append((time.perf_counter() - started) * 1000)
    return {"p50_ms_1": statistics.median(latencies), "p95_ms_1": percentile(latencies, 95)}


async def many_visitors(urls: list[str], texts: list[str], seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def visitor(n: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors
        sent = 0
        while time.perf_counter() < deadline:
            i = n + sent * CONCURRENCY
            body = {"sender": f"v{n}-{sent // MESSAGES_PER_CONVERSATION}", "message": texts[i % len(texts)]}
            sent += 1
            started = time.perf_counter()
            try:
                async with session.post(urls[i % len(urls)], json=body) as reply:
                    answer = await reply.json()
                    if reply.status != 200 or not answer:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=CONCURRENCY * len(urls))
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(visitor(n, session) for n in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return {"throughput_16": len(latencies) / elapsed, "p50_ms_16": statistics.median(latencies),
            "p95_ms_16": percentile(latencies, 95), "errors_16": errors, "messages_16": len(latencies)}


async def answers(urls: list[str], texts: list[str]) -> list[str | None]:
    """The first reply's text to each phrasing, each in a conversation of its own."""
    replies: list[str | None] = []
    async with aiohttp.ClientSession() as session:
        for i, text in enumerate(texts):
            async with session.post(urls[i % len(urls)], json={"sender": f"accuracy-{i}", "message": text}) as reply:
                body = await reply.json()
            replies.append(body[0].get("text") if body else None)
    return replies
