"""What reading a message's meaning costs the context model (hooks/context_model.py), in one run.

    .venv/bin/python bench/context_model_cost.py [MODEL.tar.gz]

Takes the context model of the trained model (words and the sentence encoder's embeddings), trains
a words-only one beside it on the same conversations and topic model, and times each reading the
tune part's follow-ups (tests/eval/tune/follow_ups.yml) in two rounds, taking turns: with words only;
with meaning when the previous message was read on the turn before (the encoder remembers it); with
meaning when nothing was read before. Prints p50 and p95 in ms and their ratios to words only, the
encoder's load time and the memory it adds.
"""
import pickle
import resource
import statistics
import sys
import tarfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hooks.context_model import ContextModel, load_conversations  # noqa: E402


def trained_context_model(model: Path) -> ContextModel:
    with tarfile.open(model) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("follow_ups.pkl"))
        *_, context_model = pickle.loads(archive.extractfile(member).read())
    return context_model


def timed(model: ContextModel, conversations: list, before: str) -> tuple[float, float]:
    times = []
    for turns in conversations:
        message, previous, earlier = turns[-1], turns[-2], turns[-3] if len(turns) > 2 else ""
        if model.encoder is not None:
            model.encoder.remembered.clear()
            if before == "remembered":
                model.encoder.encode([previous, earlier])
        started = time.perf_counter()
        model.read(message, previous, earlier)
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def main() -> None:
    model_path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "clinic-faq.tar.gz"
    meaning = trained_context_model(model_path)
    if not meaning.reads_meaning:
        sys.exit(f"{model_path} has a words-only context model: nothing to compare")
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    from hooks.sentence_encoder import SentenceEncoder

    meaning.attach(SentenceEncoder())
    load_seconds = time.perf_counter() - started
    memory_added = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
    words = ContextModel(meaning.topic_features, meaning.topics).fit(load_conversations())
    follow_ups = yaml.safe_load((ROOT / "tests" / "eval" / "tune" / "follow_ups.yml").read_text(encoding="utf-8"))
    conversations = [item["turns"] for item in follow_ups["conversations"]]
    results: dict[str, list[tuple[float, float]]] = {"words only": [], "meaning, previous remembered": [],
                                                     "meaning, nothing remembered": []}
    for _ in range(2):
        results["words only"].append(timed(words, conversations, ""))
        results["meaning, previous remembered"].append(timed(meaning, conversations, "remembered"))
        results["meaning, nothing remembered"].append(timed(meaning, conversations, "nothing"))
    base = statistics.median(p50 for p50, _ in results["words only"])
    print(f"context model readings of {len(conversations)} tune follow-ups, two rounds taking turns (ms):")
    for name, rounds in results.items():
        p50 = statistics.median(p50 for p50, _ in rounds)
        p95 = statistics.median(p95 for _, p95 in rounds)
        print(f"  {name:30} p50 {p50:6.1f}  p95 {p95:6.1f}  p50 x{p50 / base:4.1f} words only")
    print(f"sentence encoder: loaded in {load_seconds:.2f} s, {memory_added:.0f} MB more memory (max RSS)")


if __name__ == "__main__":
    main()
