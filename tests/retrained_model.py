"""A second, really trained model that differs from models/clinic-faq.tar.gz in one visible way:
its greeting (domain.yml's utter_greet). For the tests of a new model reaching running servers
(tests/test_model_reload.py, tests/test_scale_out.py).

`rasa train` with the project's config and data and a copy of domain.yml whose greeting is
changed, into a temporary folder (never models/). Rasa's training cache (.rasa/, filled by
`make train`) restores every component whose inputs did not change, so it takes about 20 s.
Trained once per test session.
"""
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NEW_GREETING = "Hello from the retrained assistant. What would you like to know about micro-needling?"

_trained: dict[str, Path] = {}


def current_greeting() -> str:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return domain["responses"]["utter_greet"][0]["text"]


def retrained_model(folder: Path) -> Path:
    """The retrained model's archive (trained into `folder` on the session's first call)."""
    if "model" not in _trained:
        _trained["model"] = _train(folder)
    return _trained["model"]


def _train(folder: Path) -> Path:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    domain["responses"]["utter_greet"][0]["text"] = NEW_GREETING
    (folder / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False), encoding="utf-8")
    log = folder / "train.log"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "train", "--domain", str(folder / "domain.yml"),
         "--config", "config.yml", "--data", "data", "--out", str(folder), "--fixed-model-name", "retrained"],
        cwd=ROOT, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, stdout=log.open("w"),
        stderr=subprocess.STDOUT, timeout=900)
    model: Path | None = folder / "retrained.tar.gz"
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"rasa train failed (exit {result.returncode}):\n{log.read_text()[-3000:]}")
    return model
