# The two set-up commands of the README. Each one creates or refreshes the
# project venv (.venv) from the project's own files, then runs.
.PHONY: setup demo test lint bench clean

VENV ?= .venv
export FLEETLEARN_VENV := $(abspath $(VENV))

setup:
	@bash scripts/setup.sh

demo: setup
	@$(VENV)/bin/fleetlearn demo

test: setup
	@bash scripts/test.sh

lint: setup
	@$(VENV)/bin/ruff check .

clean:
	rm -rf build install log
