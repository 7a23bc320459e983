#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script. The environment provides $CC $CXX $CFLAGS $CXXFLAGS
# (sanitizer and coverage flags included), $LIB_FUZZING_ENGINE, $SRC, $WORK and $OUT.
# scripts/check-clusterfuzzlite runs this locally with the same variables.
cd "$SRC/slm"
cmake -S . -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DSLM_FUZZ=ON -DSLM_FUZZERS_ONLY=ON -DSLM_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
targets="model roundtrip tokenizer protocol llama2c adapter"
cmake --build "$WORK/build" --target $(for t in $targets; do printf 'fuzz_%s ' "$t"; done)

declare -A dict=([model]=slm [roundtrip]=slm [tokenizer]=slm [protocol]=protocol [llama2c]=slm [adapter]=adapter)
declare -A max_len=([model]=131072 [roundtrip]=131072 [tokenizer]=16384 [protocol]=4096 [llama2c]=131072 [adapter]=65536)
for t in $targets; do
  cp "$WORK/build/fuzz/fuzz_$t" "$OUT/"
  cp "fuzz/dicts/${dict[$t]}.dict" "$OUT/fuzz_$t.dict"
  printf '[libfuzzer]\nmax_len = %s\nmalloc_limit_mb = 32\ntimeout = 10\n' "${max_len[$t]}" > "$OUT/fuzz_$t.options"
  # seed corpus: the committed corpus, every past finding, and for model files the conformance cases
  seeds=$(mktemp -d)
  find "corpus/$t" "corpus/regressions/$t" -type f ! -name '.keep' -exec cp {} "$seeds/" \;
  if [ "$t" = model ] || [ "$t" = roundtrip ]; then
    find conformance/cases -name model.slm | while read -r f; do cp "$f" "$seeds/$(echo "$f" | tr '/' '_')"; done
  fi
  if [ "$t" = adapter ]; then
    find conformance/cases/adapters -type f ! -name '*.json' ! -name '*.slm' | while read -r f; do cp "$f" "$seeds/$(echo "$f" | tr '/' '_')"; done
  fi
  (cd "$seeds" && zip -q -r "$OUT/fuzz_${t}_seed_corpus.zip" .)
  rm -rf "$seeds"
done
