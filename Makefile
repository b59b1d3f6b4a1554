# One entry point: `make demo` (the main job on a built-in default) and `make test`.
# Needs only Python >= 3.11 and make; everything else is installed into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo

.PHONY: demo test install bench stacks docs scan clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/blueprint new $(DEMO_DIR) --force --stance strict --org acme --region eu-west-1 \
		--team genomics:dsw-genomics --team vision:dsw-vision --alert-email platform@acme.example
	$(BIN)/blueprint preview $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py

docs: $(STAMP)
	$(BIN)/python -m blueprint.catalog.matrix > docs/stances.md

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .hypothesis
