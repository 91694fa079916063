# evalbox: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow test-deploy lint bench setup docker clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

docker:
	bash scripts/ensure-docker.sh
	bash scripts/ensure-gvisor.sh

## Run the whole suite except the cases that take minutes (those are `make test-slow`), in
## TEST_PROCESSES pytest-xdist processes: most cases wait on Docker, so two halve the time on 2 cores.
TEST_PROCESSES ?= 2
test: setup docker
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_PROCESSES) -m "not slow" $(PYTEST_ARGS)

# pytest exits 5 when nothing is marked slow: not a failure.
test-slow: setup docker
	$(BIN)/pytest -m slow --ignore=tests/deploy $(PYTEST_ARGS) || [ $$? -eq 5 ]

## The compose deployment test: builds the stack's images from Debian packages, starts it (minutes).
test-deploy: setup docker
	$(BIN)/pytest -m slow tests/deploy $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

demo: setup
	$(BIN)/python examples/demo.py $(DEMO_ARGS)

bench: setup docker
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf var tests/artifacts
