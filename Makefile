# Developer and CI entry points. Every target bootstraps what it needs:
# Poetry (from PATH, or installed into .tools/poetry) and the workspace
# virtual environment in .venv. Only Python 3.11+ and make must be present.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Interpreter used to create .tools/poetry and .venv when they do not exist.
PYTHON ?= python3
POETRY_VERSION := 2.5.1

TOOLS_DIR := .tools
VENV_DIR := .venv

# A Poetry 2.x already on PATH is used as it is. Without one, the pinned
# POETRY_VERSION is installed into a virtual environment in .tools/poetry.
POETRY_ON_PATH := $(shell poetry --version 2>/dev/null | grep -q 'version 2\.' && command -v poetry)
ifeq ($(POETRY_ON_PATH),)
POETRY := $(CURDIR)/$(TOOLS_DIR)/poetry/bin/poetry
POETRY_STAMP := $(TOOLS_DIR)/poetry/.installed-$(POETRY_VERSION)
else
POETRY := $(POETRY_ON_PATH)
POETRY_STAMP :=
endif

# Inputs whose change requires `poetry install` to run again.
INSTALL_INPUTS := pyproject.toml poetry.lock poetry.toml $(wildcard packages/*/pyproject.toml)
DEV_STAMP := $(VENV_DIR)/.installed-dev
BENCH_STAMP := $(VENV_DIR)/.installed-bench

# No prompts (CI has no stdin), no keyring look-ups on headless machines, and
# no pip self-update checks against the network. An activated virtual
# environment would make Poetry install into it instead of .venv.
export POETRY_NO_INTERACTION := 1
export PYTHON_KEYRING_BACKEND := keyring.backends.null.Keyring
export PIP_DISABLE_PIP_VERSION_CHECK := 1
unexport VIRTUAL_ENV

RUN := $(POETRY) run

.PHONY: help bootstrap run test format-check lint typecheck pytest format bench lock clean distclean \
	check-python

help:
	@echo "make run        bootstrap, then run the examples (python -m spinoff.examples)"
	@echo "make test       bootstrap, then ruff format --check, ruff check, mypy, pytest"
	@echo "make bench      install the bench group, then run python -m bench"
	@echo "make bootstrap  create .venv with the workspace and development tools"
	@echo "make format     reformat and apply safe lint fixes"
	@echo "make lock       update poetry.lock after editing a pyproject.toml"
	@echo "make clean      remove caches and build output"
	@echo "make distclean  also remove .venv and .tools"

bootstrap: $(DEV_STAMP)

run: $(DEV_STAMP)
	$(RUN) python -m spinoff.examples

# --keep-going runs every check even after one fails, so a formatting error
# does not hide test results. make still exits non-zero.
test: $(DEV_STAMP)
	$(MAKE) --no-print-directory --keep-going format-check lint typecheck pytest

format-check: $(DEV_STAMP)
	$(RUN) ruff format --check .

lint: $(DEV_STAMP)
	$(RUN) ruff check .

typecheck: $(DEV_STAMP)
	$(RUN) mypy

pytest: $(DEV_STAMP)
	$(RUN) pytest

format: $(DEV_STAMP)
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

bench: $(BENCH_STAMP)
	$(RUN) python -m bench

lock: $(POETRY_STAMP)
	$(POETRY) lock

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' is missing or older than Python 3.11." \
	       "Run make with PYTHON=/path/to/python3.11 or newer." >&2; exit 1; }

$(POETRY_STAMP): | check-python
	rm -rf $(TOOLS_DIR)/poetry
	$(PYTHON) -m venv $(TOOLS_DIR)/poetry
	$(TOOLS_DIR)/poetry/bin/python -m pip install --quiet "poetry==$(POETRY_VERSION)"
	touch $@

# `poetry install`, unlike `poetry sync`, keeps packages of groups it was not
# asked for, so the bench group stays installed after a later dev install.
$(DEV_STAMP): $(INSTALL_INPUTS) $(POETRY_STAMP) | check-python
	test -x $(VENV_DIR)/bin/python || $(POETRY) env use "$$(command -v $(PYTHON))"
	$(POETRY) install --with dev
	touch $@

$(BENCH_STAMP): $(DEV_STAMP)
	$(POETRY) install --with dev,bench
	touch $@

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis
	rm -rf packages/*/dist
	find . -path ./$(VENV_DIR) -prune -o -path ./$(TOOLS_DIR) -prune -o \
	  -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV_DIR) $(TOOLS_DIR)
