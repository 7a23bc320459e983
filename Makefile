# Front door. `make demo` and `make test` work on a new machine: each installs what is missing first.
SHELL := /bin/bash
BUILD ?= build/default
WASM_BUILD ?= build/wasm
JOBS ?= 2
SLM := $(BUILD)/bin/slm
DEMO := build/demo
export NODE_PATH := /usr/share/nodejs

.PHONY: deps build demo test unit wasm-check bench clean

deps:
	scripts/install-deps

build: deps
	cmake --preset default >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	scripts/demo $(SLM) $(DEMO)

unit: build
	ctest --test-dir $(BUILD) -j$(JOBS) --output-on-failure

# The reference library must build and link for wasm32 and give the native verdicts.
wasm-check: build
	emcmake cmake -S . -B $(WASM_BUILD) -G Ninja -DSLM_REFERENCE_ONLY=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(WASM_BUILD) -j$(JOBS)
	rm -rf $(WASM_BUILD)/negatives && $(SLM) gen negatives -o $(WASM_BUILD)/negatives >/dev/null
	$(SLM) gen model --preset small -o $(WASM_BUILD)/small.slm >/dev/null
	node wasm/check-negatives.mjs $(WASM_BUILD)/bin/slm_wasm.wasm $(WASM_BUILD)/negatives $(WASM_BUILD)/small.slm

test: unit wasm-check

# Benchmarks write reports/bench/ (see bench/README.md).
bench: build
	python3 bench/validate_throughput.py --slm $(SLM) --out reports/bench
	$(BUILD)/bin/slm_micro_bench --benchmark_out=reports/bench/micro.json --benchmark_out_format=json

clean:
	rm -rf build
