# The README's two commands: `make run` (karmadad on the embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test check lint kube-binaries

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/karmadad run --config config/karmadad.yaml

# Builds (first time: tens of minutes) or reuses the Kubernetes binaries of the test member clusters.
# In CI a failed build fails the run; elsewhere the real-cluster tests are then skipped.
kube-binaries:
	@if ! bash tests/kube/build-binaries.sh >/dev/null; then \
	  if [ "$$CI" = true ]; then echo "make: building the Kubernetes test binaries failed" >&2; exit 1; fi; \
	  echo "make: Kubernetes test binaries not built; real-cluster tests will be skipped" >&2; \
	fi

lint: $(BIN)/.installed
	$(BIN)/ruff check karmadad tests

test: $(BIN)/.installed kube-binaries lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast loop while working: lint and every test that needs no Go-built binary (no member clusters, no
# kubectl): unit, store, work queue and in-process controller tests. CI runs the whole `make test`.
check: $(BIN)/.installed lint
	$(BIN)/python -m pytest -q tests/unit tests/store tests/runtime tests/controllers $(PYTEST_ARGS)
