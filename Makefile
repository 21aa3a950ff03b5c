# Tỉnh Số — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
MANAGE := $(UV) run --frozen python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test env setup bench lint typecheck ci catalog-data

env:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

setup: env
	@mkdir -p var
	@$(MANAGE) migrate --noinput -v 0
	@$(MANAGE) load_reference_data
	@$(MANAGE) load_catalog
	@$(MANAGE) signing_dev_ca
	@$(MANAGE) collectstatic --noinput --verbosity 0

run: setup
	@$(MANAGE) seed_demo
	@$(MANAGE) seed_demo_dossiers
	@echo ""
	@echo "Tỉnh Số is serving at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/, API: http://$(HOST):$(PORT)/api/docs)"
	@echo ""
	@$(MANAGE) runserver $(HOST):$(PORT)

test: env
	@scripts/ensure-test-tools || true
	@$(UV) run --frozen pytest -q $(ARGS)

bench: env
	@$(UV) run --frozen python -m bench.run $(NAME)

lint: env
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .

typecheck: env
	@$(UV) run --frozen mypy tinhso bench

ci:
	@bash .ci/run

# Regenerate the shipped procedure catalog from the raw national records (needs ../shared).
catalog-data: env
	@$(MANAGE) build_catalog ../shared/data/procedures/dvcqg
