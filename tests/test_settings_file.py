"""leads.yml changed while servers run: written by the staff console (leads/settings_file.py),
whole or not at all, with its comments; read again by running servers when it changes
(leads.settings.current and live). The console's page and a real action server picking
the change up are in tests/test_console_settings.py."""
import logging
import os
import threading

import pytest
import yaml

from lead_samples import SAMPLES, write_settings
from leads import settings, settings_file
from leads.settings import SettingsError
from paths import ROOT

PROJECT_FILE = ROOT / "leads.yml"


def project_copy(tmp_path):
    path = tmp_path / "leads.yml"
    path.write_text(PROJECT_FILE.read_text())
    return path


def changed(data, **values):
    """A copy of leads.yml's data with dotted settings changed: changed(d, **{"notification.via": "smtp"})."""
    data = yaml.safe_load(yaml.safe_dump(data))
    for name, value in values.items():
        *sections, key = name.split(".")
        where = data
        for section in sections:
            where = where.setdefault(section, {})
        where[key] = value
    return data


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name != "leads.yml")


# --- writing ------------------------------------------------------------------------------

def test_the_project_file_is_its_own_template():
    text = PROJECT_FILE.read_text()
    assert settings_file.fill(text, yaml.safe_load(text)) == text


def test_a_save_changes_only_the_values_and_keeps_every_comment(tmp_path):
    path = project_copy(tmp_path)
    before = path.read_text()
    data = changed(yaml.safe_load(before), retention_days=14, time_zone="Europe/Berlin",
                   **{"notification.via": "smtp", "notification.smtp.host": "mail.example.com",
                      "notification.smtp.from": "assistant@example.com",
                      "notification.smtp.to": "Zoë <desk@example.com>"})
    saved = settings_file.save(path, data, environ={})
    assert (saved.retention_days, saved.smtp.recipient, str(saved.time_zone)) == (14, "Zoë <desk@example.com>",
                                                                                 "Europe/Berlin")
    after = path.read_text()
    assert yaml.safe_load(after) == data
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments == [line for line in after.splitlines() if line.lstrip().startswith("#")]
    assert len(before.splitlines()) == len(after.splitlines())
    # A comment after a value stays in its column when the value leaves room for it.
    [via_before] = [line for line in before.splitlines() if line.strip().startswith("via:")]
    [via_after] = [line for line in after.splitlines() if line.strip().startswith("via:")]
    assert via_after.index("#") == via_before.index("#") and '"smtp"' in via_after
    assert leftovers(tmp_path) == []


def test_a_file_in_another_layout_gets_the_projects_comments_and_keeps_its_other_settings(tmp_path):
    path = tmp_path / "leads.yml"
    path.write_text(yaml.safe_dump({"retention_days": 30, "notification": {"via": "off"}, "future_setting": [1, 2]}))
    data = changed(yaml.safe_load(PROJECT_FILE.read_text()), retention_days=10, future_setting=[1, 2])
    settings_file.save(path, data, environ={})
    text = path.read_text()
    assert yaml.safe_load(text) == data
    assert "# Personal data is deleted this many days" in text and "future_setting" in text


@pytest.mark.parametrize("name, value, message", [
    ("retention_days", "two weeks", "retention_days must be a whole number of days, 1 or more (found 'two weeks')"),
    ("retention_days", 0, "retention_days must be a whole number of days"),
    ("time_zone", "Mars/Olympus", "time_zone must be a time zone name such as Europe/Berlin"),
    ("notification.via", "pigeon", "notification.via must be one of off, webhook, smtp"),
])
def test_a_wrong_value_is_refused_and_the_file_stays_as_it_was(tmp_path, name, value, message):
    path = project_copy(tmp_path)
    before, inode = path.read_bytes(), path.stat().st_ino
    with pytest.raises(SettingsError) as error:
        settings_file.save(path, changed(yaml.safe_load(before), **{name: value}), environ={})
    assert message in error.value.problem and error.value.settings == (name,)
    assert str(path) not in error.value.problem  # the message for a form: no file name
    assert path.read_bytes() == before and path.stat().st_ino == inode and leftovers(tmp_path) == []


def test_a_webhook_over_http_to_another_machine_is_refused_with_its_reason(tmp_path):
    path = project_copy(tmp_path)
    data = changed(yaml.safe_load(path.read_text()), **{"notification.via": "webhook",
                                                       "notification.webhook.url": "http://hooks.example.com/x"})
    with pytest.raises(SettingsError) as error:
        settings_file.save(path, data, environ={})
    assert error.value.settings == ("notification.webhook.url",) and "must use https" in error.value.problem


def test_missing_smtp_settings_name_each_of_them(tmp_path):
    path = project_copy(tmp_path)
    data = changed(yaml.safe_load(path.read_text()), **{"notification.via": "smtp",
                                                       "notification.smtp.host": "mail.example.com"})
    with pytest.raises(SettingsError) as error:
        settings_file.save(path, data, environ={})
    assert error.value.settings == ("notification.smtp.from", "notification.smtp.to")


@pytest.mark.parametrize("case", SAMPLES["bad_settings"], ids=lambda c: c["expect"])
def test_every_problem_with_a_setting_names_it(tmp_path, case):
    path = tmp_path / "leads.yml"
    path.write_text(case["yaml"])
    with pytest.raises(SettingsError) as error:
        settings.load(path, environ={})
    assert str(error.value).startswith(f"{path}: ")
    for name in error.value.settings:
        assert name.rsplit(".", 1)[-1] in error.value.problem


def test_a_save_is_atomic_readers_see_the_old_file_or_the_new_one(tmp_path):
    """The file is replaced by a rename: a reader holding the old file keeps reading it
    whole, and readers in a loop never see half a file."""
    path = project_copy(tmp_path)
    base = yaml.safe_load(path.read_text())
    held = path.open()  # a reader that opened the old file
    old_inode = os.fstat(held.fileno()).st_ino
    seen, stop = set(), threading.Event()

    def read_in_a_loop():
        while not stop.is_set():
            seen.add(yaml.safe_load(path.read_text())["retention_days"])  # raises on half a file

    readers = [threading.Thread(target=read_in_a_loop) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for days in range(2, 60):
            settings_file.save(path, changed(base, retention_days=days), environ={})
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert yaml.safe_load(held.read())["retention_days"] == 30  # the old file, whole, under the reader
    held.close()
    assert path.stat().st_ino != old_inode and yaml.safe_load(path.read_text())["retention_days"] == 59
    assert seen <= {30, *range(2, 60)} and len(seen) > 1
    assert leftovers(tmp_path) == []


def test_the_file_keeps_its_permissions(tmp_path):
    path = project_copy(tmp_path)
    path.chmod(0o640)
    settings_file.save(path, changed(yaml.safe_load(path.read_text()), retention_days=9), environ={})
    assert oct(path.stat().st_mode)[-3:] == "640"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_folder_that_cannot_be_written_is_a_clear_error(tmp_path):
    folder = tmp_path / "mounted"
    folder.mkdir()
    path = project_copy(folder)
    folder.chmod(0o555)
    try:
        assert not settings_file.writable(path)
        with pytest.raises(SettingsError) as error:
            settings_file.save(path, changed(yaml.safe_load(path.read_text()), retention_days=9), environ={})
        assert "its folder is not writable" in str(error.value)
    finally:
        folder.chmod(0o755)


# --- reading again while running ------------------------------------------------------------

def test_current_reads_the_file_again_when_it_changes(tmp_path):
    path = write_settings(tmp_path / "leads.yml", retention_days=30)
    first = settings.current(path, environ={})
    assert settings.current(path, environ={}) is first  # unchanged: from memory
    settings_file.save(path, changed(yaml.safe_load(path.read_text()), retention_days=12), environ={})
    assert settings.current(path, environ={}).retention_days == 12


def test_a_file_broken_by_hand_leaves_the_last_good_settings_and_says_so(tmp_path, caplog):
    path = write_settings(tmp_path / "leads.yml", retention_days=21)
    assert settings.current(path, environ={}).retention_days == 21
    path.write_text("retention_days: soon\n")
    with caplog.at_level(logging.ERROR, logger="leads.settings"):
        assert settings.current(path, environ={}).retention_days == 21
        assert settings.current(path, environ={}).retention_days == 21
    assert [r.getMessage() for r in caplog.records].count(
        f"{path}: retention_days must be a whole number of days, 1 or more (found 'soon'). "
        f"The settings read before stay in force until the file is fixed.") == 1  # once per change
    write_settings(path, retention_days=5)
    assert settings.current(path, environ={}).retention_days == 5


def test_a_broken_file_at_start_up_is_an_error(tmp_path):
    path = tmp_path / "leads.yml"
    path.write_text("retention_days: 0\n")
    with pytest.raises(SettingsError, match="retention_days must be a whole number"):
        settings.live(path, environ={})


def test_live_settings_follow_the_file(tmp_path):
    path = write_settings(tmp_path / "leads.yml", retention_days=30)
    followed = settings.live(path, environ={"LEADS_DB_URL": "sqlite://"})
    assert isinstance(followed, settings.Settings) and followed.retention_days == 30
    assert followed.db_url == "sqlite://" and followed.file == path
    write_settings(path, retention_days=8, notification={"via": "webhook", "webhook": {"url": "https://h.example/x"}})
    assert (followed.retention_days, followed.notify_via, followed.webhook.url) == (8, "webhook", "https://h.example/x")
    assert followed.snapshot() == settings.load(path, environ={"LEADS_DB_URL": "sqlite://"})


def test_a_copy_of_live_settings_with_a_change_is_fixed(tmp_path):
    import dataclasses

    path = write_settings(tmp_path / "leads.yml", retention_days=30)
    copy = dataclasses.replace(settings.live(path, environ={}), db_url="sqlite://")
    assert type(copy) is settings.Settings and (copy.db_url, copy.retention_days) == ("sqlite://", 30)
    write_settings(path, retention_days=4)
    assert copy.retention_days == 30
