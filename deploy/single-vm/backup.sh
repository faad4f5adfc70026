#!/bin/sh
# Backs up the assistant's data on one machine: consistent copies of the two SQLite stores
# (SQLite's online backup: safe while the service runs), the settings and the secrets.
#
#   backup.sh [DEST]      default DEST: /var/backups/clinic-assistant
#
# Each run makes DEST/<UTC time>/ (mode 700). Backups hold personal data: runs older than
# KEEP_DAYS (default 7) are deleted, so a request deleted by staff or by the retention
# period is gone from the backups within that many days too. Restore: docs/operators.md.
# Run daily by clinic-assistant-backup.timer. Tested: tests/test_deploy.py.
set -eu
STATE_DIR=${STATE_DIR:-/var/lib/clinic-assistant}
ETC_DIR=${ETC_DIR:-/etc/clinic-assistant}
PYTHON=${PYTHON:-/opt/clinic-assistant/.venv/bin/python}
KEEP_DAYS=${KEEP_DAYS:-7}
DEST=${1:-/var/backups/clinic-assistant}

umask 077
target="$DEST/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
for db in conversations.db leads.db; do
  if [ -f "$STATE_DIR/$db" ]; then
    "$PYTHON" - "$STATE_DIR/$db" "$target/$db" <<'PY'
import sqlite3, sys
source = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
copy = sqlite3.connect(sys.argv[2])
source.backup(copy)  # a consistent snapshot, even while the servers write
assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "the copy is damaged"
copy.close()
source.close()
PY
  fi
done
for file in assistant.env leads.yml; do
  if [ -f "$ETC_DIR/$file" ]; then cp -p "$ETC_DIR/$file" "$target/"; fi
done
find "$DEST" -mindepth 1 -maxdepth 1 -type d -mtime +"$KEEP_DAYS" -exec rm -rf {} +
echo "$target"
