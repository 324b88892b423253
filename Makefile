# Every target sets itself up on a fresh clone: the virtualenv is created and
# the package installed on first use (torch first, from the CPU build).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean screenshots app

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[all,test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/betfolio demo

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests

bench: $(STAMP)
	$(BIN)/betfolio bench ingest --json

app: $(STAMP)
	$(BIN)/betfolio app

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m betfolio.app.screenshots docs/screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
