"""`make bench`: this project's config.yml against Rasa's default configuration, side by side.

Both models are trained from the project's own data, domain and actions, and served the
same way (Rasa server + the project's action server, REST channel, in-memory tracker and
lock stores), one after the other on this machine. The benchmark measures, on the
held-out phrasings of tests/nlu_holdout.yml:
  * training time (fresh Rasa cache, so nothing is restored);
  * start-up time: process start until the first answer over REST;
  * resident memory of both processes (Rasa + action server) after the load tests;
  * p50/p95 latency with one visitor; throughput and p95 with 16 concurrent visitors;
  * held-out intent accuracy (in-process NLU) and answer accuracy (the REST reply is
    the answer for the expected intent; intents whose reply needs the consultation
    form's context are left out of this one).
It prints a table with the ratios ours/default, writes bench/results.json and draws
bench/results.png. Ratios come from one run on one machine: they are comparable, the
absolute numbers much less so (these machines are noisy).

    python bench/run_bench.py [--quick]

--quick: shorter load phases and a model reused when its inputs have not changed
(training time is then the stored one, marked as such). The full run retrains both.
"""
import argparse
import asyncio
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from trainer import holdout as evaluate_holdout  # noqa: E402

BIN = Path(sys.executable).parent
CONFIGS = {"ours": ROOT / "config.yml", "default": BENCH / "default_config.yml"}
# What is compared: this project as it runs (its config, served by `python -m serving`,
# i.e. `rasa run` + serving/speedups.py) against Rasa's default config served by stock
# `rasa run`. For transparency, the default config is also served the project's way, so
# the table shows how much comes from the config and how much from serving.
RUNS = {"ours": ("ours", "serving"), "default": ("default", "rasa"), "default_served_like_ours": ("default", "serving")}
CONCURRENCY = 16
# ratio targets (ours / default): (limit, "max" or "min")
TARGETS = {
    "train_seconds": (1 / 5, "max"),
    "startup_seconds": (1 / 3, "max"),
    "rss_mb": (1 / 2, "max"),
    "p50_ms_1": (1 / 3, "max"),
    "throughput_16": (4.0, "min"),
    "intent_accuracy": (1.0, "min"),
    "answer_accuracy": (1.0, "min"),
}
LABELS = {
    "train_seconds": "training time (s)",
    "startup_seconds": "start-up, to first answer (s)",
    "rss_mb": "resident memory, Rasa + actions (MB)",
    "p50_ms_1": "p50 latency, 1 visitor (ms)",
    "p95_ms_1": "p95 latency, 1 visitor (ms)",
    "throughput_16": "throughput, 16 visitors (msg/s)",
    "p95_ms_16": "p95 latency, 16 visitors (ms)",
    "errors_16": "errors, 16 visitors",
    "intent_accuracy": "held-out intent accuracy",
    "answer_accuracy": "held-out answer accuracy",
}


def fingerprint(config: Path) -> str:
    digest = hashlib.sha256()
    files = [config, ROOT / "domain.yml", ROOT / "actions" / "vocabulary.py", *sorted((ROOT / "data").rglob("*.yml"))]
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def train(name: str, config: Path, quick: bool) -> dict:
    models = BENCH / "models"
    models.mkdir(exist_ok=True)
    meta_file, model = models / f"{name}.json", models / f"{name}.tar.gz"
    print_ = fingerprint(config)
    if quick and model.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta["fingerprint"] == print_:
            return {**meta, "model": str(model), "reused": True}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, RASA_CACHE_DIRECTORY=cache, ACTION_SERVER_URL="http://127.0.0.1:1/webhook",
                   TRACKER_STORE_URL="sqlite:///" + os.path.join(cache, "unused.db"))
        started = time.perf_counter()
        subprocess.run([str(BIN / "rasa"), "train", "--config", str(config), "--out", str(models),
                        "--fixed-model-name", name], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
    meta = {"fingerprint": print_, "train_seconds": round(seconds, 1),
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    meta_file.write_text(json.dumps(meta))
    return {**meta, "model": str(model), "reused": False}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Served:
    """Action server + Rasa server for one model, on free ports, in-memory stores."""

    def __init__(self, model: str, tmp: Path, server: str):
        self.rasa_port, self.actions_port = free_port(), free_port()
        endpoints = tmp / "endpoints.yml"
        endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{self.actions_port}/webhook\n")
        credentials = tmp / "credentials.yml"
        credentials.write_text("rest:\n")
        env = dict(os.environ, SANIC_HOST="127.0.0.1", LOG_LEVEL="WARNING")
        self.started = time.perf_counter()
        self.actions = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.actions_port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        command = [str(BIN / "rasa")] if server == "rasa" else [sys.executable, "-m", "serving"]
        self.rasa = subprocess.Popen(
            [*command, "run", "--model", model, "--port", str(self.rasa_port), "--endpoints", str(endpoints),
             "--credentials", str(credentials)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    async def wait_for_first_answer(self, timeout: float = 300) -> float:
        async with aiohttp.ClientSession() as session:
            while time.perf_counter() - self.started < timeout:
                try:
                    async with session.post(self.url, json={"sender": "warmup", "message": "hi"}) as reply:
                        if reply.status == 200 and await reply.json():
                            return time.perf_counter() - self.started
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not answer in time")

    def rss_mb(self) -> float:
        return rss_mb(self.rasa.pid) + rss_mb(self.actions.pid)

    def stop(self) -> None:
        for proc in (self.rasa, self.actions):
            proc.terminate()
        for proc in (self.rasa, self.actions):
            proc.wait(timeout=30)


async def one_visitor(url: str, texts: list[str]) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession() as session:
        for i, text in enumerate(texts):
            started = time.perf_counter()
            async with session.post(url, json={"sender": f"solo-{i // 10}", "message": text}) as reply:
                await reply.read()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def many_visitors(url: str, texts: list[str], seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def visitor(n: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors
        i, sent = n, 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            sender = f"v{n}-{sent // 10}"  # a visitor's conversation: 10 messages
            sent += 1
            try:
                async with session.post(url, json={"sender": sender, "message": texts[i % len(texts)]}) as r:
                    body = await r.json()
                    if r.status != 200 or not body:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
            i += CONCURRENCY

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(visitor(n, session) for n in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return {"throughput_16": len(latencies) / elapsed, "p95_ms_16": percentile(latencies, 95), "errors_16": errors,
            "messages_16": len(latencies)}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def answer_key():
    """reply text -> the intent whose answer it is (all entity variants included)."""
    import yaml

    from actions import answers, registry, vocabulary

    keys = {}
    for intent, faq in registry.load().items():
        keys[faq.answer()] = intent
    for n in range(0, vocabulary.MAX_TREATMENTS + 1):
        keys[answers.cost(n)] = "ask_cost"
    for term in [t for ts in vocabulary.CONDITION_TERMS.values() for t in ts] + vocabulary.UNLISTED_CONDITIONS:
        keys[answers.conditions(term)] = "ask_conditions"
    for term in [t for ts in vocabulary.AREA_TERMS.values() for t in ts] + vocabulary.UNLISTED_AREAS:
        keys[answers.body_areas(term)] = "ask_body_areas"
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    responses = {"utter_greet": "greet", "utter_goodbye": "goodbye", "utter_youre_welcome": "thanks",
                 "utter_iamabot": "bot_challenge", "utter_contact_clinic": "contact_clinic",
                 "utter_deny": "deny", "utter_out_of_scope": "out_of_scope"}
    for response, intent in responses.items():
        keys[domain["responses"][response][0]["text"]] = intent
    return keys


async def answer_accuracy(url: str, examples: list[tuple]) -> float:
    keys = answer_key()
    # Replies within the consultation form (affirm, cancel, inform, change_detail) only
    # mean something in its context: measured by tests/test_consultation.py instead.
    answerable = set(keys.values())
    examples = [(text, intent) for text, intent in examples if intent in answerable]
    right = 0
    async with aiohttp.ClientSession() as session:
        for i, (text, intent) in enumerate(examples):
            async with session.post(url, json={"sender": f"acc-{i}", "message": text}) as reply:
                body = await reply.json()
            right += bool(body) and keys.get(body[0].get("text")) == intent
    return right / len(examples)


def measure(name: str, quick: bool, trained_models: dict[str, dict]) -> dict:
    config_name, server = RUNS[name]
    if config_name not in trained_models:
        print(f"[{config_name}] training…", flush=True)
        trained_models[config_name] = train(config_name, CONFIGS[config_name], quick)
    trained = trained_models[config_name]
    examples = evaluate_holdout.load_examples()
    texts = [t for t, _ in examples]
    result: dict = {"train_seconds": trained["train_seconds"], "train_reused": trained["reused"]}
    print(f"[{name}] intent accuracy (in-process)…", flush=True)
    result["intent_accuracy"] = evaluate_holdout.accuracy(evaluate_holdout.predict(trained["model"]))
    with tempfile.TemporaryDirectory() as tmp:
        served = Served(trained["model"], Path(tmp), server)
        try:
            print(f"[{name}] serving…", flush=True)
            result["startup_seconds"] = asyncio.run(served.wait_for_first_answer())
            solo = asyncio.run(one_visitor(served.url, texts[: 100 if quick else len(texts)]))
            result["p50_ms_1"], result["p95_ms_1"] = statistics.median(solo), percentile(solo, 95)
            print(f"[{name}] {CONCURRENCY} visitors…", flush=True)
            result.update(asyncio.run(many_visitors(served.url, texts, 8 if quick else 30)))
            result["answer_accuracy"] = asyncio.run(answer_accuracy(served.url, examples))
            result["rss_mb"] = served.rss_mb()
        finally:
            served.stop()
    return result


def ratio_rows(ours: dict, default: dict, default_served_like_ours: dict) -> list[dict]:
    rows = []
    for key, label in LABELS.items():
        a, b, c = ours[key], default[key], default_served_like_ours[key]
        ratio = a / b if b else (1.0 if a == b else float("inf"))
        target = TARGETS.get(key)
        met = None
        if target:
            met = ratio <= target[0] + 1e-9 if target[1] == "max" else ratio >= target[0] - 1e-9
        rows.append({"metric": key, "label": label, "ours": a, "default": b, "ratio": ratio,
                     "default_served_like_ours": c,
                     "ratio_config_only": a / c if c else (1.0 if a == c else float("inf")),
                     "target": (("≤ " if target[1] == "max" else "≥ ") + f"{target[0]:.2f}") if target else "",
                     "met": met})
    return rows


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 1.5 else f"{value:.1f}"
    return str(value)


def table(rows: list[dict]) -> str:
    lines = ["| metric | ours | Rasa default | ours / default | target | met "
             "| default config, served like ours | config alone: ours / that |",
             "|---|---:|---:|---:|---|---|---:|---:|"]
    for r in rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append(f"| {r['label']} | {fmt(r['ours'])} | {fmt(r['default'])} | {r['ratio']:.2f} "
                     f"| {r['target']} | {met} "
                     f"| {fmt(r['default_served_like_ours'])} | {r['ratio_config_only']:.2f} |")
    return "\n".join(lines)


def chart(ours: dict, default: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    panels = [("Latency, 1 visitor (ms)", ["p50_ms_1", "p95_ms_1"], ["p50", "p95"]),
              ("16 visitors", ["throughput_16"], ["messages/s"]),
              ("Resident memory (MB)", ["rss_mb"], ["Rasa + actions"])]
    for ax, (title, keys, names) in zip(axes, panels, strict=True):
        xs = range(len(keys))
        ax.bar([x - 0.2 for x in xs], [ours[k] for k in keys], 0.4, label="this project", color="#2f6f6a")
        ax.bar([x + 0.2 for x in xs], [default[k] for k in keys], 0.4, label="Rasa default", color="#b0b7bb")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(names)
        ax.set_title(title)
    axes[0].legend()
    fig.suptitle(f"make bench, {datetime.now(timezone.utc):%Y-%m-%d}, {os.cpu_count()} cores")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter load phases; reuse unchanged models")
    args = parser.parse_args()
    trained: dict[str, dict] = {}
    results = {name: measure(name, args.quick, trained) for name in RUNS}
    rows = ratio_rows(results["ours"], results["default"], results["default_served_like_ours"])
    machine = f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine,
              "mode": "quick" if args.quick else "full", "results": results, "rows": rows}
    (BENCH / "results.json").write_text(json.dumps(report, indent=2))
    chart(results["ours"], results["default"], BENCH / "results.png")
    print(f"\n{report['date']}, {machine}, {report['mode']} run\n")
    print(table(rows))
    if any(r["train_reused"] for r in results.values()):
        print("\n(training time reused from an earlier run with the same inputs: --quick)")
    print(f"\nWrote {BENCH / 'results.json'} and {BENCH / 'results.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
