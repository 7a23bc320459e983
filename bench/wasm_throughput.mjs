#!/usr/bin/env node
// Forward-pass tokens per second of the wasm32 build against the native build, single thread, on the
// stories15m shape (dim 288, hidden 768, 6 layers, 6 heads, vocab 32000, seq 256) in f32, q8_0 and
// q4_0. Native: build/default/bin/slm_generate_bench MODEL --steps N (JSON with tokens_per_second,
// as bench/generate_throughput.py runs it). Wasm: slm_wasm.wasm in this Node process.
//
//   node bench/wasm_throughput.mjs [--wasm build/wasm/bin/slm_wasm.wasm] [--bin build/default/bin]
//                                  [--dir build/bench] [--steps 256] [--runs 3] [--dtypes f32,q8_0,q4_0]
//                                  [--stat best|median] [--json OUT.json [--md OUT.md]] [--no-native]
//
// Prints a table native vs wasm tok/s and the ratio per dtype. Native and wasm runs alternate; the
// statistic is the best run by default (on a shared machine the other runs measure the neighbours).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { instantiate } from '../wasm/slm.mjs';

function parseArgs(argv) {
  const args = { wasm: 'build/wasm/bin/slm_wasm.wasm', bin: 'build/default/bin', dir: 'build/bench', steps: 256,
                 runs: 5, dtypes: 'f32,q8_0,q4_0', json: null, md: null, native: true, stat: 'best' };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'no-native') { args.native = false; continue; }
    if (!(key in args)) throw new Error(`unknown option ${argv[i]}`);
    const v = argv[++i];
    args[key] = typeof args[key] === 'number' ? Number(v) : v;
  }
  return args;
}

// The one place that knows the ABI (spec/wasm-abi.md, through wasm/slm.mjs): the model is loaded once
// into a runtime handle; a generation of `steps` tokens minus one of 1 token cancels slm_begin's work.
// Also the module's peak linear memory against file + KV cache + scratch (the diagnostics' figures).
async function timeForward(wasmBytes, modelBytes, steps) {
  const slm = await instantiate(wasmBytes);
  const rt = slm.runtime();
  rt.load(modelBytes);
  const run = (n) => {
    const t0 = performance.now();
    const r = rt.generate('', { maxTokens: n });
    const t = (performance.now() - t0) / 1000;
    if (r.tokens.length !== n) throw new Error(`generated ${r.tokens.length} tokens, not ${n}`);
    return { t, tokens: r.tokens };
  };
  // Warm-up: V8 starts every function in Liftoff and compiles the hot ones with TurboFan in the
  // background. After 2 tokens the 26 KB quantized matvec was sometimes not yet replaced, and a
  // timed run then went at 170 tok/s instead of 270 (q8_0); after 32 it has been every time.
  run(32);
  const one = run(1), many = run(steps);
  const d = rt.diagnostics();
  const needed = d.model_bytes + d.kv_cache_bytes + d.scratch_bytes;
  const peak = slm.memory().buffer.byteLength;
  rt.free();
  let h = 0xcbf29ce484222325n;  // FNV-1a of the token ids: the same tokens in every run
  for (const t of many.tokens) h = BigInt.asUintN(64, (h ^ BigInt(t)) * 0x100000001b3n);
  return { secondsPerToken: (many.t - one.t) / (steps - 1), fingerprint: h, peak, needed };
}

const best = (xs) => Math.max(...xs);
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function nativeTokensPerSecond(bin, model, steps) {
  const exe = join(bin, 'slm_generate_bench');
  if (!existsSync(exe)) throw new Error(`${exe} is missing (build the native bench first)`);
  return JSON.parse(execFileSync(exe, [model, '--steps', String(steps)], { encoding: 'utf8' })).tokens_per_second;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const stat = args.stat === 'median' ? median : best;
  const wasmBytes = readFileSync(args.wasm);
  mkdirSync(args.dir, { recursive: true });
  const rows = [];
  for (const dtype of args.dtypes.split(',')) {
    const model = join(args.dir, `stories15m-${dtype}.slm`);
    if (!existsSync(model)) {
      execFileSync(join(args.bin, 'slm'), ['gen', 'model', '--preset', 'stories15m', '--dtype', dtype, '-o', model]);
    }
    const modelBytes = readFileSync(model);
    const wasm = [], native = [];
    let fingerprint = null, peak = 0, needed = 0;
    for (let r = 0; r < args.runs; r++) {
      const w = await timeForward(wasmBytes, modelBytes, args.steps);
      wasm.push(1 / w.secondsPerToken);
      fingerprint = w.fingerprint;
      peak = Math.max(peak, w.peak);
      needed = w.needed;
      if (args.native) native.push(nativeTokensPerSecond(args.bin, model, args.steps));
    }
    const row = { dtype, native_tps: args.native ? stat(native) : null, wasm_tps: stat(wasm),
                  fingerprint: fingerprint.toString(16).padStart(16, '0'), peak_memory_bytes: peak,
                  file_kv_scratch_bytes: needed, memory_ratio: peak / needed };
    // The ratio of each interleaved pair, then the statistic: a pair runs seconds apart, so a slow
    // spell of this shared machine moves both of its runs (the ratio of two medians mixes spells).
    row.ratio = args.native ? stat(wasm.map((w, i) => w / native[i])) : null;
    rows.push(row);
  }
  const f = (v, d = 1) => (v === null ? '-' : v.toFixed(d));
  console.log(`${args.wasm}: steps ${args.steps}, ${args.stat} of ${args.runs} runs, single thread`);
  console.log('| dtype | native tok/s | wasm tok/s | wasm/native | peak wasm memory / (file + KV + scratch) | tokens |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.dtype} | ${f(r.native_tps)} | ${f(r.wasm_tps)} | ${f(r.ratio, 2)} | ${f(r.memory_ratio, 3)} | ${r.fingerprint} |`);
  if (args.json) {
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const report = { benchmark: 'wasm_throughput', date, node: process.version, wasm: args.wasm, steps: args.steps, runs: args.runs,
                     stat: args.stat, target_ratio: 0.7, target_memory_ratio: 1.1, rows };
    writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
    if (args.md) {
      const lines = [
        '# WASM vs native generation, stories15m shape, one thread', '',
        `${date}, Node ${process.version}. ${args.steps} tokens per run (a 1-token run subtracted), ${args.stat} of ${args.runs} runs, ` +
        'native (build/default/bin/slm_generate_bench, AVX2) and wasm (the raw ABI through wasm/slm.mjs, SIMD128, the model loaded once) interleaved; ' +
        `wasm / native is the ${args.stat} of each pair's ratio. ` +
        'Peak wasm memory is the module\'s linear memory after the run; file + KV + scratch are the diagnostics\' figures.', '',
        '| dtype | native tok/s | wasm tok/s | wasm / native (target 0.7) | peak wasm memory MiB | file + KV + scratch MiB | ratio (target 1.1) |',
        '|---|--:|--:|--:|--:|--:|--:|',
        ...rows.map((r) => `| ${r.dtype} | ${f(r.native_tps)} | ${f(r.wasm_tps)} | ${f(r.ratio, 2)} | ${f(r.peak_memory_bytes / 1048576)} | ` +
                           `${f(r.file_kv_scratch_bytes / 1048576)} | ${f(r.memory_ratio, 2)} |`),
        '', 'Tokens are the same in every run (FNV-1a of the ids: ' + rows.map((r) => `${r.dtype} ${r.fingerprint}`).join(', ') + ').',
        'Memory above file + KV + scratch is about 1 MiB whatever the dtype: the decoded tokenizer (32000 pieces, 0.5 MiB) and its',
        'hash table (0.25 MiB), a 128 KiB stack, static data and allocator slack. This machine is a shared VM: single runs swing',
        'by 30%; use medians.', ''];
      writeFileSync(args.md, lines.join('\n'));
    }
  }
}

main().catch((e) => { console.error(e.message); process.exit(1); });
