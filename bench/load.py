"""The visitors `make bench` sends: one at a time for latency, CONCURRENCY at once for throughput,
and the held-out phrasings for answer accuracy. Messages go to the servers' REST URLs in turn
(one URL, or one per replica: no affinity, as a load balancer without sticky sessions).
A visitor's conversation is 10 messages; then the visitor comes back as a new one.

The servings compared are measured in rounds, taking turns (bench/run_bench.py): on a shared
machine the load changes by the minute, and each serving gets its share of every minute."""
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field

import aiohttp

CONCURRENCY = 16
MESSAGES_PER_CONVERSATION = 10


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Samples:
    """Latencies (ms) of the messages sent, the seconds spent sending them, and the failures."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0

    def add(self, other: "Samples") -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.errors += other.errors

    def one_visitor(self) -> dict:
        return {"p50_ms_1": statistics.median(self.latencies), "p95_ms_1": percentile(self.latencies, 95)}

    def many_visitors(self) -> dict:
        return {"throughput_16": len(self.latencies) / self.seconds,
                "p50_ms_16": statistics.median(self.latencies), "p95_ms_16": percentile(self.latencies, 95),
                "errors_16": self.errors, "messages_16": len(self.latencies)}


async def one_visitor(urls: list[str], texts: list[str], prefix: str) -> Samples:
    samples = Samples()
    async with aiohttp.ClientSession() as session:
        started_all = time.perf_counter()
        for i, text in enumerate(texts):
            started = time.perf_counter()
            body = {"sender": f"{prefix}-solo-{i // MESSAGES_PER_CONVERSATION}", "message": text}
            async with session.post(urls[i % len(urls)], json=body) as reply:
                if reply.status != 200 or not await reply.json():
                    samples.errors += 1
            samples.latencies.append((time.perf_counter() - started) * 1000)
        samples.seconds = time.perf_counter() - started_all
    return samples


async def many_visitors(urls: list[str], texts: list[str], seconds: float, prefix: str) -> Samples:
    samples = Samples()
    deadline = time.perf_counter() + seconds

    async def visitor(n: int, session: aiohttp.ClientSession) -> None:
        sent = 0
        while time.perf_counter() < deadline:
            i = n + sent * CONCURRENCY
            body = {"sender": f"{prefix}-v{n}-{sent // MESSAGES_PER_CONVERSATION}", "message": texts[i % len(texts)]}
            sent += 1
            started = time.perf_counter()
            try:
                async with session.post(urls[i % len(urls)], json=body) as reply:
                    answer = await reply.json()
                    if reply.status != 200 or not answer:
                        samples.errors += 1
            except aiohttp.ClientError:
                samples.errors += 1
            samples.latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=CONCURRENCY * len(urls))
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(visitor(n, session) for n in range(CONCURRENCY)))
        samples.seconds = time.perf_counter() - started
    return samples


async def answers(urls: list[str], texts: list[str]) -> list[str | None]:
    """The first reply's text to each phrasing, each in a conversation of its own."""
    return [replies[0] if replies else None for replies in await all_replies(urls, texts)]


async def all_replies(urls: list[str], texts: list[str]) -> list[list[str]]:
    """Every reply's text to each phrasing, each in a new conversation of its own."""
    replies: list[list[str]] = []
    async with aiohttp.ClientSession() as session:
        for i, text in enumerate(texts):
            sender = f"accuracy-{uuid.uuid4().hex}"
            async with session.post(urls[i % len(urls)], json={"sender": sender, "message": text}) as reply:
                body = await reply.json()
            replies.append([str(r.get("text")) for r in body or [] if r.get("text")])
    return replies
