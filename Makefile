# careplan: `make demo` renders the example handouts; `make test` runs the checks.
# Both set everything up on a fresh Debian/Ubuntu machine with Python >= 3.11.

VENV ?= .venv
OUT ?= out
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# WeasyPrint's system libraries; HarfBuzz-subset makes fonts small and PDFs reproducible;
# poppler-utils turns pages into PNG for review; DejaVu and Noto (with CJK) print names in other
# scripts; chromium-headless-shell is the browser the web page's tests drive (Debian's build:
# Playwright's own download cannot be used, and Ubuntu ships Chromium only as a snap).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
	fonts-dejavu-core fonts-noto-core fonts-noto-cjk poppler-utils chromium-headless-shell

.PHONY: demo test lint golden screenshots system-deps clean

system-deps:
	@if command -v dpkg >/dev/null && ! dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then \
		echo "Installing system packages: $(SYSTEM_PACKAGES)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			$(SYSTEM_PACKAGES) >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

demo: system-deps $(VENV)/.installed
	@mkdir -p $(OUT)
	@for profile in profiles/*.yaml; do \
		$(VENV)/bin/careplan render "$$profile" --clinic examples/clinic.yaml \
			-o "$(OUT)/$$(basename "$$profile" .yaml).pdf" || exit 1; \
	done
	$(VENV)/bin/careplan batch examples/clinic-day.csv -o $(OUT)/clinic-day \
		--clinic examples/clinic.yaml --merge $(OUT)/clinic-day/all.pdf
	@echo "Handouts are in $(OUT)/ (one per profile; $(OUT)/clinic-day/ holds the CSV batch)"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks tools
	$(VENV)/bin/mypy

test: system-deps $(VENV)/.installed lint
	$(VENV)/bin/pytest

# Rewrite tests/data/golden-pdfs.sha256 after a change that alters the PDFs on purpose.
golden: system-deps $(VENV)/.installed
	$(VENV)/bin/pytest -q tests/test_golden.py --update-golden

# Rewrite docs/images/web-form.png from a real careplan serve session in headless Chromium.
screenshots: system-deps $(VENV)/.installed
	$(VENV)/bin/python tools/web_screenshot.py docs/images/web-form.png

clean:
	rm -rf $(OUT) build dist .pytest_cache
