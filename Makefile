# Two commands do all the set-up: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= 1
# The suite's slowest tests are listed at the end of every run, so a slow one is seen early.
PYTEST_ARGS ?= --durations=20

.PHONY: run test lint format check setup migrate seed stop-db bench bench-scale backup restore archive-audit clean

$(BIN)/.installed: requirements.txt
	@echo "安装依赖…（首次约一两分钟）"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

.env:
	cp .env.example .env

setup: $(BIN)/.installed .env

# Starts the project-local PostgreSQL first when DATABASE_URL is unset; a no-op when up to date.
migrate: setup
	@echo "创建或更新数据库…（首次约半分钟）"
	$(BIN)/python manage.py migrate --no-input

# Skipped when the database already holds an organization tree.
seed: migrate
	@echo "生成演示数据…（首次约一分钟）"
	$(BIN)/python manage.py seed_demo --scale $(SCALE)

run: seed
	@echo "启动网站…"
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
	@$(BIN)/python -c "from pathlib import Path; from xiangcheng.localdb import stop; print('数据库已停止。' if stop(Path('.').resolve()) else '数据库未在运行。')"

# The exports and imports, then the pages at two district sizes (SMALL=0.2 LARGE=2 KEEP=1).
BENCH_SCALE_ARGS = $(if $(SMALL),--small $(SMALL)) $(if $(LARGE),--large $(LARGE)) $(if $(KEEP),--keep) $(if $(PAGES),--pages $(PAGES))

bench: migrate
	$(BIN)/python bench/run.py $(if $(ROWS),--rows $(ROWS))
	$(BIN)/python bench/scale.py $(BENCH_SCALE_ARGS)

bench-scale: migrate
	$(BIN)/python bench/scale.py $(BENCH_SCALE_ARGS)

# The database (pg_dump, custom format) and the media folder in one dated archive under BACKUP_DIR
# (default var/backups); restore one into an empty database: make restore FILE=var/backups/….tar
backup: setup
	$(BIN)/python manage.py backup

restore: setup
	@test -n "$(FILE)" || { echo "请指明备份文件：make restore FILE=var/backups/xiangcheng-….tar"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)"

# Monthly: audit rows older than AUDIT_RETENTION_MONTHS move to the audit_archive schema.
archive-audit: setup
	$(BIN)/python manage.py archive_audit

clean: stop-db
	rm -rf $(VENV) var
