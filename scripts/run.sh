#!/usr/bin/env bash
# Start the action server and the Rasa server; print the URLs; stop both on Ctrl-C.
# Called by `make run`, which has already installed and trained. Settings come from
# the environment (defaults in the Makefile; see README "Configuration").
set -euo pipefail
cd "$(dirname "$0")/.."

: "${RASA_PORT:?}" "${ACTIONS_PORT:?}" "${ACTIONS_HOST:?}" "${TRACKER_STORE_URL:?}" "${MODEL:?}"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$RASA_PORT" "$ACTIONS_PORT"; do
  if port_busy "$port"; then
    echo "error: port $port is already in use (another assistant still running?). Stop it, or choose" >&2
    echo "       other ports: make run RASA_PORT=5006 ACTIONS_PORT=5056" >&2
    exit 1
  fi
done

api_args=()
if [ -n "${RASA_TOKEN:-}" ]; then
  # The HTTP API (trackers, model, parse) is only exposed behind a token.
  api_args=(--enable-api --auth-token "$RASA_TOKEN")
fi

pids=()
stop() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'echo; echo "Stopping..."; exit 0' INT TERM

# rasa_sdk's app (serving/actions.py), not `rasa run actions`, which would import all of
# Rasa (and TensorFlow) first.
.venv/bin/python -m serving actions --host "$ACTIONS_HOST" --port "$ACTIONS_PORT" &
pids+=($!)
# `python -m serving run` is `rasa run` plus a measured fix (serving/speedups.py) and
# clean handling of store and action-server failures (serving/reliability.py).
.venv/bin/python -m serving run --model "$MODEL" --port "$RASA_PORT" --endpoints endpoints.yml \
  --credentials credentials.yml ${api_args[@]+"${api_args[@]}"} &
pids+=($!)
.venv/bin/python -m console serve --host "${CONSOLE_HOST:-127.0.0.1}" --port "${CONSOLE_PORT:-5006}" & pids+=($!)  # the staff console

all_alive() {
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
}

for _ in $(seq 1 180); do
  if ! all_alive; then
    echo "error: a server failed to start (see the log above)." >&2
    exit 1
  fi
  if curl -fsS "http://127.0.0.1:$RASA_PORT/" >/dev/null 2>&1 \
     && curl -fsS "http://$ACTIONS_HOST:$ACTIONS_PORT/health" >/dev/null 2>&1; then
    cat <<MSG

  The assistant is up.
    Chat (REST):    POST http://localhost:$RASA_PORT/webhooks/rest/webhook
                    curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender": "me", "message": "how much does it cost?"}'
    Chat widget:    http://localhost:$RASA_PORT/webhooks/widget/demo   (open this in a browser)
    Embed it with:  <script src="http://localhost:$RASA_PORT/webhooks/widget/widget.js" defer></script>
    Action server:  http://$ACTIONS_HOST:$ACTIONS_PORT/health
    Conversations:  $(sed -E 's#://([^:/@]+):[^@]*@#://\1:***@#' <<< "$TRACKER_STORE_URL")  (locks: $LOCK_STORE_TYPE)
    Requests:       make leads   (consultation requests for the clinic's staff)
    Staff console:  ${CONSOLE_URL:-http://localhost:${CONSOLE_PORT:-5006}}/   (sign in; accounts: make staff-account EMAIL=name@clinic)
    HTTP API:       $([ -n "${RASA_TOKEN:-}" ] && echo "enabled, token required" || echo "off (set RASA_TOKEN to enable it behind a token)")
  Press Ctrl-C to stop.

MSG
    while all_alive; do sleep 1; done
    echo "A server exited; stopping the other." >&2
    exit 1
  fi
  sleep 1
done
echo "error: the servers did not become ready within 180 s." >&2
exit 1
