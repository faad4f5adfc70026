"""The test suite's own rules: test modules share code through helper modules only, and a
test that starts a server cannot slip into the fast lane (`make test-fast`) unmarked."""
import ast

import pytest

import lanes
import servers
from paths import ROOT

TESTS = ROOT / "tests"


def imported_modules(path):
    """Every module a file imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_no_test_module_imports_another_test_module_or_conftest():
    offenders = [f"{path.name} imports {name}" for path in sorted(TESTS.glob("*.py")) if path.name != "conftest.py"
                 for name in imported_modules(path) if name == "conftest" or name.startswith("test_")]
    assert offenders == [], "share code through a helper module (servers.py, paths.py...): " + "; ".join(offenders)


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("def test_x():\n    from conftest import ROOT\n    import test_other\n")
    assert list(imported_modules(sample)) == ["conftest", "test_other"]


def test_an_unmarked_test_cannot_start_a_server(tmp_path):
    """This test has no lane marker: the helpers refuse before starting anything."""
    assert lanes.declared == set()
    with pytest.raises(pytest.fail.Exception, match="mark it `server`"):
        servers.actions_server(servers.free_port(), {}, tmp_path / "actions.log")
    assert not (tmp_path / "actions.log").exists()
