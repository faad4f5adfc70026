"""A short summary of `rasa test nlu` results, printed by `make eval`.

    python -m trainer.eval RESULTS_DIR

Reads RESULTS_DIR/intent_report.json and intent_errors.json (written by `rasa test nlu`)
and prints the intent accuracy, the weakest intents by F1 with precision and recall,
and the most confused pairs. Rasa's confusion matrix and histogram images are beside them.
"""
import json
import sys
from collections import Counter
from pathlib import Path

SUMMARY_ROWS = 10
MISSES_SHOWN = 25


def summarise(results: Path) -> str:
    report_file = results / "intent_report.json"
    if not report_file.is_file():
        raise SystemExit(f"error: no {report_file}; run `make eval` (it runs `rasa test nlu` first)")
    report = json.loads(report_file.read_text())
    errors_file = results / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.is_file() else []

    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "f1-score" in v and not k.endswith("avg")}
    lines = [f"Intent accuracy: {report['accuracy']:.1%} on {sum(v['support'] for v in intents.values())} phrasings"
             f" ({len(errors)} wrong)", "", f"Weakest intents (all {len(intents)} in {report_file}):",
             f"  {'intent':<26} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}"]
    for name, v in sorted(intents.items(), key=lambda kv: (kv[1]["f1-score"], kv[0]))[:SUMMARY_ROWS]:
        lines.append(f"  {name:<26} {v['precision']:>9.2f} {v['recall']:>7.2f} {v['f1-score']:>6.2f} {v['support']:>4}")
    pairs = Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
    if pairs:
        lines += ["", "Most confused (expected -> predicted):"]
        lines += [f"  {a} -> {b}: {n}" for (a, b), n in pairs.most_common(SUMMARY_ROWS)]
        lines += ["", "Misses (expected -> predicted: text):"]
        lines += [f"  {e['intent']} -> {e['intent_prediction']['name']}: {e['text']}" for e in errors[:MISSES_SHOWN]]
        more = f" ({len(errors) - MISSES_SHOWN} more)" if len(errors) > MISSES_SHOWN else ""
        lines += [f"All misses{more}: {errors_file}"]
    images = [p.name for p in (results / "intent_confusion_matrix.png", results / "intent_histogram.png") if p.exists()]
    if images:
        lines.append(f"Charts: {', '.join(str(results / i) for i in images)}")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = argv if argv is not None else sys.argv[1:]
    if len(argv) != 1:
        raise SystemExit("usage: python -m trainer.eval RESULTS_DIR")
    print(summarise(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
