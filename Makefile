# AssistDesk: `make run` serves the product, `make test` runs every check.
# Both start from nothing: they create .venv and install what the project needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml scripts/system-packages.txt | cksum | cut -d' ' -f1)
PG_URL ?= postgres://postgres@127.0.0.1:5432
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint bench install system-packages migrate clean

$(STAMP): pyproject.toml scripts/system-packages.txt
	@bash scripts/install-system-packages.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

migrate: install
	$(BIN)/assistdesk migrate --noinput -v 0
	$(BIN)/assistdesk collectstatic --noinput -v 0

run: migrate
	$(BIN)/assistdesk demo --if-empty
	$(BIN)/assistdesk serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy assistdesk
	$(BIN)/lint-imports
	$(BIN)/assistdesk makemigrations --check --dry-run

test: lint
	@bash scripts/test.sh

bench: install
	@bash scripts/bench.sh

clean:
	rm -rf $(VENV) var test-artifacts .mypy_cache .ruff_cache .pytest_cache
