#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 supports 3.8-3.10 only).
# Looks at $PYTHON, then python3.10 on PATH, then pyenv's versions folder.
works() { "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

if [ -n "${PYTHON:-}" ]; then
  # An interpreter named explicitly is used or refused, never silently swapped.
  if works "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "error: PYTHON=$PYTHON is not a working Python 3.10 with venv and ensurepip." >&2
  exit 1
fi

candidates=("$(command -v python3.10 2>/dev/null)")
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
while IFS= read -r found; do candidates+=("$found"); done \
  < <(ls -d "$pyenv_root"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r)

for candidate in "${candidates[@]}"; do
  if [ -n "$candidate" ] && works "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

cat >&2 <<'MSG'
error: no Python 3.10 found. Rasa 3.6 runs on Python 3.8-3.10 only, and this project pins 3.10.
Install one, then run the command again:
  Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv   (or from the deadsnakes PPA)
  macOS:          brew install python@3.10
  pyenv:          pyenv install 3.10.13
Or point to an interpreter explicitly:  make install PYTHON=/path/to/python3.10
MSG
exit 1
