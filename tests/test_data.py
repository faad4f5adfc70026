"""Rasa's own checks on the training data, domain and dialogue."""
import subprocess

from paths import BIN, ROOT


def rasa(*args, timeout=600):
    return subprocess.run(
        [str(BIN / "rasa"), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_rasa_data_validate_is_clean():
    result = rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_test_stories_pass_with_no_prediction_errors(model_path, tmp_path):
    result = rasa(
        "test", "core", "--model", str(model_path), "--stories", "tests/test_stories.yml",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
