"""serving/deferred_import.py: a deferred module is imported at once and loaded when one of its
names is first used, whichever way it is imported, and never by a look-up of a name its source
does not bind (what pickle's and skops's whichmodule do to every module)."""
import pickle
import sys
import textwrap

import pytest

from serving import deferred_import

PACKAGE = "deferral_sample"


@pytest.fixture
def sample(tmp_path, monkeypatch):
    """A package whose module `heavy` records, in `deferral_sample.runs`, each time its code runs."""
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("runs = []\n")
    (package / "heavy.py").write_text(textwrap.dedent("""
        import deferral_sample
        deferral_sample.runs.append("heavy")
        LIMIT = 3

        def double(x):
            return 2 * x
    """))
    (package / "user.py").write_text("import deferral_sample.heavy\n\ndef use():\n"
                                     "    return deferral_sample.heavy.double(21)\n")
    (package / "broken.py").write_text("import deferral_sample\ndeferral_sample.runs.append('broken')\n"
                                       "FLAG = 1\nraise RuntimeError('cannot load')\n")
    (package / "starred.py").write_text("from os.path import *\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    finder = deferred_import.defer([f"{PACKAGE}.heavy", f"{PACKAGE}.broken", f"{PACKAGE}.starred"])
    yield __import__(PACKAGE)
    sys.meta_path.remove(finder)
    for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
        del sys.modules[name]


def test_importing_runs_nothing_until_a_name_is_used(sample):
    import deferral_sample.heavy  # noqa: F401
    import deferral_sample.heavy as again  # a second import reads __spec__: still nothing runs
    import deferral_sample.user
    from deferral_sample import heavy

    assert sample.runs == [] and deferred_import.is_deferred(f"{PACKAGE}.heavy")
    assert heavy is again and heavy.__name__ == f"{PACKAGE}.heavy" and heavy.__file__.endswith("heavy.py")
    assert deferral_sample.user.use() == 42  # the first use of a name loads it, once
    assert sample.runs == ["heavy"] and heavy.LIMIT == 3 and type(heavy) is type(sys)
    assert not deferred_import.is_deferred(f"{PACKAGE}.heavy")


def test_a_deferred_module_loads_when_a_name_is_used(sample):
    from deferral_sample import heavy

    assert heavy.double(2) == 4 and sample.runs == ["heavy"]


def test_looking_for_a_name_the_source_never_binds_loads_nothing(sample):
    from deferral_sample import heavy

    assert not hasattr(heavy, "log1p") and not hasattr(heavy, "__wrapped__")
    # pickle's whichmodule walks sys.modules asking each for the function's name.
    assert pickle.whichmodule(len, "len") == "builtins"
    assert sample.runs == []
    with pytest.raises(AttributeError, match="has no attribute 'log1p'"):
        heavy.log1p  # noqa: B018


def test_a_module_that_fails_to_load_raises_each_time_and_stays_deferred(sample):
    from deferral_sample import broken

    for _ in range(2):
        with pytest.raises(RuntimeError, match="cannot load"):
            broken.FLAG  # noqa: B018
    assert sample.runs == ["broken", "broken"] and deferred_import.is_deferred(f"{PACKAGE}.broken")


def test_a_source_whose_names_cannot_be_known_loads_for_any_name(sample):
    from deferral_sample import starred

    assert starred.join("a", "b") == "a/b"
    assert deferred_import.bound_names("x = globals()") is deferred_import.ANY_NAME
    assert deferred_import.bound_names("def __getattr__(name): ...") is deferred_import.ANY_NAME
    assert deferred_import.bound_names("import a.b as c\nfrom d import e\nfor i in []: pass\n"
                                       "def f():\n    global g\n    g = 1\n") == {"c", "e", "i", "f", "g"}


def test_dir_loads_it(sample):
    from deferral_sample import heavy

    assert "double" in dir(heavy) and sample.runs == ["heavy"]
