"""docs/training.md's worked example 1, carried out exactly as the guide writes it.

Each block the guide marks with `<!-- guide: ... -->` is applied to a copy of the project:
`append to FILE`, or `after "TEXT" in FILE`. Then the copy is validated, trained, and its
running assistant is asked the new question. If the guide and the project drift apart, this
fails.
"""
import re
import shutil
import subprocess
import sys

import pytest

from paths import BIN, ROOT, copy_built_models
from servers import start_assistant

pytestmark = [pytest.mark.model, pytest.mark.server]

GUIDE = ROOT / "docs" / "training.md"
BLOCK = re.compile(r"<!-- guide: (.+?) -->\n```\w*\n(.*?)```", re.S)
LEFT_OUT = shutil.ignore_patterns(".venv", ".git", "models", "var", "results", "test-artifacts", "exports",
                                  "node_modules", "__pycache__", ".pytest_cache", ".rasa", "*.png")


def guide_steps():
    return [(where.strip(), text) for where, text in BLOCK.findall(GUIDE.read_text(encoding="utf-8"))]


def apply(step, project):
    where, text = step
    append = re.fullmatch(r"append to (\S+)", where)
    after = re.fullmatch(r'after "(.+)" in (\S+)', where)
    if append:
        path = project / append.group(1)
        content = path.read_text(encoding="utf-8")
        path.write_text(content + ("" if content.endswith("\n") else "\n") + text, encoding="utf-8")
    elif after:
        path = project / after.group(2)
        anchor = after.group(1) + "\n"
        content = path.read_text(encoding="utf-8")
        assert anchor in content, f"the guide says to add after {anchor!r}, but {path.name} has no such line"
        path.write_text(content.replace(anchor, anchor + text, 1), encoding="utf-8")
    else:
        raise AssertionError(f"the guide's step '{where}' is not one this test knows how to carry out")


def test_the_guide_marks_every_step_of_worked_example_1():
    files = [where.split()[-1] for where, _ in guide_steps()]
    assert files == ["actions/facts.py", "data/faqs.yml", "domain.yml", "data/nlu/treatment.yml",
                     "tests/nlu_holdout.yml"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("guide") / "project"
    shutil.copytree(ROOT, copy, ignore=LEFT_OUT)
    copy_built_models(copy)
    for step in guide_steps():
        apply(step, copy)
    return copy


def test_worked_example_1_validates_trains_and_is_answered(project, tmp_path):
    checks = subprocess.run([sys.executable, "-m", "trainer.validate", "--root", str(project)], cwd=project,
                            capture_output=True, text=True, timeout=300)
    assert checks.returncode == 0, checks.stdout + checks.stderr
    train = subprocess.run([str(BIN / "rasa"), "train", "--out", "models", "--fixed-model-name", "guide"],
                           cwd=project, capture_output=True, text=True, timeout=900)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    # The answer as the copy's registry composes it (in a process of its own: this one has
    # the project's modules loaded).
    expected = subprocess.run([sys.executable, "-c", "from actions import registry; "
                               "print(registry.answer('ask_combining_treatments'), end='')"],
                              cwd=project, capture_output=True, text=True, check=True).stdout
    assert "Dermal Hydrating Treatments" in expected
    with start_assistant(project / "models" / "guide.tar.gz", tmp_path, root=project) as assistant:
        sender = assistant.new_sender()
        replies = assistant.say("can micro-needling be combined with other treatments", sender)
        assert replies and replies[0]["text"] == expected, replies
