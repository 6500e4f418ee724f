# Two commands for a new user: `make run` (set up and open the chat) and `make test`.
# Both create .venv, install the project and prepare the offline embedding model on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 7860
# llama-cpp-python compiles from source. Its default (-march=native) enables Intel AMX kernels
# that crash (SIGSEGV) on these VMs, so build for AVX2/AVX-512 explicitly, AMX off.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON \
	-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

.PHONY: setup run test eval quick-eval bench bench-laws probe load llm clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed
	$(PY) -m rag build --if-stale

run: setup
	$(PY) -m rag serve --port $(PORT)

$(VENV)/.llm: $(VENV)/.installed
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet -e ".[dev,llm]"
	$(PY) -m rag setup-llm
	touch $@

llm: $(VENV)/.llm

test: $(VENV)/.llm
	$(PY) -m pytest -q -rs

eval: setup
	$(PY) -m rag eval

quick-eval: setup
	$(PY) -m rag eval --quick

bench: setup
	$(PY) benchmarks/retrieval.py

bench-laws: setup
	$(PY) benchmarks/laws.py --scale 10

probe: setup
	$(PY) benchmarks/probe.py --llm

load: setup
	$(PY) benchmarks/load.py

clean:
	rm -rf $(VENV) index/current
