# Two commands for a new user: `make run` (set up and open the chat) and `make test`.
# Both create .venv, install the project and prepare the offline embedding model on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup run test eval bench llm clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed
	$(PY) -m rag build

run: setup
	$(PY) -m rag serve

test: $(VENV)/.installed
	$(PY) -m pytest -q -rs

eval: setup
	$(PY) -m rag eval

bench: setup
	$(PY) benchmarks/retrieval.py

llm: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,llm]"
	$(PY) -m rag setup-llm

clean:
	rm -rf $(VENV) index/current
