# The two newcomer commands are `make book` and `make test`; each sets up what it needs on first use
# (.venv with the pinned packages, Debian packages when it can) and reuses it afterwards.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PORT  ?= 8000
export PYTHONDONTWRITEBYTECODE := 1
# One BLAS thread unless you say otherwise (OMP_NUM_THREADS=2 make book): the chapters' matrices are small, and on a
# machine that is busy with anything else OpenBLAS's second thread spins for a core and makes them 10x slower.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= $(OMP_NUM_THREADS)

.PHONY: book serve test check-book setup export clean-nbs bench clean help

help:
	@echo "make book        build the HTML book into _build/html (runs every chapter)"
	@echo "make test        run every test: export sync, clean notebooks, notebook checks, pytest"
	@echo "make serve       serve the built book on http://127.0.0.1:$(PORT)/ (search needs a server, not file://)"
	@echo "make check-book  open every page of the built book in headless Chromium and check it"
	@echo "make export      export the notebooks into mytorch/ and clean them, solutions collapsed (after editing)"
	@echo "make bench       run the benchmarks in bench/"

setup:
	@.ci/sysdeps
	@.ci/venv

book: setup
	@.ci/mathjax
	@rm -rf _build/html _build/jupyter_execute   # no stale pages of renamed chapters
	@# cached chapters (execution_mode: cache) rerun when mytorch changed: the cache remembers which mytorch it ran
	@lib=$$(find mytorch -name '*.py' | sort | xargs cat | sha256sum | cut -c1-16); \
	 if [ "$$(cat _build/.jupyter_cache/mytorch.sha 2>/dev/null)" != "$$lib" ]; then rm -rf _build/.jupyter_cache; fi
	$(BIN)/jupyter-book build --all -W --keep-going --path-output . .
	@mkdir -p _build/.jupyter_cache && find mytorch -name '*.py' | sort | xargs cat | sha256sum | cut -c1-16 > _build/.jupyter_cache/mytorch.sha
	@echo
	@echo "The book is built in _build/html. To read it (search included): make serve, then open http://127.0.0.1:$(PORT)/"

# Search needs the pages served over HTTP: through file:// a browser blocks the requests that fetch its snippets.
serve:
	@test -f _build/html/index.html || { echo "no book in _build/html yet: run make book first"; exit 1; }
	@echo "Serving the book on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it; make serve PORT=8001 for another port)"
	@$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

test: setup
	@.ci/mathjax     # the browser-check tests typeset a real equation with the book's MathJax
	@.ci/check-sync
	@.ci/test-notebooks
	$(BIN)/pytest -q -n 2 tests    # two worker processes (pytest-xdist), one per core

check-book:
	@test -f _build/html/index.html || $(MAKE) book
	@.ci/sysdeps
	$(BIN)/python tests/browser_check.py _build/html

# nbdev_clean strips noisy metadata; .ci/hide-solutions collapses exercise solutions in Jupyter and drops outputs and
# execution counts (nbdev_clean keeps those with clear_all = False, which keeps the collapse: see settings.ini)
export: setup
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	$(BIN)/python .ci/hide-solutions

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf _build .jupyter_cache .pytest_cache
