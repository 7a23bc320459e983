#!/usr/bin/env node
// Tests of the raw WASM ABI, spec/wasm-abi.md (SLM-ABI-001..005, RT-ABI-001..004), written from the
// spec alone: its own minimal host (section 2's imports), no helper module.
//
// Usage: node wasm/tests/abi.test.mjs MODULE.wasm SLM_BINARY
// Exit status 0 when every check passed, 1 otherwise (2 for a usage or fixture error).
//
// Fixtures: models written by SLM_BINARY into a temporary folder, and committed adapter and model
// files of conformance/cases (their expected.json says what they bind to). Generation is compared
// with `SLM_BINARY generate --json`. Every hostile call is followed by the checks of
// `hostile()`: the documented code (numeric, by name, by rule), the results and output of every
// watched runtime unchanged, a canary block unchanged, the model's identity and tensor digests
// unchanged and a normal generation giving the tokens it gave before.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const [wasmPath, slmBin] = process.argv.slice(2);
if (!wasmPath || !slmBin) {
  console.error('usage: node wasm/tests/abi.test.mjs MODULE.wasm SLM_BINARY');
  process.exit(2);
}
const started = Date.now();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CASES = path.join(ROOT, 'conformance/cases');
const GiB = 2 ** 30;

// ---------------------------------------------------------------------------------------------
// Error codes: row numbers of spec/errors.def counted from 1 (section 1).
const ERR = { OK: { code: 0, rule: '' } };
{
  let n = 0;
  const src = fs.readFileSync(path.join(ROOT, 'spec/errors.def'), 'utf8');
  for (const m of src.matchAll(/^SLM_ERROR\(\s*(\w+)\s*,\s*\w+\s*,\s*"([^"]*)"/gm)) ERR[m[1]] = { code: ++n, rule: m[2] };
  if (!ERR.E_ABI_POINTER || !ERR.E_ABI_MEMORY) { console.error('spec/errors.def has no E_ABI_* rows'); process.exit(2); }
}

// ---------------------------------------------------------------------------------------------
// Check recording.
const checks = [];
let group = '';
function check(label, ok, detail = '') {
  ok = !!ok;
  checks.push({ group, label, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} [${group}] ${label}${!ok && detail ? ` -- ${detail}` : ''}`);
  return ok;
}
class GroupAbort extends Error {}
// What the spec leaves open: printed, never judged.
const notes = [];
function note(label, value) { notes.push(`[${group}] ${label}: ${value}`); console.log(`info [${group}] ${label}: ${value}`); }

// ---------------------------------------------------------------------------------------------
// Fixtures.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-abi-test-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
function slm(args) {
  const r = spawnSync(slmBin, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${slmBin} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
const F = {
  m2: path.join(tmp, 'm2.slm'),        // random tiny model, mixed dtypes
  prog: path.join(tmp, 'prog.slm'),    // programmed: "Once upon" -> " a time." EOS
  ctx: path.join(tmp, 'ctx.slm'),      // tiny byte f32: context 32 ("generate/stops-at-context")
  big: path.join(tmp, 'big.slm'),      // ~5 MB, for "held without a copy"
  parent: path.join(CASES, 'adapters/parent/model.slm'),
  badDigest: path.join(CASES, 'identity/content-digest/model.slm'),
  dense: path.join(CASES, 'adapters/apply-dense/adapter.adp'),
  sparse: path.join(CASES, 'adapters/apply-sparse/adapter.asp'),
  lowrank: path.join(CASES, 'adapters/apply-lowrank/adapter.alr'),
  first: path.join(CASES, 'adapters/apply-stack/first.asp'),
  second: path.join(CASES, 'adapters/apply-stack/second.alr'),
  secondBad: path.join(CASES, 'adapters/stack-second-bound-to-parent/second.alr'),
  badChecksum: path.join(CASES, 'adapters/dense/bad-checksum/bad-checksum.adp'),
  evalSet: path.join(CASES, 'eval/hello-parent/set.jsonl'),
};
try {
  slm(['gen', 'model', '--preset', 'tiny', '--seed', '3', '-o', F.m2]);
  slm(['gen', 'model', '--program', path.join(CASES, 'generate/programmed-byte-f32/program.json'), '-o', F.prog]);
  slm(['gen', 'model', '--preset', 'tiny', '--seed', '13', '--tokenizer', 'byte', '--dtype', 'f32', '-o', F.ctx]);
  slm(['gen', 'model', '--preset', 'tiny', '--seed', '5', '--dim', '256', '--layers', '4', '--heads', '4', '--kv-heads', '4', '--dtype', 'f32', '-o', F.big]);
} catch (e) { console.error(e.message); process.exit(2); }
const B = Object.fromEntries(Object.entries(F).map(([k, f]) => [k, fs.readFileSync(f)]));
const EXP = (c) => JSON.parse(fs.readFileSync(path.join(CASES, c, 'expected.json'), 'utf8')).expect;

function nativeGenerate(model, prompt, maxTokens, s = {}, adapters = []) {
  const args = ['generate', '--json', '--prompt', prompt, '--max-tokens', String(maxTokens),
    '--temperature', String(s.t ?? 0), '--top-k', String(s.k ?? 0), '--top-p', String(s.p ?? 1), '--seed', String(s.seed ?? 0n)];
  for (const a of adapters) args.push('--adapter', a);
  args.push(model);
  return JSON.parse(slm(args));
}

// ---------------------------------------------------------------------------------------------
// Stack use, where the module tells where its stack is (Emscripten's emscripten_stack_get_base/end,
// beyond the ABI): each instance's unused stack is filled with a pattern, and at the end the
// deepest overwritten byte of any instance gives the high-water mark. A stack overflow in wasm32
// writes over static data without a trap, so the mark must stay well inside the stack.
const STACK_FILL = 0xA5, stackHosts = [];
function watchStack(host) {
  const x = host.x;
  if (typeof x.emscripten_stack_get_end !== 'function' || typeof x.stackSave !== 'function') return;
  const end = x.emscripten_stack_get_end() >>> 0, base = x.emscripten_stack_get_base() >>> 0;
  host.u8().fill(STACK_FILL, end, (x.stackSave() >>> 0) - 256);
  stackHosts.push({ host, end, base });
}
function stackHighWater() {
  let deepest = 0, size = 0;
  for (const { host, end, base } of stackHosts) {
    const m = host.u8();
    let i = end;
    while (i < base && m[i] === STACK_FILL) i++;
    deepest = Math.max(deepest, base - i);
    size = base - end;
  }
  return { deepest, size };
}

// ---------------------------------------------------------------------------------------------
// The host (section 2) and small readers.
const MODULE = new WebAssembly.Module(fs.readFileSync(wasmPath));
class ProcExit extends Error {}

class Host {
  constructor() {
    const self = this;
    const wasi = {
      clock_time_get(_id, _precision, out) {
        new DataView(self.x.memory.buffer).setBigUint64(out >>> 0, process.hrtime.bigint(), true);
        return 0;
      },
      fd_write(_fd, iovs, n, nwritten) {
        const dv = new DataView(self.x.memory.buffer);
        let c = 0;
        for (let i = 0; i < n >>> 0; i++) c += dv.getUint32((iovs >>> 0) + 8 * i + 4, true);
        dv.setUint32(nwritten >>> 0, c, true);
        return 0;
      },
      fd_seek() { return 0; },
      fd_close() { return 0; },
      proc_exit(c) { throw new ProcExit(`proc_exit(${c})`); },
    };
    this.instance = new WebAssembly.Instance(MODULE, {
      env: { emscripten_notify_memory_growth() {} }, wasi_snapshot_preview1: wasi,
    });
    this.x = this.instance.exports;
    if (typeof this.x._initialize === 'function') this.x._initialize();
    this.watch = [];
    watchStack(this);
  }
  get memSize() { return this.x.memory.buffer.byteLength; }
  u8() { return new Uint8Array(this.x.memory.buffer); }
  alloc(size) { return this.x.slm_alloc(size) >>> 0; }
  put(bytes, extra = 0) {
    const p = this.alloc(bytes.length + extra);
    if (!p) throw new Error(`slm_alloc(${bytes.length + extra}) failed: ${this.err().name}`);
    this.u8().set(bytes, p);
    return p;
  }
  bytes(p, n) {
    p >>>= 0; n >>>= 0;
    if (n === 0) return Buffer.alloc(0);
    if (p + n > this.memSize) throw new Error(`runtime pointer ${p}+${n} lies outside memory`);
    return Buffer.from(this.u8().slice(p, p + n));
  }
  cstr(p) {
    p >>>= 0;
    const u = this.u8();
    let e = p;
    while (e < u.length && u[e]) e++;
    return Buffer.from(u.subarray(p, e)).toString('utf8');
  }
  err() {
    const x = this.x;
    return { code: x.slm_error_code() >>> 0, name: this.cstr(x.slm_error_name()), rule: this.cstr(x.slm_error_rule()),
      offset: x.slm_error_offset(), index: x.slm_error_index() };
  }
  u32s(buf) { const a = []; for (let i = 0; i + 4 <= buf.length; i += 4) a.push(buf.readUInt32LE(i)); return a; }
  results(rt) {
    const x = this.x;
    const ptc = x.slm_result_prompt_token_count(rt) >>> 0, tc = x.slm_result_token_count(rt) >>> 0;
    const tl = x.slm_result_text_len(rt) >>> 0, pl = x.slm_result_piece_len(rt) >>> 0;
    const ls = x.slm_result_logit_steps(rt) >>> 0, vs = x.slm_result_vocab_size(rt) >>> 0;
    const logits = [];
    for (let i = 0; i < ls; i++) logits.push(this.bytes(x.slm_result_logits(rt, i), 4 * vs));
    return {
      promptTokens: this.u32s(this.bytes(x.slm_result_prompt_tokens(rt), 4 * ptc)),
      tokens: this.u32s(this.bytes(x.slm_result_tokens(rt), 4 * tc)),
      text: this.bytes(x.slm_result_text(rt), tl), piece: this.bytes(x.slm_result_piece(rt), pl),
      stop: x.slm_result_stop_reason(rt) >>> 0, logitSteps: ls, vocab: vs, logits,
    };
  }
  output(rt) { return this.bytes(this.x.slm_output(rt), this.x.slm_output_len(rt)).toString('utf8'); }
  info(rt) {
    const rc = this.x.slm_model_info(rt);
    if (rc !== 0) return { rc, err: this.err() };
    return { rc, json: JSON.parse(this.output(rt)) };
  }
  load(rt, bytes, flags = 0) {
    const p = this.put(bytes);
    const rc = this.x.slm_load(rt, p, bytes.length, flags);
    if (rc !== 0) { const e = this.err(); this.x.slm_free(p); throw new Error(`slm_load failed: ${e.name}`); }
    return p;
  }
  sampling(rt, s = {}) {
    const seed = BigInt(s.seed ?? 0n);
    return this.x.slm_sampling(rt, s.t ?? 0, s.k ?? 0, s.p ?? 1, Number(seed & 0xFFFFFFFFn), Number(seed >> 32n));
  }
  generate(rt, prompt, maxTokens, logitSteps = 0) {
    const b = Buffer.from(prompt);
    const p = b.length ? this.put(b) : 0;
    const rc = this.x.slm_generate(rt, p, b.length, maxTokens, logitSteps);
    const e = this.err();
    if (p) this.x.slm_free(p);
    return { rc, e, r: rc === 0 ? this.results(rt) : null };
  }
  // begin + next until a stop reason; records what each step showed.
  stream(rt, prompt, maxTokens, logitSteps = 0) {
    const b = Buffer.from(prompt);
    const p = b.length ? this.put(b) : 0;
    const rc = this.x.slm_begin(rt, p, b.length, maxTokens, logitSteps);
    const e = this.err();
    if (p) this.x.slm_free(p);
    if (rc !== 0) return { rc, e };
    const afterBegin = this.results(rt);
    const pieces = [], problems = [];
    let n = 0;
    while (this.x.slm_result_stop_reason(rt) === 0) {
      if (++n > 100000) { problems.push('no stop reason after 100000 steps'); break; }
      const c = this.x.slm_next(rt);
      if (c !== 0) { problems.push(`slm_next returned ${c} (${this.err().name}) at step ${n}`); break; }
      const r = this.results(rt);
      pieces.push(r.piece);
      if (r.tokens.length !== n) problems.push(`after next #${n} token count is ${r.tokens.length}`);
      if (!r.text.equals(Buffer.concat(pieces))) problems.push(`after next #${n} text != concatenated pieces`);
    }
    return { rc, afterBegin, pieces, problems, r: this.results(rt) };
  }
}

// Canonical serialisation of results for equality.
const sha = (b) => createHash('sha256').update(b).digest('hex');
function ser(r) {
  return JSON.stringify({ ...r, text: r.text.toString('hex'), piece: r.piece.toString('hex'), logits: r.logits.map(sha) });
}
const tensorsKey = (j) => j.tensors.map((t) => `${t.name}:${t.dtype}:${t.shape.join('x')}:${t.sha256}`).join(',');

const VERIFY_PROMPT = 'Once upon';
// A watched runtime: its model's identity and tensor digests, and the tokens of a normal generation.
function watch(h, rt, name) {
  const i = h.info(rt);
  if (i.rc !== 0) throw new Error(`slm_model_info failed on ${name}: ${i.err.name}`);
  const g = h.generate(rt, VERIFY_PROMPT, 8, 1);
  if (g.rc !== 0) throw new Error(`generation failed on ${name}: ${g.e.name}`);
  const w = { rt, name, digest: i.json.identity.content_digest, tensors: tensorsKey(i.json),
    lineage: JSON.stringify(i.json.lineage), tokens: g.r.tokens.join(','), logits: sha(g.r.logits[0]) };
  return w;
}
function verify(h, w) {
  const problems = [];
  const i = h.info(w.rt);
  if (i.rc !== 0) return [`${w.name}: slm_model_info -> ${i.err.name}`];
  if (i.json.identity.content_digest !== w.digest) problems.push(`${w.name}: content digest changed`);
  if (tensorsKey(i.json) !== w.tensors) problems.push(`${w.name}: tensor digests changed`);
  if (JSON.stringify(i.json.lineage) !== w.lineage) problems.push(`${w.name}: lineage changed`);
  const g = h.generate(w.rt, VERIFY_PROMPT, 8, 1);
  if (g.rc !== 0) problems.push(`${w.name}: generation -> ${g.e.name}`);
  else {
    if (g.r.tokens.join(',') !== w.tokens) problems.push(`${w.name}: tokens ${g.r.tokens} != ${w.tokens}`);
    if (sha(g.r.logits[0]) !== w.logits) problems.push(`${w.name}: logits changed`);
  }
  return problems;
}
function codeProblems(rc, e, want, opts = {}) {
  const W = ERR[want];
  const p = [];
  if (opts.alloc) { if (rc >>> 0 !== 0) p.push(`returned ${rc >>> 0}, want 0`); }
  else if (rc !== W.code) p.push(`returned ${rc} (${Object.keys(ERR).find((k) => ERR[k].code === rc) ?? '?'}), want ${W.code} (${want})`);
  if (e.code !== W.code) p.push(`slm_error_code ${e.code}, want ${W.code}`);
  if (e.name !== want) p.push(`slm_error_name "${e.name}", want "${want}"`);
  if (e.rule !== W.rule) p.push(`slm_error_rule "${e.rule}", want "${W.rule}"`);
  if (opts.offset !== undefined && e.offset !== BigInt(opts.offset)) p.push(`offset ${e.offset}, want ${opts.offset}`);
  if (opts.index !== undefined && e.index !== opts.index) p.push(`index ${e.index}, want ${opts.index}`);
  return p;
}
// A hostile call: the code, then nothing else changed.
function hostile(h, label, fn, want, opts = {}) {
  const watched = opts.watch ?? h.watch;
  const before = watched.map((w) => ({ r: ser(h.results(w.rt)), o: h.output(w.rt) }));
  const canary = h.canary ? sha(h.bytes(h.canary.p, h.canary.n)) : '';
  let rc;
  try { rc = fn(); } catch (e) {
    check(label, false, `trapped: ${e.message}`);
    throw new GroupAbort(`${label} trapped`);
  }
  const e = h.err();
  const problems = codeProblems(rc, e, want, opts);
  if (want.startsWith('E_ABI_')) {
    if (e.offset !== -1n) problems.push(`offset ${e.offset}, want -1`);
    if (opts.index === undefined && !opts.anyIndex && e.index !== -1) problems.push(`index ${e.index}, want -1`);
  }
  if (want !== 'OK' || opts.unchanged) {
    watched.forEach((w, i) => {
      if (ser(h.results(w.rt)) !== before[i].r) problems.push(`${w.name}: results changed`);
      if (h.output(w.rt) !== before[i].o) problems.push(`${w.name}: output changed`);
    });
  }
  if (h.canary && sha(h.bytes(h.canary.p, h.canary.n)) !== canary) problems.push('canary block changed');
  if (opts.after) problems.push(...opts.after());
  for (const w of watched) problems.push(...verify(h, w));
  check(label, problems.length === 0, problems.join('; '));
  return { rc, e };
}
// A host with a watched runtime holding the adapters' parent, and a canary block.
function standardHost() {
  const h = new Host();
  h.canary = { n: 4096 };
  h.canary.p = h.put(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 255)));
  const rt = h.x.slm_runtime_new() >>> 0;
  h.modelPtr = h.load(rt, B.parent);
  h.rt = rt;
  h.watch = [watch(h, rt, 'parent runtime')];
  return h;
}
function table(h, entries) {
  const t = Buffer.alloc(8 * Math.max(entries.length, 1));
  entries.forEach(([p, n], i) => { t.writeUInt32LE(p >>> 0, 8 * i); t.writeUInt32LE(n >>> 0, 8 * i + 4); });
  return h.put(t);
}

const groups = [];
const G = (name, fn) => groups.push([name, fn]);

// ---------------------------------------------------------------------------------------------
G('module (sections 1-2)', () => {
  const allowed = new Set(['env.emscripten_notify_memory_growth', 'wasi_snapshot_preview1.clock_time_get',
    'wasi_snapshot_preview1.fd_write', 'wasi_snapshot_preview1.fd_seek', 'wasi_snapshot_preview1.fd_close',
    'wasi_snapshot_preview1.proc_exit']);
  const imps = WebAssembly.Module.imports(MODULE);
  const bad = imps.filter((i) => i.kind !== 'function' || !allowed.has(`${i.module}.${i.name}`));
  check('imports are a subset of section 2', bad.length === 0, bad.map((i) => `${i.module}.${i.name}`).join(', '));
  const exps = new Map(WebAssembly.Module.exports(MODULE).map((e) => [e.name, e.kind]));
  check('exports one memory named "memory"', exps.get('memory') === 'memory');
  const names = ['slm_abi_version', 'slm_alloc', 'slm_free', 'slm_runtime_new', 'slm_runtime_free', 'slm_load', 'slm_unload',
    'slm_model_info', 'slm_adapter_validate', 'slm_adapter_apply', 'slm_rollback', 'slm_sampling', 'slm_tokenize',
    'slm_generate', 'slm_begin', 'slm_next', 'slm_eval', 'slm_result_prompt_tokens', 'slm_result_prompt_token_count',
    'slm_result_tokens', 'slm_result_token_count', 'slm_result_text', 'slm_result_text_len', 'slm_result_piece',
    'slm_result_piece_len', 'slm_result_stop_reason', 'slm_result_logit_steps', 'slm_result_logits',
    'slm_result_vocab_size', 'slm_output', 'slm_output_len', 'slm_diagnostics', 'slm_error_code', 'slm_error_name',
    'slm_error_rule', 'slm_error_message', 'slm_error_offset', 'slm_error_index'];
  const missing = names.filter((n) => exps.get(n) !== 'function');
  check('exports every function of sections 3-7', missing.length === 0, missing.join(', '));
  const h = new Host();
  check('slm_abi_version() == 1', h.x.slm_abi_version() === 1);
  const e = h.err();
  check('a fresh instance: last error OK (code 0, name "OK", rule "")', e.code === 0 && e.name === 'OK' && e.rule === '', JSON.stringify({ ...e, offset: String(e.offset) }));
  check('slm_error_offset is an i64 (BigInt), slm_error_index an i32', typeof e.offset === 'bigint' && typeof e.index === 'number');
});

// ---------------------------------------------------------------------------------------------
G('memory: slm_alloc / slm_free (section 3, SLM-ABI-001, SLM-ABI-004)', () => {
  const h = standardHost();
  const x = h.x;
  const sizes = [1, 15, 16, 17, 100, 4096, 65537, 1 << 20];
  const blocks = sizes.map((s) => [h.alloc(s), s]);
  check('slm_alloc of 1..1 MiB returns non-zero', blocks.every(([p]) => p !== 0));
  check('blocks are 16-byte aligned', blocks.every(([p]) => p % 16 === 0), blocks.map(([p]) => p).join(','));
  check('blocks lie inside memory', blocks.every(([p, s]) => p + s <= h.memSize));
  const all = [...blocks, [h.canary.p, h.canary.n], [h.modelPtr, B.parent.length]];
  let disjoint = true;
  for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) {
    const [a, as] = all[i], [b, bs] = all[j];
    if (a < b + bs && b < a + as) disjoint = false;
  }
  check('blocks are disjoint from each other, the canary and the model block', disjoint);
  blocks.forEach(([p, s], k) => h.u8().fill(k + 1, p, p + s));
  check('writing every block fills exactly it', blocks.every(([p, s], k) => h.u8().subarray(p, p + s).every((v) => v === k + 1)));
  for (const [p] of blocks) x.slm_free(p);

  hostile(h, 'slm_alloc(0) -> 0, E_ABI_ARGUMENT', () => x.slm_alloc(0), 'E_ABI_ARGUMENT', { alloc: true });
  hostile(h, 'slm_alloc(2^31+1) -> 0, E_ABI_ARGUMENT', () => x.slm_alloc(2 ** 31 + 1), 'E_ABI_ARGUMENT', { alloc: true });
  hostile(h, 'slm_alloc(0xFFFFFFFF) -> 0, E_ABI_ARGUMENT', () => x.slm_alloc(0xFFFFFFFF), 'E_ABI_ARGUMENT', { alloc: true });
  // slm_free(0): does nothing and returns 0, which also resets the last error.
  hostile(h, 'slm_free(0) -> OK (after an error: last error back to OK)', () => { x.slm_alloc(0); return x.slm_free(0); }, 'OK');

  const p = h.alloc(4096);
  h.u8().fill(0x5a, p, p + 4096);
  hostile(h, 'slm_free of an address inside a live block (+16) -> E_ABI_POINTER', () => x.slm_free(p + 16), 'E_ABI_POINTER');
  hostile(h, 'slm_free of an address inside a live block (+1) -> E_ABI_POINTER', () => x.slm_free(p + 1), 'E_ABI_POINTER');
  check('the block is still live and unchanged after the inner releases',
    h.u8().subarray(p, p + 4096).every((v) => v === 0x5a));
  hostile(h, 'the block is still usable as an argument (slm_tokenize from it)', () => x.slm_tokenize(h.rt, p, 5, 1), 'OK');
  hostile(h, 'slm_free of the block -> OK', () => x.slm_free(p), 'OK');
  hostile(h, 'second slm_free of the block -> E_ABI_POINTER', () => x.slm_free(p), 'E_ABI_POINTER');
  hostile(h, 'slm_free(0xFFFFFFFF) -> E_ABI_POINTER', () => x.slm_free(0xFFFFFFFF), 'E_ABI_POINTER');
  hostile(h, 'slm_free(end of memory) -> E_ABI_POINTER', () => x.slm_free(h.memSize), 'E_ABI_POINTER');
  hostile(h, 'slm_free(end of memory + 64 KiB) -> E_ABI_POINTER', () => x.slm_free(h.memSize + 65536), 'E_ABI_POINTER');
  hostile(h, 'slm_free(16) (runtime static memory) -> E_ABI_POINTER', () => x.slm_free(16), 'E_ABI_POINTER');
  hostile(h, 'slm_free(1024) (runtime static memory) -> E_ABI_POINTER', () => x.slm_free(1024), 'E_ABI_POINTER');
  const tokPtr = x.slm_result_tokens(h.rt) >>> 0, outPtr = x.slm_output(h.rt) >>> 0;
  hostile(h, 'slm_free of a result pointer (runtime-owned) -> E_ABI_POINTER', () => x.slm_free(tokPtr), 'E_ABI_POINTER');
  hostile(h, 'slm_free of the output pointer (runtime-owned) -> E_ABI_POINTER', () => x.slm_free(outPtr), 'E_ABI_POINTER');
  x.slm_alloc(0);
  const namePtr = x.slm_error_name() >>> 0;
  hostile(h, 'slm_free of the error-name pointer (runtime-owned) -> E_ABI_POINTER', () => x.slm_free(namePtr), 'E_ABI_POINTER');
  hostile(h, 'slm_free of the model block slm_load took -> E_ABI_POINTER', () => x.slm_free(h.modelPtr), 'E_ABI_POINTER');

  // The allocator is intact after all that: fresh blocks are disjoint from the canary and model.
  const again = Array.from({ length: 16 }, (_, i) => [h.alloc(64 * (i + 1)), 64 * (i + 1)]);
  const ok = again.every(([a, as]) => a && [[h.canary.p, h.canary.n], [h.modelPtr, B.parent.length]].every(([b, bs]) => !(a < b + bs && b < a + as)));
  check('after the hostile releases new blocks still avoid the canary and the model block', ok);
  again.forEach(([a]) => x.slm_free(a));
});

// ---------------------------------------------------------------------------------------------
G('handles (SLM-ABI-002, section 4)', () => {
  const h = standardHost();
  const x = h.x;
  const dead = x.slm_runtime_new() >>> 0;
  hostile(h, 'slm_runtime_free of a live empty runtime -> OK', () => x.slm_runtime_free(dead), 'OK');
  hostile(h, 'second slm_runtime_free -> E_ABI_HANDLE', () => x.slm_runtime_free(dead), 'E_ABI_HANDLE');
  const handles = [h.rt, dead];
  for (let i = 0; i < 6; i++) { const r = x.slm_runtime_new() >>> 0; handles.push(r); if (i % 2 === 0) x.slm_runtime_free(r); }
  check('slm_runtime_new returns handles > 0', handles.every((r) => r > 0), handles.join(','));
  check('handles are never reused within an instance', new Set(handles).size === handles.length, handles.join(','));

  const blk = h.put(Buffer.from('Once upon a time'));
  const setp = h.put(B.evalSet);
  const adp = h.put(B.dense);
  const tbl = table(h, [[adp, B.dense.length]]);
  const calls = (rt) => [
    ['slm_runtime_free', () => x.slm_runtime_free(rt)],
    ['slm_load (bad flags too)', () => x.slm_load(rt, 0, 100, 0xFF)],
    ['slm_unload', () => x.slm_unload(rt)],
    ['slm_model_info', () => x.slm_model_info(rt)],
    ['slm_adapter_validate', () => x.slm_adapter_validate(rt, adp, B.dense.length)],
    ['slm_adapter_apply (count 0 too)', () => x.slm_adapter_apply(rt, tbl, 0)],
    ['slm_adapter_apply', () => x.slm_adapter_apply(rt, tbl, 1)],
    ['slm_rollback', () => x.slm_rollback(rt)],
    ['slm_sampling (NaN too)', () => x.slm_sampling(rt, NaN, 0, 1, 0, 0)],
    ['slm_sampling', () => x.slm_sampling(rt, 0.5, 0, 1, 0, 0)],
    ['slm_tokenize (add_bos 9, pointer 0 too)', () => x.slm_tokenize(rt, 0, 5, 9)],
    ['slm_tokenize', () => x.slm_tokenize(rt, blk, 4, 1)],
    ['slm_generate', () => x.slm_generate(rt, blk, 4, 2, 0)],
    ['slm_begin', () => x.slm_begin(rt, blk, 4, 2, 0)],
    ['slm_next', () => x.slm_next(rt)],
    ['slm_diagnostics', () => x.slm_diagnostics(rt)],
    ['slm_eval', () => x.slm_eval(rt, setp, B.evalSet.length, 0, 0, 0, 0)],
  ];
  for (const [hn, rt] of [['0', 0], ['0xFFFFFFFF', 0xFFFFFFFF], ['freed', dead], ['never issued', 987654]]) {
    for (const [name, fn] of calls(rt)) hostile(h, `${name} with handle ${hn} -> E_ABI_HANDLE`, fn, 'E_ABI_HANDLE');
    // a fresh model block given to a bad handle stays the host's
    const mp = h.put(B.m2);
    hostile(h, `slm_load with handle ${hn} -> E_ABI_HANDLE`, () => x.slm_load(rt, mp, B.m2.length, 0), 'E_ABI_HANDLE');
    hostile(h, `... and its block was not taken: slm_free -> OK`, () => x.slm_free(mp), 'OK');
  }
  // Accessors: 0 for an unknown handle; they never change the last error.
  x.slm_alloc(0);
  const e0 = h.err();
  const acc = ['slm_result_prompt_tokens', 'slm_result_prompt_token_count', 'slm_result_tokens', 'slm_result_token_count',
    'slm_result_text', 'slm_result_text_len', 'slm_result_piece', 'slm_result_piece_len', 'slm_result_stop_reason',
    'slm_result_logit_steps', 'slm_result_vocab_size', 'slm_output', 'slm_output_len'];
  for (const rt of [0, dead, 987654, 0xFFFFFFFF]) {
    const nz = acc.filter((a) => x[a](rt) !== 0);
    if (x.slm_result_logits(rt, 0) !== 0) nz.push('slm_result_logits');
    check(`accessors with handle ${rt >>> 0} return 0`, nz.length === 0, nz.join(','));
  }
  const mem0 = h.memSize;
  for (const a of acc) x[a](h.rt);
  x.slm_result_logits(h.rt, 0); x.slm_result_logits(h.rt, 0xFFFFFFFF);
  x.slm_error_code(); x.slm_error_name(); x.slm_error_rule(); x.slm_error_message(); x.slm_error_offset(); x.slm_error_index();
  x.slm_abi_version();
  const e1 = h.err();
  check('accessors (valid and unknown handles) leave the last error unchanged', e1.code === e0.code && e1.name === e0.name && e0.name === 'E_ABI_ARGUMENT');
  check('accessors do not grow memory', h.memSize === mem0);
  check('slm_result_logits of an unrecorded step is 0', x.slm_result_logits(h.rt, 1) === 0 && x.slm_result_logits(h.rt, 0xFFFFFFFF) === 0);

  // slm_runtime_free releases the model block: it is not the host's.
  const rt2 = x.slm_runtime_new() >>> 0;
  const mp2 = h.load(rt2, B.m2);
  hostile(h, 'slm_runtime_free of a runtime with a model -> OK', () => x.slm_runtime_free(rt2), 'OK');
  hostile(h, '... slm_free of its model block -> E_ABI_POINTER', () => x.slm_free(mp2), 'E_ABI_POINTER');
  hostile(h, '... any call on it -> E_ABI_HANDLE', () => x.slm_model_info(rt2), 'E_ABI_HANDLE');
});

// ---------------------------------------------------------------------------------------------
G('call order (SLM-ABI-003, section 8)', () => {
  const h = standardHost();
  const x = h.x;
  const rt = x.slm_runtime_new() >>> 0;
  const blk = h.put(Buffer.from('Once upon a time'));
  const setp = h.put(B.evalSet);
  const adp = h.put(B.dense);
  const tbl = table(h, [[adp, B.dense.length]]);
  const noModel = [
    ['slm_unload', () => x.slm_unload(rt)],
    ['slm_model_info', () => x.slm_model_info(rt)],
    ['slm_adapter_validate', () => x.slm_adapter_validate(rt, adp, B.dense.length)],
    ['slm_adapter_validate (pointer 0: order before pointers)', () => x.slm_adapter_validate(rt, 0, 10)],
    ['slm_adapter_apply', () => x.slm_adapter_apply(rt, tbl, 1)],
    ['slm_adapter_apply (count 65: order before scalars)', () => x.slm_adapter_apply(rt, tbl, 65)],
    ['slm_rollback', () => x.slm_rollback(rt)],
    ['slm_tokenize', () => x.slm_tokenize(rt, blk, 4, 1)],
    ['slm_tokenize (pointer 0xFFFFFFFF, add_bos 5)', () => x.slm_tokenize(rt, 0xFFFFFFFF, 4, 5)],
    ['slm_generate', () => x.slm_generate(rt, blk, 4, 2, 0)],
    ['slm_begin', () => x.slm_begin(rt, blk, 4, 2, 0)],
    ['slm_next', () => x.slm_next(rt)],
    ['slm_diagnostics', () => x.slm_diagnostics(rt)],
    ['slm_eval', () => x.slm_eval(rt, setp, B.evalSet.length, 0, 0, 0, 0)],
    ['slm_eval (set pointer 0)', () => x.slm_eval(rt, 0, 10, 0, 0, 0, 0)],
  ];
  for (const [name, fn] of noModel) hostile(h, `${name} before any load -> E_ABI_ORDER`, fn, 'E_ABI_ORDER');
  hostile(h, 'slm_sampling before any load -> OK (exempt)', () => x.slm_sampling(rt, 0, 0, 1, 0, 0), 'OK');
  hostile(h, 'slm_sampling(NaN) before any load -> E_ABI_ARGUMENT', () => x.slm_sampling(rt, NaN, 0, 1, 0, 0), 'E_ABI_ARGUMENT');

  h.load(rt, B.m2);
  const w = watch(h, rt, 'm2 runtime');
  h.watch.push(w);
  // watch() generated once, so a fresh runtime is needed for "no generation yet".
  const rt3 = x.slm_runtime_new() >>> 0;
  h.load(rt3, B.m2);
  hostile(h, 'slm_next before any slm_begin -> E_ABI_ORDER', () => x.slm_next(rt3), 'E_ABI_ORDER');
  hostile(h, 'slm_diagnostics without a generation -> E_ABI_ORDER', () => x.slm_diagnostics(rt3), 'E_ABI_ORDER');
  x.slm_tokenize(rt3, blk, 4, 1);
  hostile(h, 'slm_next after only slm_tokenize -> E_ABI_ORDER', () => x.slm_next(rt3), 'E_ABI_ORDER');

  check('slm_generate -> OK', h.generate(rt, 'Once', 5).rc === 0);
  hostile(h, 'slm_next after a whole slm_generate -> E_ABI_ORDER', () => x.slm_next(rt), 'E_ABI_ORDER', { watch: [] });
  const s = h.stream(rt, 'Once', 3);
  check('begin + 3 x next stops with max_tokens', s.rc === 0 && s.r.stop === 2 && s.r.tokens.length === 3, JSON.stringify(s.problems));
  const r1 = ser(h.results(rt));
  hostile(h, 'slm_next after the stop reason was set -> E_ABI_ORDER', () => x.slm_next(rt), 'E_ABI_ORDER', { watch: [], after: () => ser(h.results(rt)) === r1 ? [] : ['results changed'] });
  hostile(h, 'slm_diagnostics after a generation -> OK', () => x.slm_diagnostics(rt), 'OK', { watch: [] });
  check('slm_begin with max_tokens 0 -> OK, stop reason max_tokens at once', x.slm_begin(rt, blk, 4, 0, 0) === 0 && x.slm_result_stop_reason(rt) === 2 && x.slm_result_token_count(rt) === 0);
  hostile(h, 'slm_next after slm_begin with max_tokens 0 -> E_ABI_ORDER', () => x.slm_next(rt), 'E_ABI_ORDER', { watch: [] });

  h.watch = h.watch.filter((v) => v !== w);
  hostile(h, 'slm_unload -> OK', () => x.slm_unload(rt), 'OK');
  const r = h.results(rt);
  check('after slm_unload every result is dropped (accessors return 0)', r.tokens.length === 0 && r.promptTokens.length === 0 && r.stop === 0 && r.logitSteps === 0 && r.vocab === 0 && r.text.length === 0,
    JSON.stringify({ t: r.tokens.length, p: r.promptTokens.length, s: r.stop, v: r.vocab }));
  hostile(h, 'second slm_unload -> E_ABI_ORDER', () => x.slm_unload(rt), 'E_ABI_ORDER');
  hostile(h, 'slm_next after slm_unload -> E_ABI_ORDER', () => x.slm_next(rt), 'E_ABI_ORDER');
  hostile(h, 'slm_model_info after slm_unload -> E_ABI_ORDER', () => x.slm_model_info(rt), 'E_ABI_ORDER');
  h.load(rt, B.m2);
  hostile(h, 'slm_diagnostics after unload + load (results dropped) -> E_ABI_ORDER', () => x.slm_diagnostics(rt), 'E_ABI_ORDER');
  // Handle is checked before order.
  hostile(h, 'slm_next on an unknown handle -> E_ABI_HANDLE (handle before order)', () => x.slm_next(55555), 'E_ABI_HANDLE');
});

// ---------------------------------------------------------------------------------------------
G('pointers (SLM-ABI-001) on every export that takes one', () => {
  const h = standardHost();
  const x = h.x;
  const rt = h.rt;
  const S = 64;
  const blk = h.put(Buffer.from('Once upon a time there was a model that ate pointers for breakfast'.slice(0, S)));
  let b1 = h.alloc(64), b2 = h.alloc(64);
  if (b2 < b1) [b1, b2] = [b2, b1];
  const setp = h.put(B.evalSet);
  const adp = h.put(B.dense);
  // A freed block of an unusual size, released after every other allocation of this group
  // (the tables of the apply tests are made first, and verify() frees what it allocates).
  const freed = h.alloc(3000);
  x.slm_alloc(0);
  const errp = x.slm_error_name() >>> 0;
  x.slm_model_info(rt);
  const outp = x.slm_output(rt) >>> 0, tokp = x.slm_result_tokens(rt) >>> 0;
  const bad = () => [
    ['(0, 8)', 0, 8], ['(0xFFFFFFFF, 1)', 0xFFFFFFFF, 1], ['(end of memory, 4)', h.memSize, 4],
    ['(end of memory - 4, 8)', h.memSize - 4, 8], ['(result pointer, 4) runtime-owned', tokp, 4],
    ['(output pointer, 4) runtime-owned', outp, 4], ['(error string, 2) runtime-owned', errp, 2],
    ['(1024, 4) static data', 1024, 4], ['(block, size + 1)', blk, S + 1], ['(block end, 1)', blk + S, 1],
    ['(block + 8, size)', blk + 8, S], ['(block + 16, 2^32 - 16) wraps', blk + 16, 2 ** 32 - 16],
    ['(block, 0xFFFFFFFF)', blk, 0xFFFFFFFF], ['(block, 2^31)', blk, 2 ** 31], ['(freed block, 8)', freed, 8],
    ['(two adjacent blocks)', b1, b2 - b1 + 8], ['(taken model block, 16)', h.modelPtr, 16],
  ];
  const exports = [
    ['slm_load', (p, n) => () => x.slm_load(rt, p, n, 0)],
    ['slm_adapter_validate', (p, n) => () => x.slm_adapter_validate(rt, p, n)],
    ['slm_adapter_apply entry 0', (p, n) => { const t = table(h, [[p, n]]); return [() => x.slm_adapter_apply(rt, t, 1), t]; }],
    ['slm_adapter_apply entry 1', (p, n) => { const t = table(h, [[adp, B.dense.length], [p, n]]); return [() => x.slm_adapter_apply(rt, t, 2), t]; }],
    ['slm_tokenize', (p, n) => () => x.slm_tokenize(rt, p, n, 1)],
    ['slm_generate', (p, n) => () => x.slm_generate(rt, p, n, 4, 1)],
    ['slm_begin', (p, n) => () => x.slm_begin(rt, p, n, 4, 1)],
    ['slm_eval set', (p, n) => () => x.slm_eval(rt, p, n, 0, 0, 0, 0)],
    ['slm_eval policy', (p, n) => () => x.slm_eval(rt, setp, B.evalSet.length, p, n, 0, 0)],
    ['slm_eval baseline', (p, n) => () => x.slm_eval(rt, setp, B.evalSet.length, 0, 0, p, n)],
  ];
  const t8 = table(h, [[adp, B.dense.length]]);
  const made = exports.flatMap(([name, make]) => bad().map(([bn, p, n]) => {
    let fn = make(p, n), t = 0;
    if (Array.isArray(fn)) [fn, t] = fn;
    return [`${name} ${bn}`, fn, t];
  }));
  x.slm_free(freed);
  for (const [label, fn, t] of made) {
    // E_ABI_POINTER for a table entry: slm_error_index is not asserted (section 5 does not say)
    hostile(h, `${label} -> E_ABI_POINTER`, fn, 'E_ABI_POINTER', t ? { anyIndex: true } : {});
  }
  // The table itself.
  for (const [bn, p] of [['0', 0], ['0xFFFFFFFF', 0xFFFFFFFF], ['end of memory', h.memSize], ['end of memory - 4', h.memSize - 4],
    ['runtime-owned output', outp], ['1024', 1024], ['freed block', freed], ['block end - 4', blk + S - 4], ['taken model block', h.modelPtr]]) {
    hostile(h, `slm_adapter_apply table at ${bn}, count 1 -> E_ABI_POINTER`, () => x.slm_adapter_apply(rt, p, 1), 'E_ABI_POINTER');
  }
  hostile(h, 'slm_adapter_apply count 2 on an 8-byte table -> E_ABI_POINTER', () => x.slm_adapter_apply(rt, t8, 2), 'E_ABI_POINTER');
  hostile(h, 'slm_adapter_apply count 65 on a bad table -> E_ABI_ARGUMENT (count first)', () => x.slm_adapter_apply(rt, 0, 65), 'E_ABI_ARGUMENT');
  hostile(h, 'slm_adapter_apply count 0 on a bad table -> E_ABI_ARGUMENT (count first)', () => x.slm_adapter_apply(rt, 0xFFFFFFFF, 0), 'E_ABI_ARGUMENT');
  // slm_load needs the start of a block.
  hostile(h, 'slm_load (block + 16, 8) (not a block start) -> E_ABI_POINTER', () => x.slm_load(rt, blk + 16, 8, 0), 'E_ABI_POINTER');
  // Left to right and pointers before scalars.
  hostile(h, 'slm_load (0, 10) with flags 2 -> E_ABI_POINTER (pointers before scalars)', () => x.slm_load(rt, 0, 10, 2), 'E_ABI_POINTER');
  hostile(h, 'slm_tokenize (0, 10) with add_bos 2 -> E_ABI_POINTER (pointers before scalars)', () => x.slm_tokenize(rt, 0, 10, 2), 'E_ABI_POINTER');
  hostile(h, 'slm_eval bad set + garbage policy -> E_ABI_POINTER', () => x.slm_eval(rt, 0, 10, blk, 5, 0, 0), 'E_ABI_POINTER');

  // Valid pointers that are not block starts, and exact block ends, are fine (except for slm_load).
  hostile(h, 'slm_tokenize (block + 8, 5) inside a block -> OK', () => x.slm_tokenize(rt, blk + 8, 5, 1), 'OK');
  hostile(h, 'slm_tokenize (block + size - 5, 5) up to the block end -> OK', () => x.slm_tokenize(rt, blk + S - 5, 5, 1), 'OK');
  // Length 0 is the empty string whatever the pointer.
  const rtk = x.slm_tokenize(rt, 0xFFFFFFFF, 0, 1);
  const tk = h.results(rt);
  check('slm_tokenize (0xFFFFFFFF, 0) -> OK, [BOS], empty text', rtk === 0 && tk.tokens.join(',') === '1' && tk.text.length === 0, `rc ${rtk} tokens ${tk.tokens}`);
  const rg = x.slm_generate(rt, 0xFFFFFFFF, 0, 3, 0);
  const gk = h.results(rt);
  const ng = nativeGenerate(F.parent, '', 3);
  check('slm_generate (0xFFFFFFFF, 0) -> OK, prompt [BOS], native tokens', rg === 0 && gk.promptTokens.join(',') === '1' && gk.tokens.join(',') === ng.tokens.join(','), `rc ${rg} ${gk.promptTokens} ${gk.tokens} vs ${ng.tokens}`);
  const rb = x.slm_begin(rt, 0, 0, 3, 0);
  check('slm_begin (0, 0) -> OK', rb === 0, `rc ${rb}`);
  const rtl = x.slm_runtime_new() >>> 0;
  hostile(h, 'slm_load (0xFFFFFFFF, 0) -> E_HDR_TRUNCATED (the empty file)', () => x.slm_load(rtl, 0xFFFFFFFF, 0, 0), 'E_HDR_TRUNCATED');
  hostile(h, 'slm_load (0, 0) on a loaded runtime -> E_HDR_TRUNCATED, model kept', () => x.slm_load(rt, 0, 0, 0), 'E_HDR_TRUNCATED');
  hostile(h, 'slm_adapter_validate (0xFFFFFFFF, 0) -> E_ADP_HDR_TRUNCATED (empty adapter)', () => x.slm_adapter_validate(rt, 0xFFFFFFFF, 0), 'E_ADP_HDR_TRUNCATED');
  const t0 = table(h, [[0xFFFFFFFF, 0]]);
  hostile(h, 'slm_adapter_apply with an entry (0xFFFFFFFF, 0) -> E_ADP_HDR_TRUNCATED, index 0', () => x.slm_adapter_apply(rt, t0, 1), 'E_ADP_HDR_TRUNCATED', { index: 0 });
  hostile(h, 'slm_eval with policy and baseline (0xFFFFFFFF, 0) = absent -> OK', () => x.slm_eval(rt, setp, B.evalSet.length, 0xFFFFFFFF, 0, 0xFFFFFFFF, 0), 'OK');
});

// ---------------------------------------------------------------------------------------------
G('scalar arguments (SLM-ABI-004)', () => {
  const h = standardHost();
  const x = h.x, rt = h.rt;
  for (const f of [2, 4, 0x100, 0x80000000, 0xFFFFFFFF, 3]) {
    const mp = h.put(B.m2);
    hostile(h, `slm_load flags 0x${f.toString(16)} -> E_ABI_ARGUMENT, model kept`, () => x.slm_load(rt, mp, B.m2.length, f), 'E_ABI_ARGUMENT');
    hostile(h, '... block not taken: slm_free -> OK', () => x.slm_free(mp), 'OK');
  }
  const blk = h.put(Buffer.from('Once upon'));
  for (const b of [2, 0x100, 0xFFFFFFFF]) hostile(h, `slm_tokenize add_bos ${b} -> E_ABI_ARGUMENT`, () => x.slm_tokenize(rt, blk, 9, b), 'E_ABI_ARGUMENT');
  const nt = JSON.parse(slm(['tokenize', '--json', '--no-bos', F.parent, 'Once upon']));
  const nb = JSON.parse(slm(['tokenize', '--json', F.parent, 'Once upon']));
  const c0 = x.slm_tokenize(rt, blk, 9, 0), t0 = h.results(rt);
  check('slm_tokenize add_bos 0 -> OK, tokens equal `slm tokenize --no-bos`', c0 === 0 && t0.tokens.join(',') === nt.tokens.join(','), `${t0.tokens} vs ${nt.tokens}`);
  const c1 = x.slm_tokenize(rt, blk, 9, 1), t1 = h.results(rt);
  check('slm_tokenize add_bos 1 -> OK, tokens equal `slm tokenize`, text round-trips', c1 === 0 && t1.tokens.join(',') === nb.tokens.join(',') && t1.text.toString() === 'Once upon', `${t1.tokens} "${t1.text}"`);

  // Sampling: a runtime whose watched generation is sampled, so a changed configuration shows.
  const rs = x.slm_runtime_new() >>> 0;
  h.load(rs, B.m2);
  const C = { t: 0.9, k: 0, p: 0.95, seed: 42n };
  h.sampling(rs, C);
  const ws = watch(h, rs, 'sampled runtime');
  const nat = nativeGenerate(F.m2, VERIFY_PROMPT, 8, C);
  check('sampled generation equals native `slm generate --temperature 0.9 --top-p 0.95 --seed 42`', ws.tokens === nat.tokens.join(','), `${ws.tokens} vs ${nat.tokens}`);
  h.watch.push(ws);
  for (const [n, t, p] of [['temperature NaN', NaN, 1], ['temperature +Inf', Infinity, 1], ['temperature -Inf', -Infinity, 1],
    ['temperature 1e39 (f32 +Inf)', 1e39, 1], ['top_p NaN', 0.5, NaN], ['top_p +Inf', 0.5, Infinity], ['top_p -Inf', 0.5, -Infinity], ['both NaN', NaN, NaN]]) {
    hostile(h, `slm_sampling ${n} -> E_ABI_ARGUMENT, configuration kept`, () => x.slm_sampling(rs, t, 7, p, 99, 99), 'E_ABI_ARGUMENT');
  }
  h.watch.pop();
  const greedy = nativeGenerate(F.m2, VERIFY_PROMPT, 8).tokens.join(',');
  const tok = (s) => { check(`slm_sampling ${JSON.stringify(s, (k, v) => typeof v === 'bigint' ? String(v) : v)} -> OK`, h.sampling(rs, s) === 0); return h.generate(rs, VERIFY_PROMPT, 8).r.tokens.join(','); };
  check('temperature -1 is greedy', tok({ t: -1, seed: 42n }) === greedy);
  check('top_p 0 keeps one candidate (= greedy here)', tok({ t: 0.9, p: 0, seed: 42n }) === greedy);
  check('top_p -5 keeps one candidate (= greedy here)', tok({ t: 0.9, p: -5, seed: 42n }) === greedy);
  const base = tok({ t: 1.0, seed: 7n });
  check('top_k 0xFFFFFFFF and top_p 5 keep all (same as 0 / 1)', tok({ t: 1.0, k: 0xFFFFFFFF, p: 5, seed: 7n }) === base);
  check('top_k = vocab keeps all', tok({ t: 1.0, k: 259, seed: 7n }) === base);
  const s0 = tok({ t: 1.0, seed: 0n });
  check('seed 0 = 0x5EED5EED5EED5EED', s0 === tok({ t: 1.0, seed: 0x5EED5EED5EED5EEDn }));
  check('seed 0 equals native --seed 0', s0 === nativeGenerate(F.m2, VERIFY_PROMPT, 8, { t: 1.0, seed: 0n }).tokens.join(','));
  const big = 0x1_0000_002An;
  check('seed_high carries bits 32..63 (seed 2^32+42 equals native)', tok({ t: 1.0, seed: big }) === nativeGenerate(F.m2, VERIFY_PROMPT, 8, { t: 1.0, seed: big }).tokens.join(','));
  check('... and differs from seed 42', tok({ t: 1.0, seed: big }) !== tok({ t: 1.0, seed: 42n }));

  // Apply tables: count 0 / 65 / huge, bad entries.
  const adp = [B.dense, B.sparse, B.lowrank].map((b) => [h.put(b), b.length]);
  const t65 = table(h, Array.from({ length: 65 }, () => adp[0]));
  for (const c of [0, 65, 0xFFFFFFFF, 0x80000000]) hostile(h, `slm_adapter_apply count ${c} -> E_ABI_ARGUMENT`, () => x.slm_adapter_apply(rt, t65, c), 'E_ABI_ARGUMENT');
  hostile(h, 'slm_adapter_apply count 64 (valid count; 2nd copy of an adapter binds to the parent) -> E_ADP_PARENT_LAYOUT, index 1',
    () => x.slm_adapter_apply(rt, t65, 64), 'E_ADP_PARENT_LAYOUT', { index: 1 });
  const bc = h.put(B.badChecksum);
  const tb = table(h, [adp[1], [bc, B.badChecksum.length]]);
  hostile(h, 'slm_adapter_apply [sparse, bad checksum] -> E_ADP_CHECKSUM, index 1, offset 24', () => x.slm_adapter_apply(rt, tb, 2), 'E_ADP_CHECKSUM', { index: 1, offset: 24 });
  const f1 = h.put(B.first), sb = h.put(B.secondBad);
  const ts = table(h, [[f1, B.first.length], [sb, B.secondBad.length]]);
  hostile(h, 'slm_adapter_apply [first, second bound to the parent] -> E_ADP_PARENT_LAYOUT, index 1, offset 80', () => x.slm_adapter_apply(rt, ts, 2), 'E_ADP_PARENT_LAYOUT', { index: 1, offset: 80 });
  const tt = table(h, [[adp[0][0], adp[0][1] - 1]]);
  hostile(h, 'slm_adapter_apply [dense cut by one byte] -> E_ADP_FILE_TRUNCATED, index 0', () => x.slm_adapter_apply(rt, tt, 1), 'E_ADP_FILE_TRUNCATED', { index: 0 });

  // Huge max_tokens / logit_steps are in range.
  const rc = x.slm_runtime_new() >>> 0;
  h.load(rc, B.ctx);
  const p10 = h.put(Buffer.from('abcdefghij'));
  const g = x.slm_generate(rc, p10, 10, 0xFFFFFFFF, 0xFFFFFFFF);
  const r = h.results(rc);
  const exp = EXP('generate/stops-at-context');
  check('slm_generate max_tokens = logit_steps = 0xFFFFFFFF -> OK, stops at the context, a logit vector per token',
    g === 0 && r.stop === 3 && r.tokens.join(',') === exp.tokens.join(',') && r.logitSteps === r.tokens.length && r.vocab === 259,
    `rc ${g} stop ${r.stop} tokens ${r.tokens.length} steps ${r.logitSteps}`);
  check('slm_result_logits past the recorded steps is 0', x.slm_result_logits(rc, r.logitSteps) === 0);
});

// ---------------------------------------------------------------------------------------------
G('all or nothing (RT-ABI-001)', () => {
  const h = standardHost();
  const x = h.x;
  const rt = x.slm_runtime_new() >>> 0;
  h.load(rt, B.parent);
  const ap = (bufs) => { const ps = bufs.map((b) => [h.put(b), b.length]); const t = table(h, ps); const c = x.slm_adapter_apply(rt, t, ps.length); const e = h.err(); ps.forEach(([p]) => x.slm_free(p)); x.slm_free(t); return { rc: c, e }; };
  const cmpInfo = (c) => {
    const i = h.info(rt), e = EXP(c);
    return i.rc === 0 && JSON.stringify(i.json.identity) === JSON.stringify(e.identity) && tensorsKey(i.json) === tensorsKey(e) &&
      JSON.stringify(i.json.lineage) === JSON.stringify(e.lineage ?? null);
  };
  check('parent: model_info identity, tensors, lineage null equal adapters/parent', cmpInfo('adapters/parent'));
  const ad = ap([B.dense]);
  check('slm_adapter_apply [dense] -> OK; model_info = case adapters/apply-dense (identity, tensors, lineage)', ad.rc === 0 && cmpInfo('adapters/apply-dense'), ad.e.name);
  const wd = watch(h, rt, 'dense descendant');
  const nd = nativeGenerate(F.parent, VERIFY_PROMPT, 8, {}, [F.dense]);
  check('descendant generation equals native --adapter', wd.tokens === nd.tokens.join(','));
  const dg = h.generate(rt, 'adapter', 8, 1);
  check('descendant tokens for "adapter" equal the case\'s', dg.r.tokens.join(',') === EXP('adapters/apply-dense').tokens.join(','));
  h.watch.push(wd);

  const bad = Buffer.from(B.parent); bad[0] = 0x58;
  let cp = h.put(bad);
  hostile(h, 'failed slm_load (bad magic) -> E_HDR_MAGIC offset 0; model and descendant kept', () => x.slm_load(rt, cp, bad.length, 0), 'E_HDR_MAGIC', { offset: 0 });
  check('... the failed load left the host block unchanged', h.bytes(cp, bad.length).equals(bad));
  hostile(h, '... and it is still the host\'s: slm_free -> OK', () => x.slm_free(cp), 'OK');
  const cut = B.parent.subarray(0, B.parent.length - 1);
  cp = h.put(cut);
  hostile(h, 'failed slm_load (one byte short) -> E_FILE_TRUNCATED; kept', () => x.slm_load(rt, cp, cut.length, 0), 'E_FILE_TRUNCATED');
  hostile(h, '... slm_free -> OK', () => x.slm_free(cp), 'OK');
  cp = h.put(B.badDigest);
  hostile(h, 'failed slm_load flags 1 (bad content digest) -> E_ID_DIGEST offset 32; kept', () => x.slm_load(rt, cp, B.badDigest.length, 1), 'E_ID_DIGEST', { offset: 32 });
  check('... block unchanged', h.bytes(cp, B.badDigest.length).equals(B.badDigest));
  hostile(h, '... slm_free -> OK', () => x.slm_free(cp), 'OK');
  cp = h.put(B.m2);
  hostile(h, 'failed slm_load flags 2 (valid file) -> E_ABI_ARGUMENT; kept', () => x.slm_load(rt, cp, B.m2.length, 2), 'E_ABI_ARGUMENT');
  x.slm_free(cp);

  // Failed apply keeps the previous descendant. (ap() frees blocks, which resets the last error: it returns the error it read.)
  const hostileApply = (label, bufs, want, index) => {
    const before = ser(h.results(rt));
    const r = ap(bufs);
    const p = codeProblems(r.rc, r.e, want, { index });
    if (ser(h.results(rt)) !== before) p.push('results changed');
    p.push(...h.watch.flatMap((w) => verify(h, w)));
    check(label, p.length === 0, p.join('; '));
  };
  hostileApply('failed slm_adapter_apply [sparse, bad checksum] keeps the dense descendant', [B.sparse, B.badChecksum], 'E_ADP_CHECKSUM', 1);
  hostileApply('failed slm_adapter_apply [first, second bound to the parent] keeps the dense descendant', [B.first, B.secondBad], 'E_ADP_PARENT_LAYOUT', 1);
  hostileApply('failed slm_adapter_apply [dense, dense] keeps the dense descendant', [B.dense, B.dense], 'E_ADP_PARENT_LAYOUT', 1);
  const t0 = table(h, [[h.canary.p, 8]]);
  hostile(h, 'slm_adapter_apply count 65 keeps the dense descendant', () => x.slm_adapter_apply(rt, t0, 65), 'E_ABI_ARGUMENT');
  hostile(h, 'slm_adapter_apply with a bad table pointer keeps the dense descendant', () => x.slm_adapter_apply(rt, 0xFFFFFFF0, 1), 'E_ABI_POINTER');
  // slm_adapter_validate checks against the parent, not the descendant.
  const vd = h.put(B.dense);
  hostile(h, 'slm_adapter_validate(dense) with the dense descendant applied -> OK (against the parent)', () => x.slm_adapter_validate(rt, vd, B.dense.length), 'OK', { unchanged: true });
  h.watch.pop();
  // Stacks and "every apply starts again from the loaded model".
  const as = ap([B.sparse]);
  check('slm_adapter_apply [sparse] after [dense] -> descendant of [sparse] alone (= case apply-sparse)', as.rc === 0 && cmpInfo('adapters/apply-sparse'), as.e.name);
  const st = ap([B.first, B.second]);
  check('slm_adapter_apply [first, second] -> case apply-stack (identity, tensors, two-step lineage)', st.rc === 0 && cmpInfo('adapters/apply-stack'), st.e.name);
  const v2 = h.put(B.second);
  hostile(h, 'slm_adapter_validate(second) with [first, second] applied -> fails: checked against the parent', () => x.slm_adapter_validate(rt, v2, B.second.length), 'E_ADP_PARENT_LAYOUT', { watch: [] });
  check('slm_rollback -> OK; model_info = parent again', x.slm_rollback(rt) === 0 && cmpInfo('adapters/parent'));
  hostileApply('failed slm_adapter_apply with no descendant keeps none (parent, lineage null)', [B.badChecksum], 'E_ADP_CHECKSUM', 0);
  check('... model_info still the parent', cmpInfo('adapters/parent'));
  const al = ap([B.lowrank]);
  check('slm_adapter_apply [lowrank] = case apply-lowrank', al.rc === 0 && cmpInfo('adapters/apply-lowrank'));
  const wl = watch(h, rt, 'lowrank descendant');
  h.watch.push(wl);
  const cp2 = h.put(bad);
  hostile(h, 'failed slm_load keeps the lowrank descendant too', () => x.slm_load(rt, cp2, bad.length, 0), 'E_HDR_MAGIC');
  h.watch.pop();
  x.slm_free(cp2);

  // Check 50 before the first adapter call when slm_load skipped it.
  const rd = x.slm_runtime_new() >>> 0;
  h.load(rd, B.badDigest, 0);
  const wdg = watch(h, rd, 'bad-digest model (loaded without check 50)');
  const a1 = h.put(B.dense);
  hostile(h, 'slm_adapter_validate on a model whose digest is wrong -> E_ID_DIGEST, offset 32, index -1', () => x.slm_adapter_validate(rd, a1, B.dense.length), 'E_ID_DIGEST', { offset: 32, index: -1, watch: [wdg] });
  const ta = table(h, [[a1, B.dense.length]]);
  hostile(h, 'slm_adapter_apply on it -> E_ID_DIGEST, offset 32, index -1', () => x.slm_adapter_apply(rd, ta, 1), 'E_ID_DIGEST', { offset: 32, index: -1, watch: [wdg] });

  // Failed begin / generate / tokenize keep the previous results.
  const rc = x.slm_runtime_new() >>> 0;
  h.load(rc, B.ctx);
  const long = h.put(Buffer.from('a'.repeat(40)));
  const g1 = h.generate(rc, 'abc', 5, 2);
  check('generation on the context-32 model -> OK', g1.rc === 0);
  const chk = (label, fn, want) => {
    h.generate(rc, 'abc', 5, 2);
    const before = ser(h.results(rc));
    const rcd = fn(); const e = h.err();
    const p = codeProblems(rcd, e, want);
    if (ser(h.results(rc)) !== before) p.push('results changed');
    if (x.slm_diagnostics(rc) !== 0) p.push(`slm_diagnostics of the previous generation now ${h.err().name}`);
    check(label, p.length === 0, p.join('; '));
  };
  const edge = h.generate(rc, 'a'.repeat(31), 64, 0);
  check('prompt of exactly the context (31 bytes + BOS = 32) -> OK, one token, stop context', edge.rc === 0 && edge.r.tokens.length === 1 && edge.r.stop === 3, edge.e.name);
  const over = h.generate(rc, 'a'.repeat(32), 64, 0);
  check('prompt of context + 1 tokens -> E_GEN_PROMPT_TOO_LONG', over.rc === ERR.E_GEN_PROMPT_TOO_LONG.code && over.e.name === 'E_GEN_PROMPT_TOO_LONG', over.e.name);
  chk('failed slm_begin (prompt too long) -> E_GEN_PROMPT_TOO_LONG, previous results kept', () => x.slm_begin(rc, long, 40, 5, 2), 'E_GEN_PROMPT_TOO_LONG');
  chk('failed slm_generate (prompt too long) -> E_GEN_PROMPT_TOO_LONG, previous results kept', () => x.slm_generate(rc, long, 40, 5, 2), 'E_GEN_PROMPT_TOO_LONG');
  chk('failed slm_begin (bad pointer) keeps the results', () => x.slm_begin(rc, 0, 40, 5, 2), 'E_ABI_POINTER');
  chk('failed slm_tokenize (add_bos 2) keeps the results', () => x.slm_tokenize(rc, long, 4, 2), 'E_ABI_ARGUMENT');
  chk('failed slm_tokenize (bad pointer) keeps the results', () => x.slm_tokenize(rc, 0xFFFFFFFF, 4, 1), 'E_ABI_POINTER');
  chk('failed slm_sampling keeps the results', () => x.slm_sampling(rc, NaN, 0, 1, 0, 0), 'E_ABI_ARGUMENT');
  const qb = h.put(bad);
  chk('failed slm_load keeps the results', () => x.slm_load(rc, qb, bad.length, 0), 'E_HDR_MAGIC');
  x.slm_free(qb);

  // A failed call in the middle of a streamed generation leaves it running.
  const whole = h.generate(rc, 'abcdefghij', 64, 2).r;
  const pp = h.put(Buffer.from('abcdefghij'));
  const midCalls = [
    ['slm_begin (prompt too long)', () => x.slm_begin(rc, long, 40, 5, 2), 'E_GEN_PROMPT_TOO_LONG'],
    ['slm_generate (prompt too long)', () => x.slm_generate(rc, long, 40, 5, 2), 'E_GEN_PROMPT_TOO_LONG'],
    ['slm_tokenize (add_bos 2)', () => x.slm_tokenize(rc, pp, 4, 2), 'E_ABI_ARGUMENT'],
    ['slm_sampling (NaN)', () => x.slm_sampling(rc, NaN, 0, 1, 0, 0), 'E_ABI_ARGUMENT'],
    ['slm_load (flags 2)', () => x.slm_load(rc, pp, 10, 2), 'E_ABI_ARGUMENT'],
    ['slm_adapter_apply (count 0)', () => x.slm_adapter_apply(rc, pp, 0), 'E_ABI_ARGUMENT'],
  ];
  for (const [n, fn, want] of midCalls) {
    x.slm_begin(rc, pp, 10, 64, 2);
    for (let i = 0; i < 3; i++) x.slm_next(rc);
    const mid = ser(h.results(rc));
    const c = fn(); const e = h.err();
    const p = codeProblems(c, e, want);
    if (ser(h.results(rc)) !== mid) p.push('results changed');
    if (x.slm_result_stop_reason(rc) !== 0) p.push('generation no longer running');
    let k = 0;
    while (x.slm_result_stop_reason(rc) === 0 && k++ < 1000) if (x.slm_next(rc) !== 0) break;
    const after = h.results(rc);
    if (!(after.tokens.join(',') === whole.tokens.join(',') && ser(after) === ser({ ...whole, piece: after.piece })))
      p.push(`continued to ${after.tokens} (stop ${after.stop}), whole gives ${whole.tokens} (stop ${whole.stop})`);
    check(`failed ${n} in the middle of a streamed generation -> ${want}; results kept; slm_next continues to the whole generation`, p.length === 0, p.join('; '));
  }
});

// ---------------------------------------------------------------------------------------------
G('ownership (RT-ABI-002)', () => {
  const h = standardHost();
  const x = h.x;
  const rt = x.slm_runtime_new() >>> 0;
  const p = h.put(B.m2);
  check('slm_load of a live block -> OK', x.slm_load(rt, p, B.m2.length, 0) === 0);
  const w = watch(h, rt, 'm2 runtime');
  h.watch.push(w);
  hostile(h, 'slm_free of the block slm_load took -> E_ABI_POINTER', () => x.slm_free(p), 'E_ABI_POINTER');
  hostile(h, 'the taken block is no argument: slm_tokenize from it -> E_ABI_POINTER', () => x.slm_tokenize(rt, p, 8, 1), 'E_ABI_POINTER');
  const rt2 = x.slm_runtime_new() >>> 0;
  hostile(h, 'slm_load of the taken block by another runtime -> E_ABI_POINTER', () => x.slm_load(rt2, p, B.m2.length, 0), 'E_ABI_POINTER');
  hostile(h, 'slm_load of the taken block again by its runtime -> E_ABI_POINTER', () => x.slm_load(rt, p, B.m2.length, 0), 'E_ABI_POINTER');
  const q = h.put(B.parent);
  hostile(h, 'slm_load with len = block size + 1 -> E_ABI_POINTER', () => x.slm_load(rt, q, B.parent.length + 1, 0), 'E_ABI_POINTER');
  hostile(h, 'slm_load at block + 16 -> E_ABI_POINTER', () => x.slm_load(rt, q + 16, B.parent.length - 16, 0), 'E_ABI_POINTER');
  hostile(h, '... the block was not taken (slm_free -> OK)', () => x.slm_free(q), 'OK');
  h.watch.pop();
  // Load with len below the block size: fine, file_bytes is len.
  const r = h.put(B.parent, 100);
  h.u8().fill(0xEE, r + B.parent.length, r + B.parent.length + 100);
  check('slm_load with len < block size -> OK (replaces the model)', x.slm_load(rt, r, B.parent.length, 0) === 0);
  const inf = h.info(rt);
  check('model_info file_bytes = len', inf.rc === 0 && inf.json.file_bytes === B.parent.length, inf.json?.file_bytes);
  h.watch.push(watch(h, rt, 'parent runtime 2'));
  hostile(h, 'the previous model\'s block was released by the runtime: slm_free -> E_ABI_POINTER', () => x.slm_free(p), 'E_ABI_POINTER');
  hostile(h, 'slm_free of the new model block -> E_ABI_POINTER', () => x.slm_free(r), 'E_ABI_POINTER');
  h.watch.pop();
  check('slm_unload -> OK', x.slm_unload(rt) === 0);
  hostile(h, 'after slm_unload its block is not the host\'s: slm_free -> E_ABI_POINTER', () => x.slm_free(r), 'E_ABI_POINTER');

  // A failed load never takes the block; a successful one does not copy it.
  const h2 = new Host();
  const rtb = h2.x.slm_runtime_new() >>> 0;
  const bp = h2.put(B.big);
  const m0 = h2.memSize;
  const lc = h2.x.slm_load(rtb, bp, B.big.length, 1);
  const m1 = h2.memSize;
  check(`slm_load of a ${B.big.length}-byte model grows memory by less than half of it (held without a copy)`, lc === 0 && m1 - m0 < B.big.length / 2, `rc ${lc}, grew ${m1 - m0}`);
  const bi = h2.info(rtb);
  check('model_info of the big model: file_bytes, hyperparameters', bi.rc === 0 && bi.json.file_bytes === B.big.length && bi.json.hyperparameters.dim === 256 && bi.json.hyperparameters.n_layers === 4);
});

// ---------------------------------------------------------------------------------------------
G('streaming equals whole generation, and native (RT-ABI-004, section 5)', () => {
  const h = new Host();
  const x = h.x;
  const cfgs = [
    ['programmed, greedy, stops at eos', F.prog, 'Once upon', 64, 3, {}, []],
    ['parent, greedy, max_tokens', F.parent, 'Once upon', 12, 4, {}, []],
    ['context-32, greedy, stops at context', F.ctx, 'abcdefghij', 64, 2, {}, []],
    ['m2, sampled T 0.9 top-k 40 top-p 0.9 seed 42', F.m2, 'Once upon', 20, 2, { t: 0.9, k: 40, p: 0.9, seed: 42n }, []],
    ['m2, sampled T 1.2 seed 0', F.m2, 'Hello', 16, 1, { t: 1.2, seed: 0n }, []],
    ['m2, sampled T 1 seed 2^40+5', F.m2, 'x', 16, 0, { t: 1, seed: (1n << 40n) + 5n }, []],
    ['parent + dense adapter, greedy', F.parent, 'adapter', 8, 1, {}, [F.dense]],
    ['parent + [first, second] stack, sampled', F.parent, 'stack', 10, 1, { t: 0.8, k: 10, seed: 9n }, [F.first, F.second]],
    ['max_tokens 0', F.m2, 'Once upon', 0, 3, {}, []],
    ['empty prompt', F.m2, '', 6, 1, {}, []],
  ];
  const reasons = { 1: 'eos', 2: 'max_tokens', 3: 'context' };
  for (const [name, file, prompt, max, ls, s, adapters] of cfgs) {
    const rt = x.slm_runtime_new() >>> 0;
    h.load(rt, fs.readFileSync(file));
    if (adapters.length) {
      const ps = adapters.map((f) => { const b = fs.readFileSync(f); return [h.put(b), b.length]; });
      const c = x.slm_adapter_apply(rt, table(h, ps), ps.length);
      check(`${name}: apply -> OK`, c === 0, h.err().name);
    }
    check(`${name}: slm_sampling -> OK`, h.sampling(rt, s) === 0);
    const wg = h.generate(rt, prompt, max, ls);
    if (!check(`${name}: slm_generate -> OK`, wg.rc === 0, wg.e.name)) continue;
    const W = wg.r;
    const st = h.stream(rt, prompt, max, ls);
    if (!check(`${name}: slm_begin -> OK`, st.rc === 0, st.e?.name)) continue;
    const A = st.afterBegin;
    check(`${name}: after slm_begin: stop reason ${max === 0 ? 'max_tokens' : '0'}, no tokens, no text, prompt tokens`,
      A.stop === (max === 0 ? 2 : 0) && A.tokens.length === 0 && A.text.length === 0 && A.promptTokens.join(',') === W.promptTokens.join(','),
      JSON.stringify({ stop: A.stop, t: A.tokens.length, tl: A.text.length }));
    const S = st.r;
    check(`${name}: each slm_next appends one token and its piece`, st.problems.length === 0, st.problems.join('; '));
    check(`${name}: streamed tokens = whole tokens`, S.tokens.join(',') === W.tokens.join(','), `${S.tokens} vs ${W.tokens}`);
    check(`${name}: concatenated pieces = whole text`, Buffer.concat(st.pieces).equals(W.text) && S.text.equals(W.text));
    check(`${name}: stop reason equal`, S.stop === W.stop && S.stop !== 0, `${S.stop} vs ${W.stop}`);
    check(`${name}: prompt tokens equal`, S.promptTokens.join(',') === W.promptTokens.join(','));
    check(`${name}: recorded logits equal (count ${W.logitSteps})`, S.logitSteps === W.logitSteps && S.logits.every((l, i) => l.equals(W.logits[i])) &&
      W.logitSteps === Math.min(ls, W.tokens.length) && W.logits.every((l) => l.length === 4 * W.vocab));
    check(`${name}: last piece of slm_generate = last streamed piece`, W.piece.equals(st.pieces.length ? st.pieces[st.pieces.length - 1] : Buffer.alloc(0)));
    check(`${name}: slm_next after the stop -> E_ABI_ORDER`, x.slm_next(rt) === ERR.E_ABI_ORDER.code && h.err().name === 'E_ABI_ORDER');
    const N = nativeGenerate(file, prompt, max, s, adapters);
    check(`${name}: tokens = native slm generate --json`, W.tokens.join(',') === N.tokens.join(','), `${W.tokens} vs ${N.tokens}`);
    check(`${name}: prompt tokens and stop reason = native`, W.promptTokens.join(',') === N.prompt_tokens.join(',') && reasons[W.stop] === N.stop_reason, `${reasons[W.stop]} vs ${N.stop_reason}`);
    let text;
    try { text = new TextDecoder('utf-8', { fatal: true }).decode(W.text); } catch { text = null; }
    if (text !== null) check(`${name}: text = native`, text === N.text, JSON.stringify([text, N.text]));
    const lo = W.logits.every((l, i) => new Float32Array(l.buffer, l.byteOffset, l.length / 4)[N.tokens[i]] === Math.fround(N.steps[i].logit));
    check(`${name}: the chosen token's recorded logit = native's, bit for bit`, lo);
    if (max > 0) {
      const dc = x.slm_diagnostics(rt);
      let d = null; try { d = JSON.parse(h.output(rt)); } catch { /* */ }
      const nd = N.diagnostics;
      const keys = ['prompt_tokens', 'generated_tokens', 'kv_cache_bytes', 'model_bytes', 'scratch_bytes', 'adapter_count'];
      const diff = d ? keys.filter((k) => d[k] !== nd[k]) : ['unparsable'];
      if (d && JSON.stringify(d.tensors_by_dtype) !== JSON.stringify(nd.tensors_by_dtype)) diff.push('tensors_by_dtype');
      if (d && !(typeof d.seconds === 'number' && typeof d.tokens_per_second === 'number')) diff.push('seconds/tokens_per_second');
      check(`${name}: slm_diagnostics -> OK, equals native diagnostics (but times)`, dc === 0 && diff.length === 0, diff.map((k) => `${k}: ${JSON.stringify(d?.[k])} vs ${JSON.stringify(nd[k])}`).join('; '));
    }
    x.slm_runtime_free(rt);
  }
  const e = EXP('generate/programmed-byte-f32');
  const rt = x.slm_runtime_new() >>> 0;
  h.load(rt, B.prog);
  const g = h.generate(rt, 'Once upon', 64, 0);
  check('programmed model: tokens, text " a time.", stop eos as the golden case', g.rc === 0 && g.r.tokens.join(',') === e.tokens.join(',') && g.r.text.toString() === e.text && g.r.stop === 1);
  // The configuration survives loads and applies.
  const C = { t: 0.9, k: 20, p: 0.9, seed: 1234n };
  h.sampling(rt, C);
  h.load(rt, B.m2);
  check('sampling survives slm_load', h.generate(rt, 'Once upon', 10).r.tokens.join(',') === nativeGenerate(F.m2, 'Once upon', 10, C).tokens.join(','));
  h.load(rt, B.parent);
  const ap = h.put(B.dense);
  x.slm_adapter_apply(rt, table(h, [[ap, B.dense.length]]), 1);
  check('sampling survives slm_adapter_apply', h.generate(rt, 'Once upon', 10).r.tokens.join(',') === nativeGenerate(F.parent, 'Once upon', 10, C, [F.dense]).tokens.join(','));
  x.slm_rollback(rt);
  check('sampling survives slm_rollback (generation = parent\'s)', h.generate(rt, 'Once upon', 10).r.tokens.join(',') === nativeGenerate(F.parent, 'Once upon', 10, C).tokens.join(','));
});

// ---------------------------------------------------------------------------------------------
G('returned pointers (RT-ABI-003) and independent runtimes (section 4)', () => {
  const h = standardHost();
  const x = h.x;
  const A = h.rt;
  const g = h.generate(A, 'Once upon', 6, 2);
  const saved = { tok: [x.slm_result_tokens(A) >>> 0, 4 * g.r.tokens.length], text: [x.slm_result_text(A) >>> 0, g.r.text.length],
    prompt: [x.slm_result_prompt_tokens(A) >>> 0, 4 * g.r.promptTokens.length], logits: [x.slm_result_logits(A, 1) >>> 0, 4 * g.r.vocab],
    piece: [x.slm_result_piece(A) >>> 0, g.r.piece.length] };
  const copies = Object.fromEntries(Object.entries(saved).map(([k, [p, n]]) => [k, h.bytes(p, n)]));
  const live = [[h.canary.p, h.canary.n]];
  const inHost = Object.values(saved).filter(([p, n]) => n && live.some(([b, bs]) => p < b + bs && b < p + n));
  check('result pointers lie outside the host\'s live blocks', inHost.length === 0);
  x.slm_model_info(A);
  const outA = [x.slm_output(A) >>> 0, x.slm_output_len(A) >>> 0];
  const outCopy = h.bytes(...outA);
  // Calls on another runtime and memory-growing allocations.
  const Bh = x.slm_runtime_new() >>> 0;
  h.load(Bh, B.m2);
  h.sampling(Bh, { t: 1, seed: 3n });
  h.generate(Bh, 'a much longer prompt for the other runtime', 20, 20);
  x.slm_model_info(Bh);
  x.slm_diagnostics(Bh);
  const mem0 = h.memSize;
  const big = h.alloc(64 << 20);
  h.u8().fill(0xAB, big, big + (64 << 20));
  check('slm_alloc(64 MiB) grows memory', big !== 0 && h.memSize > mem0);
  x.slm_free(big);
  h.load(Bh, B.ctx);
  h.generate(Bh, 'abcdefghij', 64, 64);
  const changed = Object.entries(saved).filter(([k, [p, n]]) => !h.bytes(p, n).equals(copies[k])).map(([k]) => k);
  check('runtime A\'s result bytes at the saved pointers are unchanged after calls on runtime B, memory growth and frees', changed.length === 0, changed.join(','));
  check('runtime A\'s output bytes at the saved pointer are unchanged', h.bytes(...outA).equals(outCopy));
  check('runtime A\'s accessors still return the same pointers', x.slm_result_tokens(A) >>> 0 === saved.tok[0] && x.slm_output(A) >>> 0 === outA[0]);
  check('runtime B\'s output is its own (a diagnostics/info of B did not replace A\'s)', h.output(A) === outCopy.toString() && h.output(Bh) !== outCopy.toString());
  // Error strings stay valid until the next call that returns a code.
  const blk = h.put(Buffer.from('Once'));
  x.slm_tokenize(A, blk, 4, 2);
  const ep = [x.slm_error_name() >>> 0, x.slm_error_rule() >>> 0, x.slm_error_message() >>> 0];
  const es = ep.map((p) => h.cstr(p));
  check('after E_ABI_ARGUMENT: name, rule, non-empty message', es[0] === 'E_ABI_ARGUMENT' && es[1] === 'SLM-ABI-004' && es[2].length > 0, JSON.stringify(es));
  h.results(A); h.results(Bh); h.output(A); x.slm_error_code(); x.slm_error_offset(); x.slm_error_index();
  check('error strings unchanged at their pointers after accessor calls', ep.every((p, i) => h.cstr(p) === es[i]));
  // Independent runtimes.
  h.watch[0].name = 'runtime A';
  hostile(h, 'slm_sampling on runtime B does not change runtime A', () => x.slm_sampling(Bh, 1.5, 3, 0.5, 77, 0), 'OK');
  const ad = h.put(B.dense);
  const tAB = table(h, [[ad, B.dense.length]]);
  const Ch = x.slm_runtime_new() >>> 0;
  h.load(Ch, B.parent);
  hostile(h, 'slm_adapter_apply on runtime C does not change runtime A', () => x.slm_adapter_apply(Ch, tAB, 1), 'OK');
  hostile(h, 'slm_unload on runtime B does not change runtime A', () => x.slm_unload(Bh), 'OK');
  hostile(h, 'slm_runtime_free of runtime C does not change runtime A', () => x.slm_runtime_free(Ch), 'OK');
});

// ---------------------------------------------------------------------------------------------
G('exhausted memory (SLM-ABI-005)', () => {
  const h = standardHost();
  const x = h.x;
  const blocks = [];
  let last = null;
  for (let i = 0; i < 8; i++) {
    const before = ser(h.results(h.rt));
    const p = x.slm_alloc(GiB) >>> 0;
    if (!p) { last = { e: h.err(), before }; break; }
    blocks.push(p);
  }
  check(`slm_alloc(1 GiB) repeatedly: ${blocks.length} succeed, then 0`, last !== null && blocks.length >= 1 && blocks.length <= 4, `${blocks.length} blocks`);
  if (last) {
    const p = codeProblems(0, last.e, 'E_ABI_MEMORY', { alloc: true });
    if (ser(h.results(h.rt)) !== last.before) p.push('results changed');
    check('... the failing slm_alloc -> E_ABI_MEMORY, nothing else changed', p.length === 0, p.join('; '));
  }
  check('1 GiB blocks are disjoint and 16-byte aligned', blocks.every((p, i) => p % 16 === 0 && blocks.every((q, j) => i === j || p + GiB <= q || q + GiB <= p)));
  hostile(h, 'while exhausted: slm_alloc(2^31) -> E_ABI_MEMORY (in range)', () => x.slm_alloc(2 ** 31), 'E_ABI_MEMORY', { alloc: true, watch: [] });
  hostile(h, 'while exhausted: slm_alloc(2^31+1) -> E_ABI_ARGUMENT (scalar check first)', () => x.slm_alloc(2 ** 31 + 1), 'E_ABI_ARGUMENT', { alloc: true, watch: [] });
  const i = h.info(h.rt);
  check('while exhausted: the model is unchanged (model_info)', i.rc === 0 && i.json.identity.content_digest === h.watch[0].digest && tensorsKey(i.json) === h.watch[0].tensors);
  check('while exhausted: canary block unchanged', h.bytes(h.canary.p, 64).equals(Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 131 + 7) & 255))));
  const freed = blocks.map((p) => x.slm_free(p));
  check('slm_free of each 1 GiB block -> OK', freed.every((c) => c === 0), freed.join(','));
  hostile(h, 'after freeing: generation unchanged; slm_alloc(1 GiB) succeeds again', () => { const p = x.slm_alloc(GiB) >>> 0; const c = p ? x.slm_free(p) : -1; return c; }, 'OK');
});

// ---------------------------------------------------------------------------------------------
G('eval (section 6)', () => {
  const h = new Host();
  const x = h.x;
  const rt = x.slm_runtime_new() >>> 0;
  h.load(rt, B.prog);
  h.canary = null;
  const setp = h.put(B.evalSet);
  const c = x.slm_eval(rt, setp, B.evalSet.length, 0, 0, 0, 0);
  let side = null; try { side = JSON.parse(h.output(rt)); } catch { /* */ }
  check('slm_eval of a valid set -> OK, the output is a sidecar with 3 results', c === 0 && side && side.reproducible?.results?.length === 3, h.err().name);
  const outF = path.join(tmp, 'prog.sidecar.json');
  spawnSync(slmBin, ['eval', '-o', outF, F.prog, F.evalSet], { encoding: 'utf8' });
  let nat = null; try { nat = JSON.parse(fs.readFileSync(outF, 'utf8')); } catch { /* */ }
  check('... its reproducible part and digest equal native `slm eval`', nat && side && side.reproducible_digest === nat.reproducible_digest &&
    JSON.stringify(side.reproducible) === JSON.stringify(nat.reproducible), nat ? `${side?.reproducible_digest} vs ${nat.reproducible_digest}` : 'no native sidecar');
  h.watch = [watch(h, rt, 'programmed runtime')];
  x.slm_eval(rt, setp, B.evalSet.length, 0, 0, 0, 0);
  const lines = B.evalSet.toString().split('\n');
  const badSet = Buffer.from(`${lines[0]}\n{"id": 5}\n`);
  const bs = h.put(badSet), junk = h.put(Buffer.from('not json'));
  hostile(h, 'slm_eval of a garbage set -> E_EVAL_SET offset 0, output kept', () => x.slm_eval(rt, junk, 8, 0, 0, 0, 0), 'E_EVAL_SET', { offset: 0 });
  hostile(h, 'slm_eval with a bad line 2 -> E_EVAL_SET at its offset', () => x.slm_eval(rt, bs, badSet.length, 0, 0, 0, 0), 'E_EVAL_SET', { offset: lines[0].length + 1 });
  hostile(h, 'slm_eval with a garbage policy -> E_EVAL_POLICY', () => x.slm_eval(rt, setp, B.evalSet.length, junk, 8, 0, 0), 'E_EVAL_POLICY');
  hostile(h, 'slm_eval with a garbage baseline -> E_EVAL_SIDECAR', () => x.slm_eval(rt, setp, B.evalSet.length, 0, 0, junk, 8), 'E_EVAL_SIDECAR');
  hostile(h, 'slm_eval garbage set and policy -> E_EVAL_SET (set first)', () => x.slm_eval(rt, junk, 8, junk, 8, 0, 0), 'E_EVAL_SET');
});

// ---------------------------------------------------------------------------------------------
G('observations where spec/wasm-abi.md is silent (informative, never judged)', () => {
  const h = new Host();
  const x = h.x;
  const rt = x.slm_runtime_new() >>> 0;
  h.load(rt, B.m2);
  const pr = h.put(Buffer.from('Once upon'));
  const en = () => h.err().name;
  x.slm_alloc(0); const a = x.slm_alloc(32);
  note('last error after a successful slm_alloc that follows a failed one', en()); x.slm_free(a);
  note('slm_rollback with no descendant', (x.slm_rollback(rt), en()));
  x.slm_begin(rt, pr, 9, 5, 1); x.slm_next(rt);
  note('slm_diagnostics while a generation is running', (x.slm_diagnostics(rt), en()));
  x.slm_tokenize(rt, pr, 4, 1);
  note('after slm_tokenize mid-generation: stop reason / prompt token count / slm_next', `${x.slm_result_stop_reason(rt)} / ${x.slm_result_prompt_token_count(rt)} / ${(x.slm_next(rt), en())}`);
  x.slm_begin(rt, pr, 9, 5, 1); x.slm_next(rt);
  h.sampling(rt, { t: 1, seed: 5n });
  note('slm_next after slm_sampling mid-generation', (x.slm_next(rt), en()));
  x.slm_begin(rt, pr, 9, 5, 1); x.slm_next(rt);
  const mp = h.put(B.parent); x.slm_load(rt, mp, B.parent.length, 0);
  note('after a successful slm_load mid-generation: token count / stop reason / slm_next', `${x.slm_result_token_count(rt)} / ${x.slm_result_stop_reason(rt)} / ${(x.slm_next(rt), en())}`);
  x.slm_begin(rt, pr, 9, 5, 1); x.slm_next(rt);
  const ad = h.put(B.dense); const t = table(h, [[ad, B.dense.length]]);
  x.slm_adapter_apply(rt, t, 1);
  note('slm_next after slm_adapter_apply mid-generation (which model?)', (x.slm_next(rt), en()));
  x.slm_rollback(rt);
  note('slm_result_piece_len right after slm_begin', (x.slm_begin(rt, pr, 9, 5, 1), x.slm_result_piece_len(rt)));
  const tb = table(h, [[0, 8]]);
  note('slm_error_index after E_ABI_POINTER for a table entry', (x.slm_adapter_apply(rt, tb, 1), `${en()} index ${x.slm_error_index()}`));
  note('slm_error_offset after E_ABI_POINTER', String(x.slm_error_offset()));
  const extra = WebAssembly.Module.exports(MODULE).map((e) => e.name).filter((n) => !n.startsWith('slm_') && n !== 'memory' && n !== '_initialize');
  note('exports beyond the ABI', extra.join(', ') || 'none');
});

// ---------------------------------------------------------------------------------------------
for (const [name, fn] of groups) {
  group = name;
  try { fn(); } catch (e) {
    check('group ran to its end', false, e instanceof GroupAbort ? e.message : `${e.constructor.name}: ${e.message}`);
  }
}
if (stackHosts.length) {
  group = 'stack';
  const { deepest, size } = stackHighWater();
  check(`stack high-water ${deepest} bytes of ${size} over ${stackHosts.length} instances stays under half the stack`,
        deepest < size / 2, `${deepest} of ${size}`);
}
const failed = checks.filter((c) => !c.ok);
console.log(`\n${checks.length - failed.length}/${checks.length} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failed.length) {
  console.log('Failed:');
  for (const c of failed) console.log(`  [${c.group}] ${c.label}${c.detail ? ` -- ${c.detail}` : ''}`);
}
if (notes.length) { console.log('Informative (the spec is silent):'); for (const n of notes) console.log(`  ${n}`); }
process.exit(failed.length ? 1 : 0);
