"""Exports that visitors' text goes into: safe to open in a spreadsheet, private on disk.

Used by `make leads CSV=...` (leads/cli.py) and `make report CSV=...` (trainer/report.py).
"""
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

# A cell a spreadsheet would run as a formula (=HYPERLINK(...) typed as a "preferred time").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Visitors' text is shown, never run: a leading ' makes spreadsheets treat it as text."""
    return "'" + value if value.startswith(FORMULA_START) else value


@contextlib.contextmanager
def private_file(path: Path) -> Iterator[IO[str]]:
    """``path`` opened for writing, readable by its owner only (it holds personal data)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)  # an existing file keeps its old mode otherwise
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
        yield file
