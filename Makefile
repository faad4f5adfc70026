# The micro-needling FAQ assistant. Front door: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Settings (override on the command line or in the environment).
export RASA_PORT ?= 5005
export ACTIONS_PORT ?= 5055
export ACTIONS_HOST ?= 127.0.0.1
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
export RASA_TELEMETRY_ENABLED ?= false
export MODEL := models/clinic-faq.tar.gz

SPACY_PIPELINE := models/spacy/clinic_faq
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(SPACY_PIPELINE)/meta.json

.PHONY: help install train run shell test validate eval report leads bench lock clean

help:
	@echo "make run      install, train if needed, start the assistant (REST on :$(RASA_PORT))"
	@echo "make test     install, train if needed, run the test suite"
	@echo "make shell    chat with the assistant in the terminal"
	@echo "make install  create $(VENV) from requirements.lock (Python 3.10)"
	@echo "make train    train the model into models/ (skipped when nothing changed)"
	@echo "make validate check the training data, answers and fact sources (docs/training.md)"
	@echo "make eval     held-out accuracy, per-intent scores, confusions (CROSS=5: cross-validation)"
	@echo "make report   what visitors asked that the assistant could not answer"
	@echo "make leads    consultation requests, newest first (CSV=file.csv: export to exports/; DELETE=id: delete one; PURGE=1: retention only)"
	@echo "make bench    this config vs Rasa's default: speed, memory, accuracy (QUICK=1: shorter)"
	@echo "make lock     re-resolve requirements.in into requirements.lock"

install: $(STAMP)

$(STAMP): requirements.lock
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	  python=$$(scripts/find_python310.sh) || exit 1; \
	  echo "Creating $(VENV) with $$python"; rm -rf $(VENV); \
	  "$$python" -m venv $(VENV) || { rm -rf $(VENV); echo "error: could not create $(VENV) with $$python"; exit 1; }; \
	fi
	@echo "Installing the locked dependencies into $(VENV) (first time: about 2 minutes)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | { grep -v '^WARNING: Location' || true; }
	@touch $@

# spaCy pipeline built locally from pip packages (no model download), see the script.
$(SPACY_PIPELINE)/meta.json: scripts/build_spacy_pipeline.py actions/vocabulary.py | $(STAMP)
	$(BIN)/python scripts/build_spacy_pipeline.py $(SPACY_PIPELINE)

train: $(MODEL)

$(MODEL): $(TRAINING_INPUTS) | $(STAMP)
	$(BIN)/rasa train --out models --fixed-model-name clinic-faq
	@touch $@

run: $(MODEL)
	@scripts/run.sh

shell: $(MODEL)
	@mkdir -p var
	@$(BIN)/python -m serving actions --host $(ACTIONS_HOST) --port $(ACTIONS_PORT) & \
	trap "kill $$! 2>/dev/null" EXIT; \
	$(BIN)/python -m serving shell --model $(MODEL) --endpoints endpoints.yml --port $(RASA_PORT)

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
endif

# Exports hold visitors' words and details: a relative CSV= file goes into exports/,
# which git and docker ignore (an absolute path is used as given).
export_path = $(if $(filter /%,$(1)),$(1),exports/$(1))

report: $(STAMP)
	@$(BIN)/python -m trainer.report $(if $(SINCE),--since $(SINCE)) $(if $(CSV),--csv $(call export_path,$(CSV)))

# Consultation requests for the clinic's staff (leads/, settings in leads.yml).
leads: $(STAMP)
	@$(BIN)/python -m leads $(if $(CSV),--csv $(call export_path,$(CSV))) $(if $(DELETE),--delete $(DELETE)) $(if $(PURGE),--purge)

test: $(MODEL)
	$(BIN)/python -m pytest tests

# Not part of `make test`: a benchmark reports ratios measured in one run.
bench: $(MODEL)
	$(BIN)/python bench/run_bench.py $(if $(QUICK),--quick)

lock:
	@python=$$(scripts/find_python310.sh) || exit 1; \
	rm -rf /tmp/lock-venv && "$$python" -m venv /tmp/lock-venv && \
	/tmp/lock-venv/bin/pip install --quiet -r requirements.in && \
	( echo "# Generated by 'make lock' from requirements.in. Do not edit by hand."; \
	  /tmp/lock-venv/bin/pip freeze --all --exclude pip --exclude setuptools --exclude wheel ) > requirements.lock

clean:
	rm -rf $(VENV) models/*.tar.gz $(SPACY_PIPELINE) results results-*.log .rasa .pytest_cache test-artifacts
