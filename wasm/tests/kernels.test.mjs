#!/usr/bin/env node
// Property test: the wasm-simd128 kernels (reference/src/kernels_wasm.cpp, what the wasm32 build
// dispatches to) are bit-identical to the portable loops (the oracle) for dot, f32 matvec, exp
// (exp_f32_n), argmax and the runner-up (over max_f32), q8_0 and
// q4_0 matvec, on random inputs from a seeded PRNG: lengths 0..1000 (non-multiples of 8 and 32
// included), values of every magnitude (subnormals, large values that overflow to inf), unaligned
// starts, random q8_0/q4_0 blocks with random fp16 scales, and every one of the 65536 fp16 scales.
// Two NaNs count as equal (wasm leaves a NaN's sign and payload open); all other bits must match.
//
//   node wasm/tests/kernels.test.mjs BUILD/bin/slm_kernels_test.wasm [--trials N] [--seed S]
//
// Exit status 0 when every trial matches, 1 otherwise.
import { readFileSync } from 'node:fs';
import { hostImports } from '../slm.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const wasmPath = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
if (!wasmPath) {
  console.error('usage: node kernels.test.mjs slm_kernels_test.wasm [--trials N] [--seed S]');
  process.exit(2);
}
const TRIALS = option('--trials', 1000);  // per kernel: dot gets 3x as many
const SEED = option('--seed', 20261130);

// ---- the module, with the imports a standalone Emscripten module asks for (as wasm/slm.mjs) ----
let instance;
const imports = hostImports(() => instance.exports.memory);  // what slm_wasm.wasm gets
({ instance } = await WebAssembly.instantiate(readFileSync(wasmPath), imports));
if (instance.exports._initialize) instance.exports._initialize();
const x = instance.exports;

// ---- seeded PRNG (sfc32) ----
function sfc32(a, b, c, d) {
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b | 0) + d | 0;
    d = d + 1 | 0;
    a = b ^ (b >>> 9);
    b = c + (c << 3) | 0;
    c = (c << 21) | (c >>> 11);
    c = c + t | 0;
    return t >>> 0;
  };
}
const u32 = sfc32(0x9E3779B9, SEED >>> 0, 0x243F6A88 ^ SEED, 0xB7E15162);
for (let i = 0; i < 16; i++) u32();
const uniform = () => u32() / 4294967296;
const int = (lo, hi) => lo + Math.floor(uniform() * (hi - lo + 1));  // inclusive
const pick = (xs) => xs[int(0, xs.length - 1)];

const f32bits = new Float32Array(1);
const u32bits = new Uint32Array(f32bits.buffer);
const floatOfBits = (b) => { u32bits[0] = b; return f32bits[0]; };

// One random f32 from a random "style": most trials use one style for a whole buffer, so that
// sums of like magnitudes (and cancellations) occur as well as wild mixtures.
const STYLES = {
  small: () => (uniform() * 2 - 1),
  normal: () => { const u = uniform() || 1e-12; return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform()); },
  wide: () => (uniform() < 0.5 ? -1 : 1) * 2 ** int(-40, 40) * (1 + uniform()),
  large: () => (uniform() < 0.5 ? -1 : 1) * 2 ** int(60, 127) * (1 + uniform()),  // products overflow
  tiny: () => (uniform() < 0.5 ? -1 : 1) * 2 ** int(-149, -100) * (1 + uniform()),  // subnormal products
  bits: () => {  // any finite bit pattern, subnormals and zeros of both signs included
    let b;
    do b = u32(); while (((b >>> 23) & 0xFF) === 0xFF);
    return floatOfBits(b);
  },
  special: () => pick([0, -0, Infinity, -Infinity, NaN, 1, -1, 3.4028234663852886e38, 1.401298464324817e-45]),
};
const styleNames = Object.keys(STYLES);
function randomStyle() {
  const s = pick(styleNames);
  if (s === 'special' && uniform() < 0.7) return randomStyle();  // rarer: mostly NaN results
  return s;
}
function fill(f32, n, style) {
  for (let i = 0; i < n; i++) f32[i] = (uniform() < 0.1 ? STYLES[pick(styleNames)] : STYLES[style])();
}

// Lengths 0..1000: uniform, and near multiples of 8 / 32 / 16 (the loops' strides) on purpose.
function randomLength(max = 1000) {
  const r = uniform();
  if (r < 0.4) return int(0, max);
  if (r < 0.7) return Math.min(max, Math.max(0, 8 * int(0, max >> 3) + int(-1, 1)));
  if (r < 0.85) return Math.min(max, Math.max(0, 32 * int(0, max >> 5) + int(-3, 3)));
  return int(0, 20);
}

// Random fp16 scale: mostly finite normals of moderate size, also subnormal/zero/huge and now and
// then inf or NaN.
function randomHalf() {
  const r = uniform();
  const sign = u32() & 0x8000;
  if (r < 0.6) return sign | (int(0x3000 >> 10, 0x5000 >> 10) << 10) | (u32() & 0x3FF);  // 2^-3 .. 2^5
  if (r < 0.75) return sign | (u32() & 0x3FF);                                          // subnormal or 0
  if (r < 0.97) return sign | (int(1, 30) << 10) | (u32() & 0x3FF);                     // any normal
  return sign | 0x7C00 | (uniform() < 0.5 ? 0 : (u32() & 0x3FF));                       // inf, NaN
}

// ---- memory ----
const live = [];
function alloc(bytes) {
  const p = x.kt_alloc(Math.max(bytes, 1));
  if (p === 0) throw new Error(`kt_alloc(${bytes}) failed`);
  live.push(p);
  return p;
}
function freeAll() { while (live.length) x.kt_free(live.pop()); }
const f32At = (p, n) => new Float32Array(x.memory.buffer, p, n);
const u8At = (p, n) => new Uint8Array(x.memory.buffer, p, n);

const hex = (b) => '0x' + (b >>> 0).toString(16).padStart(8, '0');
const failures = [];
function fail(what, detail) {
  failures.push(`${what}: ${detail}`);
  if (failures.length <= 10) console.error(`MISMATCH ${what}: ${detail}`);
}

// ---- the trials ----
function trialDot(t) {
  const n = randomLength();
  const offA = int(0, 3), offB = int(0, 3);  // unaligned starts (in floats)
  const pa = alloc(4 * (n + 4)), pb = alloc(4 * (n + 4));
  const style = randomStyle();
  fill(f32At(pa + 4 * offA, n), n, style);
  fill(f32At(pb + 4 * offB, n), n, uniform() < 0.5 ? style : randomStyle());
  if (!x.kt_check_dot(pa + 4 * offA, pb + 4 * offB, n)) {
    fail(`dot trial ${t} (n ${n}, style ${style})`, `wasm ${hex(x.kt_last_wasm())} portable ${hex(x.kt_last_portable())}`);
  }
  freeAll();
}

function trialMatvec(t, dtype) {
  const name = ['f32', 'q8_0', 'q4_0'][dtype];
  const rows = uniform() < 0.2 ? int(1, 4) : int(1, 41);
  let cols, wBytes;
  if (dtype === 0) {
    cols = randomLength(uniform() < 0.5 ? 1000 : 300);
    wBytes = 4 * rows * cols;
  } else {
    cols = 32 * (uniform() < 0.2 ? int(0, 2) : int(1, 31));  // up to 992
    wBytes = rows * (cols / 32) * (dtype === 1 ? 34 : 18);
  }
  const pw = alloc(wBytes + 16), px = alloc(4 * cols + 16), po1 = alloc(4 * rows), po2 = alloc(4 * rows);
  const xStyle = randomStyle();
  fill(f32At(px, cols), cols, xStyle);
  if (dtype === 0) {
    fill(f32At(pw, rows * cols), rows * cols, uniform() < 0.5 ? xStyle : randomStyle());
  } else {
    const w = u8At(pw, wBytes), dv = new DataView(x.memory.buffer, pw, wBytes);
    const blockBytes = dtype === 1 ? 34 : 18;
    const extremes = uniform() < 0.2;  // blocks of only -128/127 (q8) or 0/15 (q4) values
    for (let o = 0; o < wBytes; o += blockBytes) {
      dv.setUint16(o, randomHalf(), true);
      for (let j = 2; j < blockBytes; j++) w[o + j] = extremes ? pick([0x00, 0x0F, 0xF0, 0xFF, 0x80, 0x7F, 0x08, 0x88]) : u32() & 0xFF;
    }
  }
  const bad = x.kt_check_matvec(dtype, pw, rows, cols, px, po1, po2);
  if (bad >= 0) {
    fail(`${name} matvec trial ${t} (rows ${rows}, cols ${cols})`,
         `row ${bad}: wasm ${hex(x.kt_last_wasm())} portable ${hex(x.kt_last_portable())}`);
  }
  freeAll();
}

// Every fp16 scale once: 65536 rows of one block each, row r's scale = r.
function allScales(dtype) {
  const name = ['f32', 'q8_0', 'q4_0'][dtype];
  const blockBytes = dtype === 1 ? 34 : 18, rows = 65536, cols = 32;
  const pw = alloc(rows * blockBytes), px = alloc(4 * cols), po1 = alloc(4 * rows), po2 = alloc(4 * rows);
  const w = u8At(pw, rows * blockBytes), dv = new DataView(x.memory.buffer, pw, rows * blockBytes);
  for (let r = 0; r < rows; r++) {
    dv.setUint16(r * blockBytes, r, true);
    for (let j = 2; j < blockBytes; j++) w[r * blockBytes + j] = u32() & 0xFF;
  }
  fill(f32At(px, cols), cols, 'normal');
  const bad = x.kt_check_matvec(dtype, pw, rows, cols, px, po1, po2);
  if (bad >= 0) fail(`${name} matvec, all fp16 scales`, `scale 0x${bad.toString(16)}: wasm ${hex(x.kt_last_wasm())} portable ${hex(x.kt_last_portable())}`);
  freeAll();
}

// exp_f32_n against exp_f32: random lengths and offsets of the styles above plus the edges (the
// ends of the f64x2 range, where f32 over- and underflows, zeros, infinities, NaN, subnormals).
const EXP_EDGES = [-150, -149.99999, -150.00002, 89, 88.99999, 89.00001, 88.72283, 88.72284, -103.97208, -103.97209,
                   -87.33654, 0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1e-38, 709.8, -745.2, 1e30, -1e30];
function trialExp(t) {
  const n = randomLength(300), off = int(0, 3);
  const px = alloc(4 * (n + off)), pr = alloc(4 * (n + off));
  const xs = f32At(px + 4 * off, n);
  const style = pick(styleNames);
  for (let i = 0; i < n; i++) {
    const r = uniform();
    xs[i] = r < 0.1 ? pick(EXP_EDGES) : r < 0.6 ? STYLES[style]() * 30 : STYLES[style]();
  }
  const bad = x.kt_check_exp(px + 4 * off, pr + 4 * off, n);
  if (bad >= 0) fail(`exp trial ${t} (n ${n})`, `element ${bad}: wasm ${hex(x.kt_last_wasm())} scalar ${hex(x.kt_last_portable())}`);
  freeAll();
}

// argmax and the runner-up over the SIMD max: ties, both zeros, infinities and NaN
const AWKWARD = [0, -0, 1, 1, -1, 2.5, Infinity, -Infinity, NaN, 1e-45, -3e38];
function trialArgmax(t) {
  const n = int(1, 300), px = alloc(4 * n), xs = f32At(px, n);
  // half the trials draw from a random part of AWKWARD (so that, say, the largest is a zero)
  const awkward = uniform() < 0.5, style = pick(styleNames);
  const part = AWKWARD.filter(() => uniform() < 0.4);
  if (!part.length) part.push(pick(AWKWARD));
  for (let i = 0; i < n; i++) xs[i] = awkward ? pick(part) : STYLES[style]();
  const chosen = int(0, n - 1), bad = x.kt_check_argmax(px, n, chosen);
  if (bad === 1) fail(`argmax trial ${t} (n ${n})`, 'index differs from the loop of RT-SMP-001');
  if (bad === 2) fail(`runner-up trial ${t} (n ${n}, chosen ${chosen})`, `${hex(x.kt_last_wasm())} vs the loop's ${hex(x.kt_last_portable())}`);
  freeAll();
}

if (!x.kt_simd()) {
  console.error('the module was built without -msimd128: nothing to compare');
  process.exit(1);
}
const counts = { dot: 0, f32: 0, q8_0: 0, q4_0: 0 };
for (let t = 0; t < 3 * TRIALS; t++) { trialDot(t); counts.dot++; }
for (let t = 0; t < TRIALS; t++) {
  trialMatvec(t, 0); counts.f32++;
  trialMatvec(t, 1); counts.q8_0++;
  trialMatvec(t, 2); counts.q4_0++;
}
allScales(1);
allScales(2);
counts.argmax = 0;
for (let t = 0; t < TRIALS; t++) { trialArgmax(t); counts.argmax++; }
counts.exp = 0;
for (let t = 0; t < TRIALS; t++) { trialExp(t); counts.exp++; }
// every 4099th f32 bit pattern (1,047,807 values of every sign, exponent and class)
const EXP_STRIDE = 4099, expSweep = Math.ceil(4294967296 / EXP_STRIDE);
const badPattern = x.kt_sweep_exp(SEED >>> 0, EXP_STRIDE, expSweep) >>> 0;
if (badPattern !== 0xFFFFFFFF) fail('exp sweep', `input ${hex(badPattern)}: wasm ${hex(x.kt_last_wasm())} scalar ${hex(x.kt_last_portable())}`);
// and the doubles before rounding, which f32 results would rarely show a slip in
const EXP_F64 = 200003;
const badF64 = x.kt_sweep_exp_f64(EXP_F64);
if (badF64 >= 0) fail('exp double steps', `input ${badF64} of ${EXP_F64} over [-150, 89]`);
const total = Object.values(counts).reduce((a, b) => a + b, 0) + 4;
if (failures.length) {
  console.error(`FAIL: ${failures.length} of ${total} trials differ (seed ${SEED})`);
  process.exit(1);
}
console.log(`ok: ${total} trials bit-identical (dot ${counts.dot}, f32 matvec ${counts.f32}, q8_0 ${counts.q8_0}, ` +
            `q4_0 ${counts.q4_0}, argmax ${counts.argmax}, exp ${counts.exp}, all 65536 fp16 scales for q8_0 and q4_0, ` +
            `exp over ${expSweep} f32 bit patterns and its double steps over ${EXP_F64} inputs; seed ${SEED})`);
