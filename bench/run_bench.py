"""`make bench`: this project as it runs, against Rasa's default configuration, side by side in one run.

Three servings on this machine (bench/servings.py says how each is started), started one at a
time, then loaded in rounds, taking turns (the machine is shared: each gets its share of the load):
  * ours, embedded: `make run`'s servers and stores (SQLite tracker store, one Rasa process);
  * ours, scale-out: REPLICAS Rasa servers sharing PostgreSQL and Redis, as deploy/ runs them
    (left out, with the reason printed, when PostgreSQL or redis-server is not installed);
  * Rasa default: Rasa's default config (bench/default_config.yml) trained on this project's
    data, served by stock `rasa run` with its in-memory stores.
On the held-out phrasings of tests/nlu_holdout.yml it measures training time (fresh cache),
start-up (processes started until the first answer), p50/p95 latency with one visitor,
throughput and latency with 16 visitors, resident memory of every server process after the
load, and held-out intent and answer accuracy; and, on the blind sets' held-out questions asked
alone (tests/eval/heldout/: what visitors really send, scored as `make eval` scores them), the
real-style questions answered right and the questions about other treatments given a
micro-needling fact. Then bench/breakdown.py times each stage of a message, as stock Rasa
serves it and as this project does.

It prints the table with the ratios ours / default against issue #16's targets, writes
bench/results.json and draws bench/results.png. Ratios come from one run on one machine: they
are comparable, the absolute numbers much less so (the machine is shared).

    python bench/run_bench.py [--quick] [--reuse] [--before bench/results-before.json]

--reuse: models reused when their inputs have not changed (training time is then the stored one,
marked as such). --quick: that, and shorter load phases. --before: also show the ratios of an
earlier results file (make bench shows bench/results-before.json's: before issue #16's changes).
"""
import argparse
import asyncio
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
import accuracy  # noqa: E402
import load  # noqa: E402
import servings  # noqa: E402

from trainer import holdout  # noqa: E402

BIN = Path(sys.executable).parent
CONFIGS = {"ours": ROOT / "config.yml", "default": BENCH / "default_config.yml"}
REPLICAS = 2
SERVINGS = {"embedded": "ours", "scale_out": "ours", "default": "default"}  # serving -> the model it serves
COLUMNS = {"embedded": "ours, embedded", "scale_out": f"ours, scale-out ({REPLICAS} replicas)",
           "default": "Rasa default"}
# issue #16: ours (embedded) / Rasa default
TARGETS = {
    "startup_seconds": (1 / 4, "max"),
    "rss_mb": (1 / 3, "max"),
    "p50_ms_1": (1 / 4, "max"),
    "throughput_16": (6.0, "min"),
    "intent_accuracy": (1.0, "min"),
    "answer_accuracy": (1.0, "min"),
}
LABELS = {
    "train_seconds": "training time (s)",
    "startup_seconds": "start-up, to first answer (s)",
    "rss_mb": "resident memory, all server processes (MB)",
    "pss_mb": "proportional memory (PSS), all server processes (MB)",
    "p50_ms_1": "p50 latency, 1 visitor (ms)",
    "p95_ms_1": "p95 latency, 1 visitor (ms)",
    "throughput_16": "throughput, 16 visitors (msg/s)",
    "p50_ms_16": "p50 latency, 16 visitors (ms)",
    "p95_ms_16": "p95 latency, 16 visitors (ms)",
    "errors_16": "errors, 16 visitors",
    "intent_accuracy": "held-out intent accuracy",
    "answer_accuracy": "held-out answer accuracy",
    "blind_real_style": "blind real-style questions, right answer (held-out)",
    "blind_other_facts": "blind other-treatment questions given a micro-needling fact (held-out)",
}


def fingerprint(config: Path) -> str:
    digest = hashlib.sha256()
    files = [config, ROOT / "domain.yml", ROOT / "actions" / "vocabulary.py", *sorted((ROOT / "data").rglob("*.yml"))]
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def train(name: str, config: Path, reuse: bool) -> dict:
    models = BENCH / "models"
    models.mkdir(exist_ok=True)
    meta_file, model = models / f"{name}.json", models / f"{name}.tar.gz"
    inputs = fingerprint(config)
    if reuse and model.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta["fingerprint"] == inputs:
            return {**meta, "model": str(model), "reused": True}
    print(f"[{name}] training…", flush=True)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, RASA_CACHE_DIRECTORY=cache, ACTION_SERVER_URL="http://127.0.0.1:1/webhook",
                   TRACKER_STORE_URL="sqlite:///" + os.path.join(cache, "unused.db"))
        started = time.perf_counter()
        subprocess.run([str(BIN / "rasa"), "train", "--config", str(config), "--out", str(models),
                        "--fixed-model-name", name], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
    meta = {"fingerprint": inputs, "train_seconds": round(seconds, 1),
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    meta_file.write_text(json.dumps(meta))
    return {**meta, "model": str(model), "reused": False}


def intent_accuracy(model: str) -> float:
    """In a process of its own, so the load client stays small."""
    code = "import sys; from trainer import holdout; print(holdout.accuracy(holdout.predict(sys.argv[1])))"
    done = subprocess.run([sys.executable, "-c", code, model], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, LOG_LEVEL="WARNING"), check=True)
    return float(done.stdout.strip().splitlines()[-1])


class Services:
    """PostgreSQL and Redis for the scale-out serving (tests/stores.py starts them)."""

    def __init__(self) -> None:
        sys.path.insert(0, str(ROOT / "tests"))
        import stores

        self.stores = stores
        self.missing = stores.missing_binaries()
        self.postgres = self.redis = None

    def __enter__(self) -> "Services":
        if not self.missing:
            self.postgres = self.stores.Postgres(servings.free_port())
            self.redis = self.stores.Redis(servings.free_port())
            self.postgres.start()
            self.redis.start()
        return self

    def __exit__(self, *exc_info) -> None:
        for service in (self.postgres, self.redis):
            if service:
                service.destroy()


def measure(starts: dict[str, Callable[[Path], servings.Served]], examples: list, quick: bool) -> dict:
    """Starts the servings one at a time (start-up measured alone), then loads them in rounds,
    taking turns, and measures answers and memory; all stay up until the end."""
    texts = [text for text, _ in examples]
    checked = accuracy.answerable(examples)
    blind = accuracy.blind_questions()
    rounds = 2 if quick else 3
    solo_texts = texts[: 100 if quick else len(texts)]
    seconds = (8 if quick else 30) / rounds
    results: dict = {name: {} for name in starts}
    solo = {name: load.Samples() for name in starts}
    many = {name: load.Samples() for name in starts}
    running: dict[str, servings.Served] = {}
    folders = []
    try:
        for name, start in starts.items():
            folders.append(Path(tempfile.mkdtemp(prefix=f"bench-{name}-")))
            print(f"[{name}] starting…", flush=True)
            running[name] = start(folders[-1])
            results[name]["startup_seconds"] = asyncio.run(running[name].wait_for_first_answers())
        for r in range(rounds):
            chunk = solo_texts[r::rounds]
            for name, served in running.items():
                print(f"[{name}] round {r + 1}/{rounds}: one visitor, then {load.CONCURRENCY}…", flush=True)
                solo[name].add(asyncio.run(load.one_visitor(served.urls, chunk, f"r{r}")))
            for name, served in running.items():
                many[name].add(asyncio.run(load.many_visitors(served.urls, texts, seconds, f"r{r}")))
        for name, served in running.items():
            replies = asyncio.run(load.answers(served.urls, [text for text, _ in checked]))
            real_style = asyncio.run(load.answers(served.urls, [item["text"] for item in blind["real_style"]]))
            other = asyncio.run(load.all_replies(served.urls, [item["text"] for item in blind["other_treatments"]]))
            results[name].update(solo[name].one_visitor(), **many[name].many_visitors(),
                                 answer_accuracy=accuracy.answer_accuracy(checked, replies),
                                 blind_real_style=accuracy.real_style_accuracy(blind["real_style"], real_style),
                                 blind_other_facts=accuracy.facts_given(other), **served.memory_mb())
    finally:
        for served in running.values():
            served.stop()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def run_all(quick: bool, reuse: bool) -> tuple[dict, dict]:
    trained = {name: train(name, config, reuse) for name, config in CONFIGS.items()}
    accuracies = {name: intent_accuracy(t["model"]) for name, t in trained.items()}
    examples = holdout.load_examples()
    notes: dict = {}
    with Services() as services:
        starts: dict[str, Callable[[Path], servings.Served]] = {
            "embedded": lambda tmp: servings.embedded(trained["ours"]["model"], tmp),
            "default": lambda tmp: servings.stock_rasa(trained["default"]["model"], tmp),
        }
        if services.missing:
            notes["scale_out"] = "left out: needs " + " and ".join(services.missing)
            print(f"[scale_out] {notes['scale_out']}", flush=True)
        else:
            starts["scale_out"] = lambda tmp: servings.scale_out(
                trained["ours"]["model"], tmp, services.postgres.url, services.redis.port, REPLICAS)
        measured = measure({name: starts[name] for name in SERVINGS if name in starts}, examples, quick)
    results = {}
    for name, figures in measured.items():
        model = SERVINGS[name]
        results[name] = {"train_seconds": trained[model]["train_seconds"], "train_reused": trained[model]["reused"],
                         "intent_accuracy": accuracies[model], **figures}
    return results, notes


def ratio(a: float, b: float) -> float:
    return a / b if b else (1.0 if a == b else float("inf"))


def rows(results: dict, before: dict | None) -> list[dict]:
    out = []
    default = results["default"]
    for key, label in LABELS.items():
        row: dict = {"metric": key, "label": label, **{name: results[name][key] for name in results},
                     "ratio": ratio(results["embedded"][key], default[key])}
        if "scale_out" in results:
            row["ratio_scale_out"] = ratio(results["scale_out"][key], default[key])
        if before and key in before.get("embedded", {}) and key in before.get("default", {}):
            row["ratio_before"] = ratio(before["embedded"][key], before["default"][key])
        target = TARGETS.get(key)
        if target:
            limit, kind = target
            row["target"] = ("≤ " if kind == "max" else "≥ ") + (f"{limit:.2f}" if limit < 1 else f"{limit:g}")
            row["met"] = row["ratio"] <= limit + 1e-9 if kind == "max" else row["ratio"] >= limit - 1e-9
        out.append(row)
    return out


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 1.5 else f"{value:.1f}"
    return str(value)


def table(rows_: list[dict]) -> str:
    servings = [name for name in SERVINGS if name in rows_[0]]
    with_before = any("ratio_before" in r for r in rows_)
    header = ["metric", *(COLUMNS[name] for name in servings), "embedded / default", "target", "met"]
    if "scale_out" in servings:
        header.append("scale-out / default")
    if with_before:
        header.append("before: embedded / default")
    lines = ["| " + " | ".join(header) + " |",
             "|---|" + "---:|" * len(servings) + "---:|---|---|" + "---:|" * (len(header) - len(servings) - 4)]
    for r in rows_:
        met = "" if "met" not in r else ("yes" if r["met"] else "**no**")
        cells = [r["label"], *(fmt(r[name]) for name in servings), f"{r['ratio']:.2f}", r.get("target", ""), met]
        if "scale_out" in servings:
            cells.append(f"{r['ratio_scale_out']:.2f}")
        if with_before:
            cells.append(f"{r['ratio_before']:.2f}" if "ratio_before" in r else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"embedded": "#2f6f6a", "scale_out": "#7fb3ad", "default": "#b0b7bb"}
    panels = [("Latency, 1 visitor (ms)", ["p50_ms_1", "p95_ms_1"], ["p50", "p95"]),
              ("16 visitors", ["throughput_16"], ["messages/s"]),
              ("Resident memory (MB)", ["rss_mb"], ["all servers"]),
              ("Start-up (s)", ["startup_seconds"], ["to first answer"])]
    fig, axes = plt.subplots(1, len(panels), figsize=(13, 3.6))
    names = [name for name in SERVINGS if name in results]
    width = 0.8 / len(names)
    for ax, (title, keys, labels) in zip(axes, panels, strict=True):
        for i, name in enumerate(names):
            offsets = [x - 0.4 + width * (i + 0.5) for x in range(len(keys))]
            ax.bar(offsets, [results[name][k] for k in keys], width, label=COLUMNS[name], color=colours[name])
        ax.set_xticks(list(range(len(keys))))
        ax.set_xticklabels(labels)
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"make bench, {datetime.now(timezone.utc):%Y-%m-%d}, {os.cpu_count()} cores")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def breakdown(quick: bool) -> str:
    """bench/breakdown.py, as stock Rasa serves a message and as this project does."""
    done = subprocess.run([sys.executable, str(BENCH / "breakdown.py"), str(BENCH / "models" / "ours.tar.gz"),
                           "--messages", "100" if quick else "300"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else f"breakdown failed:\n{done.stderr[-3000:]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter load phases; reuse unchanged models")
    parser.add_argument("--reuse", action="store_true", help="reuse models whose inputs have not changed")
    parser.add_argument("--before", type=Path, help="an earlier results.json whose ratios to show alongside")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("(redis-server not found: the scale-out serving will be left out)")
    results, notes = run_all(args.quick, args.quick or args.reuse)
    before = json.loads(args.before.read_text())["results"] if args.before else None
    table_rows = rows(results, before)
    per_stage = breakdown(args.quick)
    machine = f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine,
              "mode": "quick" if args.quick else "full", "results": results, "notes": notes, "rows": table_rows,
              "breakdown": per_stage}
    (BENCH / "results.json").write_text(json.dumps(report, indent=2))
    chart(results, BENCH / "results.png")
    print(f"\n{report['date']}, {machine}, {report['mode']} run\n")
    print(table(table_rows))
    for name, note in notes.items():
        print(f"\n{COLUMNS[name]}: {note}")
    if any(r["train_reused"] for r in results.values()):
        print("\n(training time reused from an earlier run with the same inputs: --reuse)")
    print("\nPer stage of a message (bench/breakdown.py):\n")
    print(per_stage)
    print(f"Wrote {BENCH / 'results.json'} and {BENCH / 'results.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
