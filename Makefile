# Two commands on a fresh machine with Python 3.11+:  make demo   and   make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test lint translations extract worker run clean

$(BIN)/activate:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e ".[dev]"
	# caldav's HTTP client (niquests) brings urllib3-future, whose wheel overwrites urllib3
	# at every interpreter start, and requests-based tools (schemathesis) then break. Built
	# from source with URLLIB3_NO_OVERRIDE=1 it keeps to its own namespace (its docs' advice).
	URLLIB3_NO_OVERRIDE=1 $(BIN)/pip install -q --force-reinstall --no-deps \
		--no-binary=urllib3-future urllib3-future
	$(BIN)/python -c "import shutil, sysconfig; shutil.rmtree(sysconfig.get_paths()['purelib'] + '/urllib3', ignore_errors=True)"
	$(BIN)/pip install -q --force-reinstall --no-deps urllib3
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d portal/translations

## make demo: install, migrate an SQLite database in instance/, seed demo data, and serve
## the portal on http://127.0.0.1:5000 with the mail worker in process.
demo: translations
	PORTAL_ENV=demo $(BIN)/flask --app portal db upgrade
	PORTAL_ENV=demo $(BIN)/flask --app portal demo

## make test: the whole suite (SQLite and PostgreSQL, SMTP on loopback, Chromium journeys),
## on TEST_WORKERS processes (pytest-xdist; each has its own databases, ports and files).
TEST_WORKERS ?= 2
test: translations
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: $(VENV)/.installed
	$(BIN)/ruff check .

## Refresh the message catalogs after changing strings.
extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --width 100

clean:
	rm -rf $(VENV) instance/portal.sqlite3
