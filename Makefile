# Two commands for a fresh machine: `make run` and `make test` (see README).
# Everything Python comes from uv.lock, installed by uv (itself pinned with hashes in
# tools/uv-requirements.txt); `make lock` and `make upgrade` change the lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
HOST ?= 127.0.0.1
PORT ?= 5000
# This machine's Python, never one uv would download; the project's environment is .venv.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode compiled at install, as pip does: faster starts, and no compile-time warnings from
# libraries' sources at first import (the suite turns warnings into errors).
export UV_COMPILE_BYTECODE := 1
# The clock-shift runs: the date-sensitive tests again, this many days ahead (tests/clock_shift.py).
CLOCK_SHIFTS ?= 400 800

.PHONY: run test test-fast test-dates install install-dev lock upgrade lint typecheck bench clean \
	system-deps browser-deps audio translations translations-update
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(UV): tools/uv-requirements.txt
	rm -rf $(TOOLS)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes --no-deps -r tools/uv-requirements.txt
	touch $@

# The locked packages, exactly; --locked stops when uv.lock no longer matches pyproject.toml.
# `make run` leaves the development tools in place if they are there (--inexact).
install: $(UV)
	$(UV) sync --locked --no-dev --inexact --quiet
	@$(MAKE) --no-print-directory translations

install-dev: $(UV)
	$(UV) sync --locked --quiet
	@$(MAKE) --no-print-directory translations

# The pages' gettext catalogues (skill/web/translations/*/LC_MESSAGES/messages.po, in git)
# compiled to the .mo files Flask-Babel reads (git-ignored), by Babel's own pybabel.
TRANSLATIONS := skill/web/translations
translations:
	$(BIN)/pybabel --quiet compile --domain messages --directory $(TRANSLATIONS)

# After changing a page's text: extract the messages again (babel.cfg) and merge them into
# every catalogue; then translate what is new (tests/web/test_translations.py says what).
translations-update: install-dev
	mkdir -p build
	$(BIN)/pybabel --quiet extract --mapping-file babel.cfg --no-location --sort-output \
		--output-file build/messages.pot .
	$(BIN)/pybabel --quiet update --input-file build/messages.pot --domain messages \
		--output-dir $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete --width 100

# Resolve uv.lock again after pyproject.toml changed (pins already in the lock are kept).
lock: $(UV)
	$(UV) lock

# Move pinned versions forward: `make upgrade` for all, `make upgrade PACKAGE=flask` for one;
# then `make test`, and commit uv.lock with the change.
upgrade: $(UV)
	$(UV) lock $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade)

# A local trial over plain HTTP: request verification off (loudly logged), cookies allowed
# without HTTPS, the SQLite database in instance/, the /try simulator on, and the audio named
# at an HTTPS address so sets stream to the simulated Echo (it plays them from /audio/ here).
run: export SPINE_COACH_VERIFY_REQUESTS = 0
run: export SPINE_COACH_SIMULATOR = 1
run: export SPINE_COACH_SESSION_COOKIE_SECURE = 0
run: export SPINE_COACH_DEFAULT_TIMEZONE ?= America/New_York
run: export SPINE_COACH_AUDIO_BASE_URL ?= https://$(HOST):$(PORT)/audio/
run: install system-deps
	$(BIN)/spine-coach db upgrade
	$(BIN)/spine-coach build-audio --engine espeak --missing-only
	$(BIN)/spine-coach serve --host $(HOST) --port $(PORT)

# OS packages the project needs: espeak-ng renders the offline coach voice (tests, local runs).
system-deps:
	@command -v espeak-ng >/dev/null 2>&1 || { \
		echo "Installing espeak-ng from the OS packages"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null; }

# The browser the real-browser tests drive: Debian's Chromium (Playwright never downloads one).
browser-deps:
	@test -n "$${SPINE_COACH_CHROMIUM:-}" || test -x /usr/bin/chromium || { \
		echo "Installing chromium from the OS packages"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The coach audio of every locale with the offline voice (`make run` builds only the locales
# audio/manifest.json lacks or has out of date); `spine-coach build-audio` (gTTS) for deployments.
audio: install system-deps
	$(BIN)/spine-coach build-audio --engine espeak

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy

test: install-dev system-deps browser-deps lint typecheck
	$(BIN)/spine-coach check-model
	$(BIN)/pytest
	$(MAKE) --no-print-directory test-dates

# The inner loop: lint, types, import layers and the suite without the tests marked browser or
# slow (processes, audio builds, fuzzing, faults), in a third of the time; `make test` runs all.
test-fast: install-dev system-deps lint typecheck
	$(BIN)/pytest -m "not browser and not slow"

# The date-sensitive tests with the wall clock moved far ahead: none may depend on today.
test-dates: install-dev
	@for days in $(CLOCK_SHIFTS); do \
		echo "== the date-sensitive tests, with the clock moved $$days days ahead"; \
		$(BIN)/pytest -m date_sensitive --clock-shift-days $$days || exit 1; \
	done

bench: install-dev
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
