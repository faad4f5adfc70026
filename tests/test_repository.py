"""The repository stands on its own: a clone with nothing beside it has all it needs."""
import re
import subprocess

from paths import ROOT

# A relative path that climbs out of its folder ("../x"), or an absolute path to this
# machine's working folders. Either would work here and break in a clinic's clone.
OUTSIDE = re.compile(r"(?<![\w.])(?:\.\./)+[\w.-]+|(?<![\w.])/work/[\w.-]+")


def tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in names.splitlines():
        path = ROOT / name
        if path.suffix in {".png", ".jpg", ".gz", ".lock"} or not path.is_file():
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    found = []
    for name, text in tracked_text_files():
        folder = (ROOT / name).parent
        for number, line in enumerate(text.splitlines(), 1):
            for match in OUTSIDE.finditer(line):
                target = match.group(0)
                resolved = (folder / target).resolve() if target.startswith("..") else None
                if resolved is None or ROOT.resolve() not in (resolved, *resolved.parents):
                    found.append(f"{name}:{number}: {target}")
    assert found == [], "paths outside the repository (a fresh clone has nothing beside it):\n" + "\n".join(found)


def test_the_checker_catches_a_path_outside():
    assert OUTSIDE.search("seeds: ../shared/seeds")
    assert OUTSIDE.search("see " + "/work" + "/shared/x")  # split: this file must pass its own check
    assert not OUTSIDE.search("seeds: sources")
