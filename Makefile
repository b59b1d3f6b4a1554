# One entry point: `make demo` (the main job on a built-in default) and `make test`.
# Needs only Python >= 3.11 and make; everything else is installed into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo
# checkov lives in its own virtual environment: its pins (an older `packaging`) clash with pulumi's.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# parliament (IAM policy linter, a test judge) has its own virtual environment too, like checkov.
PARLIAMENT_VENV := .venv-parliament
PARLIAMENT_STAMP := $(PARLIAMENT_VENV)/.installed
# The real Helm engine (helm v4.1.4 from PyPI, sha256-pinned), a test and scan tool only.
HELM := .tools/bin/helm
# yaml-language-server (pinned in tests/catalog/editor), a test judge of the JSON Schemas as editors read them.
# Needs node and npm; without them the editor tests skip and say why.
YAML_LS := .tools/yaml-ls/.installed

.PHONY: demo test install tools bench stacks docs scan clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

install: $(STAMP)

$(CHECKOV_STAMP): scan/checkov-requirements.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r scan/checkov-requirements.txt
	touch $@

$(PARLIAMENT_STAMP): scan/parliament-requirements.txt
	test -x $(PARLIAMENT_VENV)/bin/python || $(PYTHON) -m venv $(PARLIAMENT_VENV)
	$(PARLIAMENT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PARLIAMENT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r scan/parliament-requirements.txt
	touch $@

$(HELM): scan/install_helm.py
	$(PYTHON) scan/install_helm.py --dest .tools/bin

$(YAML_LS): tests/catalog/editor/package.json tests/catalog/editor/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p .tools/yaml-ls && cp tests/catalog/editor/package.json tests/catalog/editor/package-lock.json .tools/yaml-ls/ && \
		npm ci --silent --no-audit --no-fund --prefix .tools/yaml-ls && touch $@; \
	else echo "note: no npm on this machine: the yaml-language-server tests will skip"; fi

tools: $(HELM)

demo: $(STAMP) $(HELM)
	$(BIN)/blueprint new $(DEMO_DIR) --force --stance strict --org acme --region eu-west-1 \
		--team genomics:dsw-genomics --team vision:dsw-vision --alert-email platform@acme.example
	$(BIN)/blueprint preview $(DEMO_DIR)
	$(BIN)/blueprint check $(DEMO_DIR)

test: $(STAMP) $(CHECKOV_STAMP) $(PARLIAMENT_STAMP) $(HELM) $(YAML_LS)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py

stacks: $(STAMP)
	$(BIN)/python stacks/build.py

docs: $(STAMP)
	$(BIN)/python docs/refresh.py

# Export the built-in stances, scan them (checkov, kubernetes-validate, the chart schema), rewrite docs/validation.md.
scan: $(STAMP) $(CHECKOV_STAMP) $(HELM)
	$(BIN)/python scan/run_checkov.py --checkov $(CHECKOV_VENV)/bin/checkov --write docs/validation.md
	$(BIN)/python docs/refresh.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PARLIAMENT_VENV) .tools $(DEMO_DIR) .pytest_cache .hypothesis
