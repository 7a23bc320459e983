# Front door. `make demo` and `make test` work on a new machine: each installs what is missing first.
SHELL := /bin/bash
BUILD ?= build/default
WASM_BUILD ?= build/wasm
JOBS ?= 2
SLM := $(BUILD)/bin/slm
DEMO := build/demo
export NODE_PATH := /usr/share/nodejs

FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 60
CAMPAIGN_SECONDS ?= 600

.PHONY: deps deps-demo deps-bench build demo test unit mutants mutants-sample wasm-build wasm-module wasm-check fuzz-build fuzz-ci fuzz bench bench-build bench-plots check-build-types clean

# Package groups (scripts/install-deps): `demo` is what configuring and building `slm` and running
# scripts/demo need; `test` adds what `make test` needs (Chromium, Emscripten, clang/libFuzzer, ...).
deps-demo:
	scripts/install-deps demo

deps:
	scripts/install-deps test

build: deps
	cmake --preset default >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# The demo installs only the demo group and builds only the `slm` command and the .wasm of its page.
demo: deps-demo
	cmake --preset default >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target slm
	scripts/demo $(SLM) $(DEMO)
	$(MAKE) --no-print-directory wasm-module
	rm -rf $(DEMO)/web && scripts/stage-wasm-demo --slm $(SLM) --wasm $(WASM_BUILD)/bin/slm_wasm.wasm $(DEMO)/web
	@echo; echo "The same model in a browser (WebAssembly): the page is $(CURDIR)/$(DEMO)/web/index.html. Open it with"; \
	  echo "  python3 -m http.server 8000 --bind 127.0.0.1 --directory $(DEMO)/web"; \
	  echo "and then http://127.0.0.1:8000/index.html in a browser (file:// blocks module scripts)."
	rm -rf $(DEMO)/site && $(SLM) site-kit -o $(DEMO)/site --wasm $(WASM_BUILD)/bin/slm_wasm.wasm
	@echo; echo "The site kit (mock packages, adapters, eval evidence, a signed release packet, the whole loop live"; \
	  echo "in the page) is $(CURDIR)/$(DEMO)/site. Open it with"; \
	  echo "  python3 -m http.server 8001 --bind 127.0.0.1 --directory $(DEMO)/site"; \
	  echo "and then http://127.0.0.1:8001/index.html"

unit: build
	ctest --test-dir $(BUILD) -j$(JOBS) --output-on-failure

# The WASM build (spec/wasm-abi.md) is judged like any runtime: every case through the raw ABI
# (report in reports/wasm/conform/), then the ABI's own rules with hostile calls, the SIMD128
# kernels against the portable ones, the demo page and the site kit's page in headless Chromium
# (reports/wasm/demo.png, reports/site/site.png).
wasm-build: build wasm-module

# The .wasm alone (what `make demo` needs besides `slm`).
wasm-module:
	emcmake cmake -S . -B $(WASM_BUILD) -G Ninja -DSLM_REFERENCE_ONLY=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(WASM_BUILD) -j$(JOBS)

wasm-check: wasm-build
	$(SLM) conform --runtime wasm:$(WASM_BUILD)/bin/slm_wasm.wasm --report reports/wasm/conform --no-progress
	node wasm/tests/abi.test.mjs $(WASM_BUILD)/bin/slm_wasm.wasm $(SLM)
	node wasm/tests/kernels.test.mjs $(WASM_BUILD)/bin/slm_kernels_test.wasm
	python3 tests/wasm_page/test_page.py --slm $(SLM) --wasm $(WASM_BUILD)/bin/slm_wasm.wasm --screenshot reports/wasm/demo.png
	python3 tests/site/test_site.py --slm $(SLM) --wasm $(WASM_BUILD)/bin/slm_wasm.wasm --screenshot reports/site/site.png

# clang build with ASan + UBSan: libFuzzer targets, and the unit tests run under the sanitizers.
fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DSLM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS)

# CI: the unit tests and every corpus replay under ASan + UBSan, then each target for FUZZ_SECONDS.
fuzz-ci: fuzz-build
	ctest --test-dir $(FUZZ_BUILD) -j$(JOBS) --output-on-failure
	scripts/fuzz-run --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS)
	scripts/check-clusterfuzzlite

# Local campaign: longer runs, new coverage merged into corpus/, statistics into reports/fuzz/.
fuzz: fuzz-build
	scripts/fuzz-run --build $(FUZZ_BUILD) --seconds $(CAMPAIGN_SECONDS) --merge --report reports/fuzz/campaign.md

# Mutation score of the conformance suite (tools/mutants/mutants.py): seeded bugs in the runtime, each
# relinked into its own `slm` from $(BUILD)'s objects and judged by `slm conform`. The sources are only
# read (mutants live in build/mutants/). `mutants` runs the full set and writes reports/mutants/;
# `mutants-sample` (in `make test`) runs a fixed sample of about 20 that must all be killed.
MUTANTS_PYTHON ?= /usr/bin/python3
mutants: deps-demo
	cmake --preset default >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target slm
	$(MUTANTS_PYTHON) tools/mutants/mutants.py --build $(BUILD)

mutants-sample: build
	$(MUTANTS_PYTHON) tools/mutants/mutants.py --build $(BUILD) --keys tools/mutants/sample.txt --require-killed --report ''

test: unit mutants-sample wasm-check fuzz-ci

# Benchmarks write reports/bench/ (see bench/README.md): JSON from each script, then SVG plots and
# index.md from that JSON (bench/plots.py). Builds only what they run. BENCH_THREADS is the list of
# thread counts (default: 1 to the number of cores); the scripts pass --threads to a binary only
# once its --help mentions it. Debian's python3 (matplotlib comes from python3-matplotlib).
BENCH_PYTHON ?= /usr/bin/python3
BENCH_THREADS ?= all
deps-bench:
	scripts/install-deps bench

bench-build: deps-bench
	cmake --preset default >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target slm slm_bench_binaries

bench: bench-build
	$(BENCH_PYTHON) bench/validate_throughput.py --slm $(SLM) --out reports/bench
	$(BENCH_PYTHON) bench/generate_throughput.py --bin $(BUILD)/bin --out reports/bench --threads $(BENCH_THREADS)
	$(BENCH_PYTHON) bench/apply_memory.py --slm $(SLM) --out reports/bench
	$(BENCH_PYTHON) bench/eval_throughput.py --slm $(SLM) --out reports/bench --threads $(BENCH_THREADS)
	$(BENCH_PYTHON) bench/conform_overhead.py --slm $(SLM) --out reports/bench
	$(MAKE) --no-print-directory wasm-module
	node bench/wasm_throughput.mjs --wasm $(WASM_BUILD)/bin/slm_wasm.wasm --bin $(BUILD)/bin --runs 7 --stat median \
	  --json reports/bench/wasm.json --md reports/bench/wasm.md
	$(BUILD)/bin/slm_micro_bench --benchmark_out=reports/bench/micro.json --benchmark_out_format=json
	$(BENCH_PYTHON) bench/plots.py --dir reports/bench

# The plots and index.md again from the JSON already in reports/bench/ (no measuring).
bench-plots: deps-bench
	$(BENCH_PYTHON) bench/plots.py --dir reports/bench

# Every CMake build type builds warning-free (-Werror) and passes the unit tests; not part of
# `make test`. Release (-O3) in build/release and Debug (-O0 -g) in build/debug, one after the other.
# CHECK_BUILD_TYPES_CTEST_ARGS passes extra ctest arguments, e.g. -E conformance.harness.
CHECK_BUILD_TYPES_CTEST_ARGS ?=
check-build-types: deps
	for t in Release Debug; do \
	  d=build/$$(echo $$t | tr A-Z a-z); \
	  cmake -S . -B $$d -G Ninja -DCMAKE_BUILD_TYPE=$$t >/dev/null && \
	  cmake --build $$d -j$(JOBS) && \
	  ctest --test-dir $$d -j$(JOBS) --output-on-failure $(CHECK_BUILD_TYPES_CTEST_ARGS) || exit 1; \
	done

clean:
	rm -rf build
