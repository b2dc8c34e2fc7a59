# Two commands do all the set-up: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= 1

.PHONY: run test lint format check setup migrate seed stop-db bench clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

.env:
	cp .env.example .env

setup: $(BIN)/.installed .env

migrate: setup
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo --scale $(SCALE)

run: seed
	@echo ""
	@echo "相城区党建生态管理平台: http://$(HOST):$(PORT)/"
	@echo "演示账号 (密码 xiangcheng-demo): admin (组织部), secretary (元和街道党工委书记)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Without DATABASE_URL the suite runs on a throwaway embedded PostgreSQL.
test: setup
	XIANGCHENG_THROWAWAY_DB=1 $(BIN)/python manage.py makemigrations --check --dry-run
	XIANGCHENG_THROWAWAY_DB=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

stop-db: setup
	$(BIN)/python -c "from pathlib import Path; from xiangcheng.localdb import stop; stop(Path('.').resolve())"

bench: migrate
	$(BIN)/python bench/run.py $(if $(ROWS),--rows $(ROWS))

clean: stop-db
	rm -rf $(VENV) var
