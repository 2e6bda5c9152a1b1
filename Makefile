# usi-metric: `make demo` and `make test` are the whole quick start.
VENV   ?= .venv
PY     := $(VENV)/bin/python
CORE   := $(VENV)/.core
STAMP  := $(VENV)/.installed
SAMPLE := usi_metric/samples/synthetic_tau_usi

.PHONY: install install-core demo test lint sample bench browser-deps space clean

# The light core (what `make demo` needs): the package and its runtime dependencies.
install-core: $(CORE)

$(CORE): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(CORE)

# Everything the tests need: the core plus the test tools and the [judge] extra
# (transformers + torch for the local survey judge; about 5 GB the first time, cached after).
install: $(STAMP)

$(STAMP): $(CORE)
	$(PY) -m pip install --quiet -e ".[test,judge]"
	touch $(STAMP)

demo: install-core
	$(VENV)/bin/usi leaderboard --data-dir $(SAMPLE)

test: install browser-deps
	$(PY) -m ruff check .
	$(PY) -m pytest -q -n 2

# Debian's chromium for the browser test (Playwright drives it; no browser download).
browser-deps:
	@bash scripts/install_browser.sh

# Speed and memory at scale (prints ratios; not part of `make test`).
bench: install
	$(PY) benchmarks/run.py $(if $(TAUBENCH),--taubench $(TAUBENCH))

lint: install
	$(PY) -m ruff check .

# Regenerate the bundled SYNTHETIC sample release (deterministic).
sample: install
	$(PY) scripts/make_synthetic_sample.py $(SAMPLE)

# The Hugging Face Space (metric card + script + app) with the package inside: dist/space/.
# Upload: hf upload <org>/usi dist/space . --repo-type space
space: install
	$(PY) scripts/make_space.py dist/space

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
