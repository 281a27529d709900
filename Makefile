# Every target makes the virtual environment first when it is missing, so a
# fresh clone needs only Python 3.10+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test bench build install preview lint format clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
		echo "$(PYTHON) is not Python 3.10 or newer; try: make $(MAKECMDGOALS) PYTHON=python3.12"; \
		exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## the main job against a local STS, in a throw-away home
	$(BIN)/python tests/demo.py

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest

bench: $(STAMP)  ## time keystrokes and a login against the floor, aws-mfa and the AWS CLI
	$(BIN)/python tests/benchmark.py

build: $(STAMP)  ## the .alfredworkflow bundle a Mac user double-clicks, in dist/
	$(BIN)/python tools/bundle.py

# `open` hands the bundle to Alfred, which asks whether to import it.
install: $(STAMP)  ## on a Mac: build the bundle and open it, which imports it into Alfred
	@if [ "$$(uname -s)" = Darwin ]; then \
		$(MAKE) build && open "$$($(BIN)/python tools/bundle.py --path)"; \
	else \
		echo "On a Mac, make install would run make build and then open" \
			"$$($(BIN)/python tools/bundle.py --path), which imports it into Alfred." \
			"This is not a Mac, so nothing was done."; \
	fi

# Chromium comes from Debian's packages where it is missing (needs root).
preview: $(STAMP)  ## pictures of what Alfred shows, from the demo's real output, in docs/
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	$(BIN)/python tests/preview.py

lint: $(STAMP)  ## ruff's checks and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
