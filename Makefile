# Two commands matter: `make demo` runs Accord's built-in demo, `make test` runs the tests.
# Both create the virtual environment and install the locked dependencies (uv.lock) first.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
# Installed modules are compiled once, at install: the command line then starts at once even
# where PYTHONDONTWRITEBYTECODE keeps Python from caching what it compiles.
export UV_COMPILE_BYTECODE := 1

.PHONY: demo test browser fonts lint format bench serve clean

demo: $(VENV)/.synced fonts
	$(BIN)/accord demo

# One test process per core (tests of one file stay in one process: their module fixtures are
# built once); `TEST_JOBS=0` runs them in this process alone.
TEST_JOBS ?= auto
test: $(VENV)/.synced browser fonts
	$(BIN)/pytest --numprocesses=$(TEST_JOBS) --dist=loadfile

# The browser tests (tests/e2e) drive Debian's chromium: install it when it is missing and we
# may (as root). Never fails: without chromium the browser tests skip (under CI=true they fail).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	    || { apt-get update -q >/dev/null \
	         && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
	    || echo "chromium not installed (apt-get failed): the browser tests will skip"; \
	  else \
	    echo "chromium missing: the browser tests will skip; as root: apt-get install chromium"; \
	  fi; }

# Notices and dossiers are typeset with Debian's Noto fonts (Latin, Cyrillic, Arabic, Ethiopic,
# Devanagari, Gurmukhi) and WenQuanYi (Chinese); the tests read Arabic PDFs back with poppler's
# pdftotext. Installed when missing and we may (as root); without them, serving a notice says
# which font is missing, and the tests that need them skip (under CI=true they fail).
FONT_PACKAGES := fonts-noto-core fonts-wqy-microhei poppler-utils
fonts:
	@if [ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] \
	  && [ -d /usr/share/fonts/truetype/wqy ] && command -v pdftotext >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing fonts for the documents: $(FONT_PACKAGES)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(FONT_PACKAGES) >/dev/null \
	  || { apt-get update -q >/dev/null \
	       && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(FONT_PACKAGES) >/dev/null; } \
	  || echo "fonts not installed (apt-get failed): notices cannot be typeset"; \
	else \
	  echo "fonts missing: notices cannot be typeset; as root: apt-get install $(FONT_PACKAGES)"; \
	fi

lint: $(VENV)/.synced
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

format: $(VENV)/.synced
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# The quick forms; each script's docstring gives the full run behind docs/benchmarks.md.
bench: $(VENV)/.synced
	$(BIN)/python bench/import_people.py --count 100000 --baseline-count 10000
	$(BIN)/python bench/screening.py --count 100000 --baseline-count 10000
	$(BIN)/python bench/matching.py --quick
	$(BIN)/python bench/api.py --quick

serve: $(VENV)/.synced
	$(BIN)/accord serve

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	$(BIN)/python -m compileall -q src
	touch $@
