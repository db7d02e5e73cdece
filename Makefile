# Sift: `make run` sets up everything and runs web + worker + beat; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
export UV_PROJECT_ENVIRONMENT := .venv
PORT ?= 8000
# The local laptop setup: the secret and encryption keys are generated into var/ and Sift
# speaks plain HTTP on this machine. Production turns it off and provides the keys (see
# .env.example). Django's debug pages stay off unless DEBUG=true is asked for.
export SIFT_LOCAL_INSTALL ?= true
export DEBUG ?= false

.PHONY: run demo test test-two-calls test-real test-fast lint typecheck check bench bench-real bench-judgement reliability setup setup-run clean help

help:
	@echo "make run     - set up and run Sift (web on http://127.0.0.1:$(PORT), worker, beat)"
	@echo "make test    - run the whole test suite"
	@echo "make demo    - Sift with a fake Ollama and bundled feeds, ranked and ready to look at"
	@echo "make test-real - the pipeline against llama.cpp's server and a real small model"
	@echo "make bench-real - seconds per article against that real model, batch 1/5/10"
	@echo "make bench-judgement - the ranking against human relevance labels, held out"
	@echo "make lint typecheck bench reliability"

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@ .venv/.synced-run

# `make run` installs only what runs (no test or lint tools); --inexact keeps the dev tools
# a `make test` may have installed into the same environment.
.venv/.synced-run: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --no-dev --inexact
	@touch $@

setup: .venv/.synced
setup-run: .venv/.synced-run

run: setup-run
	.venv/bin/python manage.py sift_preflight --host $${HOST:-127.0.0.1} --port $(PORT)
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/python manage.py collectstatic --noinput -v0
	.venv/bin/python manage.py sift_bootstrap
	@echo "Starting Sift on http://127.0.0.1:$(PORT)/ (web, worker, beat) ..."
	@# Ctrl-C is how a reader stops Sift: honcho's 130 then means a clean stop, not an error.
	@trap '' INT; SIFT_PORT=$(PORT) PORT=$(PORT) .venv/bin/honcho start -f Procfile || [ $$? -eq 130 ]

# Sift + the fake Ollama + three bundled local feeds, on its own database (var/demo).
demo: setup
	.venv/bin/python manage.py collectstatic --noinput -v0
	.venv/bin/python -m demo

# Two test processes (pytest-xdist), each with its own var folder and Redis databases
# (config/settings_test.py); a file's tests stay in one process, in order.
test: setup .tools/clients/.ready
	.venv/bin/pytest -q -p no:cacheprovider -n 2 --dist loadfile

# The scoring tests again with two calls per new article (categorize, then score; the
# default is one). The tests about the two-call protocol itself run with two in both passes
# (`@pytest.mark.two_calls`).
SCORING_TESTS := tests/test_scoring_pipeline.py tests/test_batched_scoring.py \
	tests/test_readers.py tests/test_ranking.py tests/test_feedback_and_explanations.py \
	tests/test_llm_costs.py tests/test_stories.py tests/test_in_flight_limit.py \
	tests/test_one_call.py tests/test_full_text.py tests/test_articles_api.py \
	tests/test_reader_basics.py tests/test_frontend_contract.py tests/test_openai_compat.py \
	tests/test_fake_reader.py tests/test_worker_reliability.py
test-two-calls: setup
	SCORING_CALLS=two .venv/bin/pytest -q -p no:cacheprovider -n 2 --dist loadfile $(SCORING_TESTS)

# Reader-app clients by others that need Python >= 3.12 (google-reader), pinned in
# tools/clients/uv.lock, in a venv of their own; without a Python 3.12 here, their test skips.
.tools/clients/.ready: tools/clients/pyproject.toml tools/clients/uv.lock | $(UV)
	@py=$$(for p in python3.12 python3.13 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[23]*/bin/python3; do \
	  "$$p" -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null && break; done); \
	if [ -n "$$py" ]; then \
	  UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=$(CURDIR)/.tools/clients \
	    $(UV) sync --frozen --project tools/clients --python "$$py" && touch $@; \
	else echo "No Python 3.12 here: the google-reader client test will skip."; fi

# The pipeline against llama.cpp's OpenAI-compatible server and a real small instruction-tuned
# model (Qwen2.5-Coder 0.5B Instruct, sha256-pinned). The
# server is built once per machine (~5 min) and cached; see tools/real_llm/install.sh.
.tools/real-llm/.ready: tools/real_llm/requirements.txt tools/real_llm/install.sh | $(UV)
	UV=$(UV) tools/real_llm/install.sh

test-real: setup .tools/real-llm/.ready
	SIFT_TEST_REAL=1 .venv/bin/pytest -q -s -p no:cacheprovider -m real tests/test_real_llm.py

# Seconds per article against the same real model at batch 1, 5 and 10, prompt cache off/on.
bench-real: setup .tools/real-llm/.ready
	.venv/bin/python -m bench.real

# The ranking against human relevance labels (the Lee corpus in gensim's wheel): TF-IDF, the
# encoder, the learned taste after 5/10/20 marks and the real model's verdict, held out.
bench-judgement: setup .tools/real-llm/.ready
	.venv/bin/python -m bench.judgement

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

typecheck: setup
	.venv/bin/mypy .

check: lint typecheck test

bench: setup
	.venv/bin/python -m bench

# R1–R4 and R11–R15 at full size, with their figures printed (-s).
reliability: setup
	SIFT_RELIABILITY_FULL=1 .venv/bin/pytest -q -s -p no:cacheprovider -m reliability tests/test_worker_reliability.py tests/test_hostile_reliability.py

clean:
	rm -rf .venv $(TOOLS) var
