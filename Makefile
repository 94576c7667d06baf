# The README's two commands: `make run` (karmadad on the embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run kubeconfig test check lint kube-binaries

# The first time this downloads and installs karmadad's dependencies (a minute or two): say so, and let pip
# show what it is fetching, rather than a silent terminal.
$(BIN)/.installed: pyproject.toml setup.py
	@echo "make: creating $(VENV) and installing karmadad with its dependencies into it (first time: a minute or two)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/karmadad run --config config/karmadad.yaml

# A kubeconfig for kubectl with `make run`'s admin token: outside the checkout, readable by you only (0600).
KUBECONFIG_FILE ?= $(HOME)/.kube/karmadad.kubeconfig
kubeconfig: $(BIN)/.installed
	$(BIN)/karmadad kubeconfig --config config/karmadad.yaml --output $(KUBECONFIG_FILE)

# Builds (first time: tens of minutes) or reuses the Kubernetes binaries of the test member clusters.
# In CI a failed build fails the run; elsewhere the real-cluster tests are then skipped.
kube-binaries:
	@if ! bash tests/kube/build-binaries.sh >/dev/null; then \
	  if [ "$$CI" = true ]; then echo "make: building the Kubernetes test binaries failed" >&2; exit 1; fi; \
	  echo "make: Kubernetes test binaries not built; real-cluster tests will be skipped" >&2; \
	fi

# Style, types (mypy over karmadad/) and the floors' import contract (pyproject's [tool.importlinter]).
lint: $(BIN)/.installed
	$(BIN)/ruff check karmadad tests
	$(BIN)/ruff format --check --quiet karmadad tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: $(BIN)/.installed kube-binaries lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast loop while working: lint, types, and every test not marked slow (tests/conftest.py marks those on
# real member clusters, on Go-built binaries or running karmadad as a process): unit, store, work queue,
# in-process API and controller tests over fake members. CI runs the whole `make test`.
check: $(BIN)/.installed lint
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)
