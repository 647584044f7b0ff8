# Two commands for a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint typecheck bench clean system-deps browser-deps audio
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# A local trial over plain HTTP: request verification off (loudly logged), cookies allowed
# without HTTPS, the SQLite database in instance/, the /try simulator on, and the audio named
# at an HTTPS address so sets stream to the simulated Echo (it plays them from /audio/ here).
run: export SPINE_COACH_VERIFY_REQUESTS = 0
run: export SPINE_COACH_SIMULATOR = 1
run: export SPINE_COACH_SESSION_COOKIE_SECURE = 0
run: export SPINE_COACH_DEFAULT_TIMEZONE ?= America/New_York
run: export SPINE_COACH_AUDIO_BASE_URL ?= https://$(HOST):$(PORT)/audio/
run: $(VENV)/.installed system-deps
	$(BIN)/spine-coach db upgrade
	@test -f audio/manifest.json || $(BIN)/spine-coach build-audio --engine espeak
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

# The coach audio with the offline voice; `spine-coach build-audio` (gTTS) for real deployments.
audio: $(VENV)/.installed system-deps
	$(BIN)/spine-coach build-audio --engine espeak

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

test: $(VENV)/.installed-test system-deps browser-deps lint typecheck
	$(BIN)/spine-coach check-model
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
