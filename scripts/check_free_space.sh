#!/usr/bin/env bash
# check_free_space.sh MEGABYTES WHAT: fail, saying so, when the filesystem of the current folder
# has less than MEGABYTES free for WHAT. pip's own "[Errno 28] No space left on device" comes a
# minute into an install and leaves a half-filled .venv; this comes first and names the need.
need_mb=$1
what=$2
free_mb=$(df -Pm . | awk 'NR == 2 {print $4}')
if [ -n "$free_mb" ] && [ "$free_mb" -lt "$need_mb" ]; then
  echo "error: $what needs about $need_mb MB free, and $(pwd) has $free_mb MB free." >&2
  echo "Free some space on that disk (df -h . shows it), then run the command again." >&2
  exit 1
fi
