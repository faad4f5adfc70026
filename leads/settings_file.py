"""Writes leads.yml: the staff console's Settings page changes it (console/clinic_settings.py).

A save is checked before anything is written, by leads.settings' own checks, then written
to a temporary file next to the old one, read back and checked again, and only then put
in its place with a rename: a reader (the action server, ``current()``) sees the old
file or the new one, never half of one, and a wrong value leaves the old file as it was.

The comments stay. No YAML library here can rewrite a file and keep them (ruamel.yaml is
not a dependency), so the values are put into the lines that hold them, and the result is
accepted only if YAML reads back exactly the settings meant. The file's own lines are
used when they hold every setting; otherwise (a file written by hand in another layout,
or missing settings) the project's leads.yml, whose comments explain every setting, is the
template. Settings the page does not edit are kept, at the end if the template lacks them.
"""
import contextlib
import dataclasses
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from leads.settings import DEFAULT_FILE, Settings, SettingsError, from_data, load

# "  key: value   # comment": the value is a quoted string or plain text without a '#'.
LINE = re.compile(r"""^(?P<indent>\s*)(?P<key>[A-Za-z_][\w-]*):(?P<space>[ \t]+)"""
                  r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^#\s][^#]*?)(?P<rest>\s+#.*)?$""")
SECTION = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w-]*):\s*(#.*)?$")


def scalar(value: Any) -> str:
    """A value as YAML writes it in one line: numbers and booleans bare, text quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value is None:
        return '""'
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def flatten(data: Mapping, prefix: str = "") -> dict[str, Any]:
    """{"notification": {"via": "off"}} -> {"notification.via": "off"}."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def fill(template: str, data: dict) -> str | None:
    """``template`` with every setting of ``data`` in its line; None if it cannot hold them
    all in place (a setting it lacks, another layout), so that nothing is guessed."""
    wanted = flatten(data)
    placed: set[str] = set()
    sections: list[tuple[int, str]] = []  # the enclosing sections: (indent, key)
    lines = []
    for line in template.splitlines():
        match = LINE.match(line) or SECTION.match(line)
        if match and not line.lstrip().startswith("#"):
            indent = len(match["indent"])
            while sections and sections[-1][0] >= indent:
                sections.pop()
            name = ".".join([key for _, key in sections] + [match["key"]])
            if "value" not in match.groupdict():
                sections.append((indent, match["key"]))
            elif name in wanted:
                value, rest = scalar(wanted[name]), match["rest"] or ""
                if rest:  # the comment stays in its column when there is room
                    comment = rest.lstrip()
                    room = len(match["value"]) + len(rest) - len(comment) - len(value)
                    rest = " " * max(1, room) + comment
                line = f"{match['indent']}{match['key']}:{match['space']}{value}{rest}"
                placed.add(name)
        lines.append(line)
    extra = {key: value for key, value in data.items() if not any(n == key or n.startswith(key + ".") for n in placed)}
    text = "\n".join(lines) + "\n"
    if extra:
        text += "\n# Kept from the file as it was (the staff console does not edit these).\n"
        text += yaml.safe_dump(extra, allow_unicode=True, sort_keys=False)
    try:
        return text if yaml.safe_load(text) == data else None
    except yaml.YAMLError:
        return None


def render(data: dict, current_text: str | None) -> str:
    """The file's new text: the current file's lines if they hold every setting, else the
    project's leads.yml's, else (never for the project's own file) plain YAML."""
    for template in (current_text, DEFAULT_FILE.read_text(encoding="utf-8") if DEFAULT_FILE.is_file() else None):
        if template:
            text = fill(template, data)
            if text is not None:
                return text
    return "# Consultation requests' settings (the project's leads.yml explains each).\n" + yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False)


def writable(path: Path) -> bool:
    """Whether the file can be replaced: a new file is written beside it, then renamed."""
    folder = Path(os.path.realpath(path)).parent
    return os.access(folder, os.W_OK | os.X_OK)


def version(path: Path) -> str:
    """Names the file's content, so that a form saved from an older version is noticed."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def save(path: Path, data: dict, environ: Mapping[str, str] = os.environ) -> Settings:
    """Checks ``data`` (SettingsError: nothing is written), then replaces the file with it
    atomically; returns the settings as read back from the new file."""
    from_data(data, path, environ)
    target = Path(os.path.realpath(path))  # a symlinked leads.yml: replace the file it points to
    try:
        current_text: str | None = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current_text = None
    text = render(data, current_text)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".saving")
    except OSError as error:
        raise SettingsError(f"{path}: cannot be saved: its folder is not writable ({error.strerror}). "
                            f"Whoever runs the assistant can change it there.") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        saved = load(Path(temporary), environ)  # the file as written reads back, before it counts
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a power cut
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return dataclasses.replace(saved, file=Path(path))
