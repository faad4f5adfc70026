"""bench/: `make bench` measures ours the way `make run` serves it, and computes its ratios and
targets right. No servers here: the benchmark itself is not part of `make test`."""
import re
import sys

import pytest

from paths import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import load  # noqa: E402
import run_bench  # noqa: E402
import servings  # noqa: E402


def makefile_defaults() -> dict[str, str]:
    text = (ROOT / "Makefile").read_text()
    return dict(re.findall(r"^export (\w+) \?= ?(.*)$", text, re.M))


def test_ours_gets_the_makefiles_defaults_for_make_run():
    defaults = makefile_defaults()
    env = servings.ours_environment(5055)
    for name in ("ACTION_TIMEOUT", "LOCK_STORE_TYPE", "MODEL_RELOAD_SECONDS", "REDIS_DB", "ACTIONS_IN_PROCESS"):
        assert env[name] == defaults[name], name
    assert defaults["TRACKER_STORE_URL"].startswith("sqlite:///")


def test_ours_is_started_with_run_shs_commands(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(servings.Served, "start", lambda self, command, env, name: started.append(command))
    served = servings.embedded("models/clinic-faq.tar.gz", tmp_path)
    [rasa] = (" ".join(command[1:]) for command in started)  # the actions inside it: no action server
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    assert rasa.startswith("-m serving run --model models/clinic-faq.tar.gz ")
    assert "--endpoints endpoints.yml --credentials credentials.yml" in rasa
    assert "--endpoints endpoints.yml --credentials credentials.yml" in run_sh.replace(" \\\n  ", " ")
    assert len(served.urls) == 1 and served.urls[0].endswith("/webhooks/rest/webhook")


def test_the_scale_out_serving_calls_its_action_server(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(servings.Served, "start", lambda self, command, env, name: started.append((command, env)))
    servings.scale_out("models/clinic-faq.tar.gz", tmp_path, "postgresql://u@127.0.0.1/db", 6379, replicas=2)
    commands = [" ".join(command[1:]) for command, _ in started]
    assert commands[0].startswith("-m serving actions ") and "-m serving actions --host" in \
        (ROOT / "scripts" / "run.sh").read_text()
    assert len(commands) == 3 and all(env["ACTIONS_IN_PROCESS"] == "0" for _, env in started)


def results(embedded: dict, default: dict) -> dict:
    keys = list(run_bench.LABELS)
    return {"embedded": {k: embedded.get(k, 1.0) for k in keys}, "default": {k: default.get(k, 1.0) for k in keys}}


def test_ratios_and_targets():
    measured = results({"startup_seconds": 2.0, "throughput_16": 120.0, "rss_mb": 300.0},
                       {"startup_seconds": 10.0, "throughput_16": 30.0, "rss_mb": 900.0})
    before = results({"startup_seconds": 9.0}, {"startup_seconds": 10.0})
    rows = {row["metric"]: row for row in run_bench.rows(measured, before)}
    assert rows["startup_seconds"]["ratio"] == pytest.approx(0.2) and rows["startup_seconds"]["met"]  # ≤ 0.25
    assert rows["throughput_16"]["ratio"] == pytest.approx(4.0) and not rows["throughput_16"]["met"]  # ≥ 6
    assert rows["rss_mb"]["met"] and rows["rss_mb"]["target"] == "≤ 0.33"
    assert rows["startup_seconds"]["ratio_before"] == pytest.approx(0.9)
    table = run_bench.table(list(rows.values()))
    assert "| start-up, to first answer (s) | 2.0 | 10.0 | 0.20 | ≤ 0.25 | yes | 0.90 |" in table
    assert "| throughput, 16 visitors (msg/s) | 120.0 | 30.0 | 4.00 | ≥ 6 | **no** |" in table


def test_samples_add_up_across_rounds():
    total = load.Samples()
    total.add(load.Samples(latencies=[10.0, 20.0], seconds=1.0, errors=0))
    total.add(load.Samples(latencies=[30.0], seconds=0.5, errors=1))
    many = total.many_visitors()
    assert many["throughput_16"] == pytest.approx(2.0) and many["errors_16"] == 1 and many["messages_16"] == 3
    assert total.one_visitor()["p50_ms_1"] == 20.0


def test_memory_of_a_process_tree_is_read_from_proc():
    import os

    rss, pss = servings.memory_mb(os.getpid())
    assert rss > 10 and 0 < pss <= rss
    assert servings.process_tree(os.getpid())[0] == os.getpid()


def test_the_blind_rows_score_replies_as_make_eval_does():
    import accuracy

    from actions import answers, registry

    price = answers.cost(1)
    not_covered = registry.answer("ask_not_covered", [])
    items = [{"text": "how much is it", "expect": "cost"}, {"text": "does insurance cover it", "expect": "not_covered"},
             {"text": "how much for 3", "expect": "cost", "mentions": "€510"}]
    assert accuracy.real_style_accuracy(items, [price, not_covered, price]) == pytest.approx(2 / 3)
    assert accuracy.facts_given([[price], [not_covered], [], [not_covered, price]]) == pytest.approx(2 / 4)
    assert len(accuracy.blind_questions()["real_style"]) > 100
