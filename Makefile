# zerodl — the two commands a newcomer needs are `make serve` and `make test`.
# Both create .venv on first use and install what they need into it.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
TANGLE := PYTHONPATH=tools $(PY) -m literate.tangle

# Offline MNIST for builds and tests when the shared copy sits beside the
# project (as in CI); otherwise the loader uses its cache or downloads once.
ifneq ($(wildcard ../shared/data/mnist/train-images-idx3-ubyte.gz),)
export ZERODL_DATA_DIR ?= $(abspath ../shared/data/mnist)
endif
# Playwright is driven against Debian's chromium; it must never fetch a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: serve test build render determinism notebooks tangle check-tangle bench audit clean help

help:
	@echo "make serve         serve the site at http://127.0.0.1:8000 (installs into $(VENV))"
	@echo "make test          run every test: code blocks, tangle drift, claims, site build, browser"
	@echo "make build         build the site into site/"
	@echo "make render        write the rendered tree (Markdown with outputs and figures) into build/rendered"
	@echo "make determinism   two clean executions into two trees and two sites: they must be identical"
	@echo "make notebooks     run every notebook of the site top to bottom (Run all reproduces each page)"
	@echo "make tangle        regenerate src/zerodl from the chapters in docs/"
	@echo "make check-tangle  fail with a diff if src/zerodl differs from docs/"
	@echo "make audit         Lighthouse (mobile, pinned 12.2.3 via npm) on every page of a fresh build (writes docs/data/audit.json)"
	@echo "make bench         time the training step vs PyTorch, MNIST loading and the build (writes docs/data/benchmark.json;\n                   other machines are kept, BENCH_ARGS=--append keeps this CPU's earlier runs too)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.docs-installed: pyproject.toml | $(PY)
	$(PIP) install -e ".[docs]"
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(PY)
	$(PIP) install -e ".[test]"
	@touch $@ $(VENV)/.docs-installed

serve: $(VENV)/.docs-installed
	$(TANGLE)
	ZERODL_SITE_URL=http://127.0.0.1:8000/ $(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

build: $(VENV)/.docs-installed
	$(TANGLE) --check
	$(VENV)/bin/mkdocs build --strict

render: $(VENV)/.docs-installed
	$(TANGLE) --check
	PYTHONPATH=tools $(PY) -m literate.render --out build/rendered

# Two clean executions (separate caches) give the same rendered tree and the same site.
DET := build/determinism
determinism: $(VENV)/.docs-installed
	$(TANGLE) --check
	rm -rf $(DET)
	for run in 1 2; do \
	  ZERODL_EXEC_CACHE=$(DET)/cache$$run PYTHONPATH=tools $(PY) -m literate.render --out $(DET)/tree$$run || exit 1; \
	  ZERODL_EXEC_CACHE=$(DET)/cache$$run NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -q -d $(DET)/site$$run || exit 1; \
	done
	diff -rq $(DET)/tree1 $(DET)/tree2
	diff -rq $(DET)/site1 $(DET)/site2
	@echo "determinism: two clean executions gave the same rendered tree and the same site"

tangle: $(VENV)/.docs-installed
	$(TANGLE)

check-tangle: $(VENV)/.docs-installed
	$(TANGLE) --check


# Plain pytest: the pages render side by side while the other tests run; the code-block
# tests and the site build share that one execution (tools/literate/pytest_pages.py).
test: $(VENV)/.test-installed
	$(TANGLE) --check
	$(PY) -m pytest $(PYTEST_ARGS)

# Every notebook the site offers, run top to bottom as a reader runs it: a fresh virtualenv
# (build/notebook-venv) with only the home page's install line, the wheel taken from the built site.
# A second execution of every page (not in make test).
notebooks: $(VENV)/.test-installed
	$(TANGLE) --check
	$(PY) -m pytest -m notebooks tests/test_notebooks_run.py $(PYTEST_ARGS)

# Benchmarks, not tests. PyTorch is a benchmark-only dependency (a CPU build).
bench: $(VENV)/.test-installed
	$(PIP) install torch==2.13.0
	$(PIP) install "threadpoolctl>=3.1"
	$(TANGLE) --check
	PYTHONPATH=tools $(PY) -m bench.run $(BENCH_ARGS)

# Lighthouse on every page, served gzip-compressed; a benchmark, not a test (tools/bench/audit.py).
audit: build
	PYTHONPATH=tools $(PY) -m bench.audit --site site $(AUDIT_ARGS)

clean:
	rm -rf site build .cache .pytest_cache
