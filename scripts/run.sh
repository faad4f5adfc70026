#!/usr/bin/env bash
# `make run`:   set up (install, spaCy pipeline, train), start the Rasa server (with the custom
#               actions inside it; ACTIONS_IN_PROCESS=0: and an action server) and the staff
#               console, print the URLs; Ctrl-C stops them and exits 0.
# `make shell`: (--shell) chat in the terminal (scripts/terminal_chat.py) with the assistant
#               that `make run` is serving on RASA_PORT; if none is, start one for the chat.
#
# The screen shows one line per step, a spinner while a step takes long, and the warnings and
# errors that matter. Everything the tools print goes to var/logs/run-<time>.log, named on
# screen. Settings come from the environment (defaults in the Makefile; README "Configuration").
shopt -s extglob
set -uo pipefail # no -e: a failed step is reported with the end of its log, then we exit
cd "$(dirname "$0")/.."

: "${RASA_PORT:?}" "${TRACKER_STORE_URL:?}" "${MODEL:?}"
MAKE=${MAKE:-make}
# Where the custom actions run (serving/actions_in_process.py): 1, inside the Rasa server (the
# embedded mode's default: one process, no HTTP between them); 0, in an action server this
# script starts too, at ACTIONS_HOST:ACTIONS_PORT (as deploy/'s scale-out mode runs them).
export ACTIONS_IN_PROCESS=${ACTIONS_IN_PROCESS:-1}
case $ACTIONS_IN_PROCESS in
  1) ;;
  0) : "${ACTIONS_PORT:?}" "${ACTIONS_HOST:?}" ;;
  *) echo "error: ACTIONS_IN_PROCESS must be 1 (the custom actions run inside the Rasa server) or 0 (in an action server), not '$ACTIONS_IN_PROCESS'" >&2
     exit 1 ;;
esac
RASA_HOST=${RASA_HOST:-0.0.0.0}
# Where this machine reaches the Rasa server: loopback, unless it listens on one address only.
case $RASA_HOST in 0.0.0.0 | :: | '') RASA_LOCAL=127.0.0.1 ;; *) RASA_LOCAL=$RASA_HOST ;; esac
SHELL_MODE=0
[ "${1:-}" = "--shell" ] && SHELL_MODE=1

# A person at a terminal: spinners, colours, and Ctrl-C handled as below.
INTERACTIVE=0
[ -t 0 ] && [ -t 1 ] && INTERACTIVE=1
if [ "$INTERACTIVE" = 1 ]; then
  BOLD=$'\e[1m' YELLOW=$'\e[33m' RED=$'\e[31m' GREEN=$'\e[32m' RESET=$'\e[0m'
else
  BOLD='' YELLOW='' RED='' GREEN='' RESET=''
fi

# --- Which lines matter ------------------------------------------------------------------
# Log lines at WARNING or above, Python's UserWarnings (Rasa's data checks use them), and the
# last line of a traceback...
IMPORTANT='(^|[[:space:]])\[?(WARNING|ERROR|CRITICAL)\]?[[:space:]]|UserWarning: |^[A-Za-z_.]*(Error|Exception): '
# ...except known ones that need no action: responses that the project's custom actions send
# (Rasa only looks for them in stories and rules; `make validate` checks them properly), and
# the classifier's iteration limit (config.yml was tuned on held-out accuracy, not on this).
KNOWN_NOISE='is not used in any story or rule|ConvergenceWarning'
# News worth a line although it is no warning: a new model was loaded (serving/model_reload.py).
NEWS='serving\.model_reload +- Loaded the new model'

# Reads log lines on stdin; prints the important ones, shortened, under the current step.
show_important() {
  local line level
  while IFS= read -r line; do
    line=${line//$'\e'\[*([0-9;])m/} # colours
    if [[ $line =~ $NEWS ]]; then
      printf '      %s\n' "${line#*- }"
      continue
    fi
    [[ $line =~ $IMPORTANT ]] || continue
    [[ $line =~ $KNOWN_NOISE ]] && continue
    level=warning
    [[ $line =~ (ERROR|CRITICAL|Error:|Exception:) ]] && level=error
    line=${line#*UserWarning: }
    # "2026-11-27 16:55:29 WARNING  rasa.core.x  - message" -> "rasa.core.x: message"
    if [[ $line =~ (WARNING|ERROR|CRITICAL)[[:space:]]+([^[:space:]]+)[[:space:]]+-[[:space:]]+(.*)$ ]]; then
      line="${BASH_REMATCH[2]}: ${BASH_REMATCH[3]}"
    fi
    if [ "$level" = error ]; then
      printf '      %serror:%s %s\n' "$RED" "$RESET" "${line:0:300}"
    else
      printf '      %swarning:%s %s\n' "$YELLOW" "$RESET" "${line:0:300}"
    fi
  done
}

# --- Ctrl-C ------------------------------------------------------------------------------------
# `make` dies of the terminal's SIGINT and then reports "Interrupt" or "Error", whatever its
# recipe does. So at a terminal every wait runs as a job of its own (bash job control, set -m):
# the job gets the terminal, Ctrl-C reaches it alone, and this script sees its status (>= 128)
# and stops cleanly. Without a terminal (a process manager, a test) the signals are trapped.
STOP_REQUESTED=0
on_signal() { STOP_REQUESTED=1; }
trap on_signal INT TERM HUP

# in_foreground FUNCTION...: run FUNCTION in a subshell; its exit status, >= 128 if stopped.
in_foreground() {
  local status job
  if [ "$INTERACTIVE" = 1 ]; then
    set -m
    ( "$@" )
    status=$?
    set +m
  elif [ "${WAIT_IN_BACKGROUND:-0}" = 1 ]; then
    # `wait` returns as soon as a trapped signal arrives; a foreground command would delay it.
    ( "$@" ) &
    job=$!
    wait "$job"
    status=$?
    if [ "$STOP_REQUESTED" = 1 ]; then kill -TERM "$job" 2>/dev/null; wait "$job" 2>/dev/null; fi
  else
    ( "$@" )
    status=$?
  fi
  [ "$STOP_REQUESTED" = 1 ] && status=130
  return $status
}

SERVER_PIDS=()
SERVER_NAMES=()
WATCH_PID=''
stopped_server() { # the name of the first server that is no longer running
  local i
  for i in "${!SERVER_PIDS[@]}"; do
    kill -0 "${SERVER_PIDS[$i]}" 2>/dev/null || { echo "${SERVER_NAMES[$i]}"; return; }
  done
  echo "a server"
}
all_alive() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
}
any_alive() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}
stop_servers() {
  [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
  [ ${#SERVER_PIDS[@]} -eq 0 ] && return
  kill -TERM "${SERVER_PIDS[@]}" 2>/dev/null
  for _ in $(seq 1 100); do # up to 10 s for a clean shutdown, then no more waiting
    any_alive || break
    sleep 0.1
  done
  kill -KILL "${SERVER_PIDS[@]}" 2>/dev/null
  SERVER_PIDS=()
}
trap stop_servers EXIT

stopped_cleanly() {
  printf '\n'
  if [ ${#SERVER_PIDS[@]} -gt 0 ]; then
    printf 'Stopping the assistant...\n'
    stop_servers
  fi
  printf '%sStopped cleanly.%s (The log of this run: %s)\n' "$GREEN" "$RESET" "$LOG"
  exit 0
}

failed() { # failed MESSAGE LOG_OFFSET: the message, the end of the log from the offset, where the rest is
  printf '%serror:%s %s\n' "$RED" "$RESET" "$1" >&2
  printf '  The end of the log:\n' >&2
  tail -c +"$2" "$LOG" | sed 's/\x1b\[[0-9;]*m//g' | grep -v '^\s*$' | tail -n 15 | sed 's/^/    | /' >&2
  printf '  Full log: %s\n' "$LOG" >&2
  exit 1
}

# --- Steps -----------------------------------------------------------------------------------------
STEP_COUNT=5
STEP_LINE=''
step_header() { printf '%s[%s/%s]%s %-26s ' "$BOLD" "$1" "$STEP_COUNT" "$RESET" "$2"; }

# spin WATCHED_PID LOG_OFFSET: until WATCHED_PID ends, redraw the step's line with a spinner,
# the seconds so far and what the step is doing (from its log).
spin() {
  local started=$SECONDS frames='|/-\' i=0 doing
  while true; do
    doing=$(tail -c +"$2" "$LOG" 2>/dev/null \
      | grep -oE "Starting to train component '[A-Za-z]+'|Loading model" \
      | tail -n 1 | sed -E "s/Starting to train component '(.*)'/\1/")
    kill -0 "$1" 2>/dev/null || return
    printf '\r\e[K%s%s %3d s  %s' "$STEP_LINE" "${frames:$((i++ % 4)):1}" $((SECONDS - started)) "${doing:0:28}"
    sleep 0.25
  done
}

# with_spinner LOG_OFFSET COMMAND...: COMMAND, with a spinner at a terminal (run in a subshell).
with_spinner() {
  local offset=$1 spinner status me=$BASHPID # (in `spin $BASHPID &`, it would be the spinner's)
  shift
  [ "$INTERACTIVE" = 1 ] || { "$@"; return; }
  spin "$me" "$offset" &
  spinner=$!
  # Ctrl-C: COMMAND stops; the spinner too, before this script prints anything else.
  trap 'kill $spinner 2>/dev/null; wait $spinner 2>/dev/null; exit 130' INT
  "$@"
  status=$?
  kill $spinner 2>/dev/null
  wait $spinner 2>/dev/null
  printf '\r\e[K%s' "$STEP_LINE"
  return $status
}

# run_step NUMBER LABEL COMMAND...: COMMAND's output goes to the log; the screen gets one line.
run_step() {
  local number=$1 label=$2 offset status started=$SECONDS
  shift 2
  STEP_LINE=$(step_header "$number" "$label")
  printf '%s' "$STEP_LINE"
  offset=$(( $(log_size) + 1 ))
  in_foreground with_spinner "$offset" logged "$@"
  status=$?
  [ $status -ge 128 ] && stopped_cleanly
  if [ $status -ne 0 ]; then
    printf '%sfailed%s after %d s\n' "$RED" "$RESET" $((SECONDS - started))
    failed "$label failed." "$offset"
  fi
  printf 'done in %d s\n' $((SECONDS - started))
  tail -c +"$offset" "$LOG" | show_important
}
logged() { "$@" >> "$LOG" 2>&1 < /dev/null; }

# make_step NUMBER LABEL TARGET: a Makefile target, or "up to date" when make has nothing to do.
make_step() {
  if $MAKE --no-print-directory -q "$3" 2>/dev/null; then
    step_header "$1" "$2"
    printf 'up to date\n'
  else
    run_step "$1" "$2" $MAKE --no-print-directory "$3"
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
answers() { curl -fsS --max-time 3 "$1" >/dev/null 2>&1; }

# --- Already running? --------------------------------------------------------------------------------
REST_URL=http://$RASA_LOCAL:$RASA_PORT/webhooks/rest/
if [ "$SHELL_MODE" = 1 ] && port_busy "$RASA_PORT"; then
  if answers "$REST_URL"; then
    printf 'The assistant is running on port %s (make run): chatting with it.\n' "$RASA_PORT"
    in_foreground .venv/bin/python scripts/terminal_chat.py --url "http://localhost:$RASA_PORT"
    status=$?
    [ $status -ge 128 ] && status=0 # Ctrl-C while chatting: the chat is over, nothing failed
    exit $status
  fi
  if answers "http://$RASA_LOCAL:$RASA_PORT/webhooks/widget/"; then
    printf '%serror:%s the assistant on port %s has no REST channel (credentials.yml), which the terminal chat\n' "$RED" "$RESET" "$RASA_PORT" >&2
    printf '       needs. Chat in the browser instead: http://localhost:%s/webhooks/widget/demo\n' "$RASA_PORT" >&2
    exit 1
  fi
fi
PORTS=("$RASA_PORT" "${CONSOLE_PORT:-5006}")
PORT_SETTINGS="RASA_PORT=5015 CONSOLE_PORT=5016"
if [ "$ACTIONS_IN_PROCESS" = 0 ]; then
  PORTS+=("$ACTIONS_PORT")
  PORT_SETTINGS="RASA_PORT=5015 ACTIONS_PORT=5065 CONSOLE_PORT=5016"
fi
for port in "${PORTS[@]}"; do
  if port_busy "$port"; then
    if [ "$port" = "$RASA_PORT" ] && answers "$REST_URL"; then
      printf '%serror:%s the assistant is already running on port %s (another `make run`?).\n' "$RED" "$RESET" "$port" >&2
      printf '       Chat with it: make shell, or http://localhost:%s/webhooks/widget/demo\n' "$port" >&2
    else
      printf '%serror:%s port %s is already in use by another program.\n' "$RED" "$RESET" "$port" >&2
    fi
    printf '       To start another assistant, choose free ports: make %s %s\n' \
      "$([ "$SHELL_MODE" = 1 ] && echo shell || echo run)" "$PORT_SETTINGS" >&2
    exit 1
  fi
done

# --- Set up ----------------------------------------------------------------------------------------------
mkdir -p var/logs
LOG=var/logs/run-$(date +%Y%m%d-%H%M%S).log
: >> "$LOG"
# The servers log no visitor's details (README, "Personal data"); still, old run logs go.
ls -1t var/logs/run-*.log 2>/dev/null | tail -n +21 | xargs -r rm -f
log_size() { stat -c %s "$LOG"; }

printf 'Starting the assistant. Full log: %s\n' "$LOG"
make_step 1 "Install the dependencies" .venv/.installed
make_step 2 "Build the spaCy pipeline" models/spacy/clinic_faq/meta.json
make_step 3 "Fetch the sentence encoder" models/sentence-encoder/model.safetensors
make_step 4 "Train the model" "$MODEL"

# --- Start the servers -------------------------------------------------------------------------------------
api_args=()
if [ -n "${RASA_TOKEN:-}" ]; then
  # The HTTP API (trackers, model, parse) is only exposed behind a token. The launcher reads it
  # from RASA_TOKEN (exported), so that it is on no command line: `ps` shows those to everyone.
  export RASA_TOKEN
  api_args=(--enable-api)
fi
export PYTHONUNBUFFERED=1 # whole lines in the log, as they happen
offset=$(( $(log_size) + 1 ))
if [ "$ACTIONS_IN_PROCESS" = 0 ]; then
  # rasa_sdk's app (serving/actions.py), not `rasa run actions`, which would import all of
  # Rasa (and TensorFlow) first.
  .venv/bin/python -m serving actions --host "$ACTIONS_HOST" --port "$ACTIONS_PORT" >> "$LOG" 2>&1 < /dev/null &
  SERVER_PIDS+=($!) SERVER_NAMES+=("the action server")
  disown # no "[1]+ Terminated" job notices on the screen
fi
# `python -m serving run` is `rasa run` plus the changes listed in serving/patches.py: what
# Rasa imports but never uses here kept out (TensorFlow), measured speed fixes, a tuned SQLite
# tracker store, clean handling of store and action failures, the custom actions inside it
# (ACTIONS_IN_PROCESS=1), and loading a new model without a restart.
.venv/bin/python -m serving run --model "$MODEL" --interface "$RASA_HOST" --port "$RASA_PORT" \
  --endpoints endpoints.yml --credentials credentials.yml ${api_args[@]+"${api_args[@]}"} >> "$LOG" 2>&1 < /dev/null &
SERVER_PIDS+=($!) SERVER_NAMES+=("the Rasa server")
disown # no "[1]+ Terminated" job notices on the screen
# The staff console (console/), on loopback unless CONSOLE_HOST says otherwise.
.venv/bin/python -m console serve --host "${CONSOLE_HOST:-127.0.0.1}" --port "${CONSOLE_PORT:-5006}" >> "$LOG" 2>&1 < /dev/null &
SERVER_PIDS+=($!) SERVER_NAMES+=("the staff console")
disown

wait_until_ready() { # exit status: 0 ready, 3 a server stopped, 4 not ready in time
  for _ in $(seq 1 720); do
    all_alive || return 3
    if answers "http://$RASA_LOCAL:$RASA_PORT/" \
      && { [ "$ACTIONS_IN_PROCESS" = 1 ] || answers "http://$ACTIONS_HOST:$ACTIONS_PORT/health"; }; then
      return 0
    fi
    sleep 0.25
  done
  return 4
}
STEP_LINE=$(step_header 5 "Start the servers")
printf '%s' "$STEP_LINE"
started=$SECONDS
WAIT_IN_BACKGROUND=1 in_foreground with_spinner "$offset" wait_until_ready
status=$?
case $status in
  0) printf 'done in %d s\n' $((SECONDS - started)) ;;
  3) printf '%sfailed%s\n' "$RED" "$RESET"; sleep 0.5; failed "$(stopped_server) stopped while starting." "$offset" ;;
  4) printf '%sfailed%s\n' "$RED" "$RESET"; failed "the servers did not become ready within 180 s." "$offset" ;;
  *) stopped_cleanly ;;
esac
ready_at=$(( $(log_size) + 1 ))
tail -c +"$offset" "$LOG" | head -c $((ready_at - offset)) | show_important

# --- Chat in the terminal (make shell) ---------------------------------------------------------------------
if [ "$SHELL_MODE" = 1 ]; then
  printf '\n'
  in_foreground .venv/bin/python scripts/terminal_chat.py --url "http://localhost:$RASA_PORT"
  status=$?
  printf 'Stopping the assistant...\n'
  stop_servers
  [ $status -ge 128 ] && status=0 # Ctrl-C while chatting: the chat is over, nothing failed
  exit $status
fi

# --- Serve until Ctrl-C (make run) ---------------------------------------------------------------------------
if [[ ${MODEL_RELOAD_SECONDS:-10} =~ ^0*(\.0*)?$ ]]; then
  NEW_MODEL="make train, then restart this assistant (MODEL_RELOAD_SECONDS=0: no reloading)"
else
  NEW_MODEL="make train   (in another terminal; this assistant loads it within ${MODEL_RELOAD_SECONDS:-10} s, no restart)"
fi
cat <<MSG

  ${BOLD}The assistant is up.${RESET}
    Chat widget:    http://localhost:$RASA_PORT/webhooks/widget/demo   (open this in a browser)
    Embed it with:  <script src="http://localhost:$RASA_PORT/webhooks/widget/widget.js" defer></script>
    In a terminal:  make shell   (in another terminal; it chats with this assistant)
    New model:      $NEW_MODEL
    Chat (REST):    curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender": "me", "message": "how much does it cost?"}'
    Custom actions: $([ "$ACTIONS_IN_PROCESS" = 1 ] && echo "inside the Rasa server (ACTIONS_IN_PROCESS=1)" || echo "action server, http://$ACTIONS_HOST:$ACTIONS_PORT/health")
    Conversations:  $(sed -E 's#://([^:/@]+):[^@]*@#://\1:***@#' <<< "$TRACKER_STORE_URL")  (locks: $LOCK_STORE_TYPE)
    Requests:       make leads   (consultation requests for the clinic's staff)
    Staff console:  ${CONSOLE_URL:-http://localhost:${CONSOLE_PORT:-5006}}/   (sign in; accounts: make staff-account EMAIL=name@clinic)
    HTTP API:       $([ -n "${RASA_TOKEN:-}" ] && echo "enabled, token required" || echo "off (set RASA_TOKEN to enable it behind a token)")
    Full log:       $LOG
  Press Ctrl-C to stop.

MSG
# From now on, the warnings and errors the servers log, as they come.
tail -c +"$ready_at" -F "$LOG" 2>/dev/null > >(show_important) &
WATCH_PID=$!
disown

serve() {
  trap '' TSTP # Ctrl-Z would freeze this wait but not the servers: ignore it
  while all_alive; do sleep 1; done
}
WAIT_IN_BACKGROUND=1 in_foreground serve
status=$?
[ $status -ge 128 ] && stopped_cleanly
sleep 0.5 # the servers' last words reach the log
failed "$(stopped_server) stopped unexpectedly; stopping the others." "$ready_at"
