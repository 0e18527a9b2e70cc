# `make run` starts the bot (the local sandbox when no Slack tokens are set);
# `make test` runs the tests. Both create .venv on first use.
# `make test-fast` runs only the pure-core tests (no servers, no browser).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# the suite mostly waits (subprocesses, servers, a browser): two processes, each running whole files
TEST_WORKERS ?= 2
CORE_TESTS = tests/test_catalog.py tests/test_matcher.py tests/test_advisor.py tests/test_blocks.py \
	tests/test_conversation.py

.PHONY: run test test-fast lint format check clean

run: $(VENV)/.installed-run
	$(BIN)/usecase-bot run

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q $(CORE_TESTS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(VENV)/.installed-run
	$(BIN)/usecase-bot catalog check

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
