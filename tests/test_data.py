"""Rasa's own checks on the training data, domain and dialogue."""
import subprocess
import warnings

import pytest

from paths import BIN, ROOT


def rasa(*args, timeout=600):
    return subprocess.run(
        [str(BIN / "rasa"), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_rasa_data_validate_is_clean():
    """`rasa data validate --fail-on-warnings`, run in this process: Rasa is loaded already,
    which saves the command's 3 s of imports in the fast lane (make test-fast)."""
    from rasa.cli.utils import validate_files
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        config_path=str(ROOT / "config.yml"), domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "data")])
    with warnings.catch_warnings(record=True) as found:  # Rasa reports each problem as a warning
        warnings.simplefilter("always")
        try:
            validate_files(fail_on_warnings=True, max_history=None, importer=importer)
        except SystemExit:
            pytest.fail("Rasa's checks found problems:\n" + "\n".join(str(w.message) for w in found), pytrace=False)


def test_test_stories_pass_with_no_prediction_errors(model_path, tmp_path):
    result = rasa(
        "test", "core", "--model", str(model_path), "--stories", "tests/test_stories.yml",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
