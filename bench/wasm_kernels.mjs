#!/usr/bin/env node
// Nanoseconds per weight of the wasm-simd128 matvec kernels (reference/src/kernels_wasm.cpp) on the
// stories15m shapes, one thread, through the kernel test module's kt_matvec export: the loop to
// time when changing a kernel, without a whole forward pass around it. Best of 7 calls per shape.
//
//   node bench/wasm_kernels.mjs [build/wasm/bin/slm_kernels_test.wasm] [--shapes '[[32000,288],[768,288]]']
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { hostImports } from '../wasm/slm.mjs';

const args = process.argv.slice(2);
const shapesAt = args.indexOf('--shapes');
const shapes = shapesAt >= 0 ? JSON.parse(args[shapesAt + 1]) : [[32000, 288], [768, 288], [288, 768], [288, 288]];
const path = args.find((a, i) => !a.startsWith('--') && (i === 0 || args[i - 1] !== '--shapes')) ||
             'build/wasm/bin/slm_kernels_test.wasm';

let instance;
const imports = hostImports(() => instance.exports.memory);
({ instance } = await WebAssembly.instantiate(readFileSync(path), imports));
if (instance.exports._initialize) instance.exports._initialize();
const x = instance.exports;

for (const [dtype, name] of [[0, 'f32'], [1, 'q8_0'], [2, 'q4_0']]) {
  const cells = [];
  for (const [rows, cols] of shapes) {
    const bytes = dtype === 0 ? rows * cols * 4 : (rows * cols / 32) * (dtype === 1 ? 34 : 18);
    const pw = x.kt_alloc(bytes), px = x.kt_alloc(cols * 4), po = x.kt_alloc(rows * 4);
    const w = new Uint8Array(x.memory.buffer, pw, bytes);
    let s = 12345;  // an LCG's bytes; quantized blocks get the scale 0x3000 (0.125)
    for (let i = 0; i < bytes; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; w[i] = s >>> 24; }
    if (dtype === 0) {
      const f = new Float32Array(x.memory.buffer, pw, bytes / 4);
      for (let i = 0; i < f.length; i++) f[i] = (i % 97) / 97 - 0.5;
    } else {
      const block = dtype === 1 ? 34 : 18;
      for (let i = 0; i < bytes; i += block) { w[i] = 0x00; w[i + 1] = 0x30; }
    }
    const xs = new Float32Array(x.memory.buffer, px, cols);
    for (let i = 0; i < cols; i++) xs[i] = Math.sin(i);
    const reps = Math.max(1, Math.round(3e7 / (rows * cols)));
    x.kt_matvec(dtype, pw, rows, cols, px, po, reps);  // warm-up: tiering
    let best = Infinity;
    for (let k = 0; k < 7; k++) {
      const t0 = performance.now();
      x.kt_matvec(dtype, pw, rows, cols, px, po, reps);
      best = Math.min(best, (performance.now() - t0) / reps);
    }
    cells.push(`${rows}x${cols} ${(best * 1e6 / (rows * cols)).toFixed(3)}`);
    x.kt_free(pw); x.kt_free(px); x.kt_free(po);
  }
  console.log(`${name.padEnd(5)} ns/weight: ${cells.join('  ')}`);
}
