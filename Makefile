# usi-metric: `make demo` and `make test` are the whole quick start.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := usi_metric/samples/synthetic_tau_usi

.PHONY: install demo test lint sample bench browser-deps space clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,judge]"
	touch $(STAMP)

demo: install
	$(VENV)/bin/usi leaderboard --data-dir $(SAMPLE)

test: install browser-deps
	$(PY) -m ruff check .
	$(PY) -m pytest -q

# Debian's chromium for the browser test (Playwright drives it; no browser download).
browser-deps:
	@bash scripts/install_browser.sh

# Speed and memory at scale (prints ratios; not part of `make test`).
bench: install
	$(PY) benchmarks/run.py

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
