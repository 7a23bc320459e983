#!/usr/bin/env node
// The WASM build as a conformance runtime: speaks the harness protocol (spec/protocol.md section 4)
// on stdin/stdout and runs every request through the raw ABI (spec/wasm-abi.md) of the .wasm named
// on the command line. `slm conform --runtime wasm:FILE.wasm` starts it; any module that implements
// the ABI can be judged this way. usage: node speaker.mjs FILE.wasm
//
// Files are read here (the module has no file system) and handed over as blocks. The model stays
// loaded between requests: one runtime handle, reloaded only when the bytes or the flag change.
import { readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { instantiate, SlmError } from './slm.mjs';

const MAX_LINE = 1 << 20;  // PROTO-002
const ABI_OPS = ['validate', 'tokenize', 'generate', 'validate_adapter', 'apply_adapter', 'eval'];
// eval.md section 1 and 4-6: the most a set, a policy and a sidecar may hold, and the code beyond it
const LIMITS = { set: [64 << 20, 'E_EVAL_SET'], policy: [1 << 20, 'E_EVAL_POLICY'], baseline: [256 << 20, 'E_EVAL_SIDECAR'] };

const wasmPath = process.argv[2];
if (!wasmPath) {
  process.stderr.write('usage: node speaker.mjs FILE.wasm\n');
  process.exit(2);
}
const slm = await instantiate(readFileSync(wasmPath));
const rt = slm.runtime();
let loaded = null;  // { bytes, verified } of the model rt holds as its parent

// A rejection: what a check of the module or of this speaker refused.
class Reject {
  constructor(code, offset, message, step) { Object.assign(this, { code, offset, message, step }); }
}
const fromSlm = (e, step) => new Reject(e.codeName, e.offset, e.detail, step);

function readInput(path, limit) {
  try {
    if (limit && statSync(path).size > limit[0]) return new Reject(limit[1], 0, `${path}: larger than ${limit[0]} bytes`);
    return readFileSync(path);
  } catch (e) {
    return new Reject('E_IO_READ', null, `${path}: ${e.code ?? e.message}`);
  }
}

// Makes `path` the runtime's model (its parent, no adapters applied); throws Reject.
function loadModel(path, verifyDigest, step) {
  // A block holds at most 2^31 bytes (wasm-abi.md 3): a larger model does not fit this runtime
  // (format.md section 10, SLM-LIM-007), whatever else it holds.
  try {
    if (statSync(path).size > 2 ** 31) throw new Reject('E_LIMIT_ADDRESS_SPACE', 16, `${path}: larger than a wasm32 block`, step);
  } catch (e) {
    if (e instanceof Reject) throw e;
  }
  const bytes = readInput(path);
  if (bytes instanceof Reject) throw Object.assign(bytes, { step });
  if (!loaded || !loaded.bytes.equals(bytes) || (verifyDigest && !loaded.verified)) {
    try {
      rt.load(bytes, { verifyDigest });
    } catch (e) {
      if (e instanceof SlmError) throw fromSlm(e, step);
      throw e;
    }
    loaded = { bytes, verified: verifyDigest };
  }
  rt.rollback();
}

function readAdapters(paths, firstStep) {
  return paths.map((p, k) => {
    const bytes = readInput(p);
    if (bytes instanceof Reject) throw Object.assign(bytes, { step: firstStep + k });
    return bytes;
  });
}

function modelReport() {
  const info = rt.modelInfo();
  return { identity: info.identity, tensors: info.tensors, lineage: info.lineage };
}

function generation(req) {
  rt.setSampling({ temperature: req.temperature, topK: req.top_k, topP: req.top_p, seed: BigInt(req.seed) });
  const r = rt.generate(req.prompt, { maxTokens: req.max_tokens, logitSteps: req.logit_steps });
  return {
    prompt_tokens: r.promptTokens, tokens: r.tokens, text: r.text, stop_reason: r.stopReason,
    logits: r.logits.map((step) => Array.from(step)),  // JSON writes a non-finite logit as null
  };
}

const handlers = {
  validate(req) {
    loadModel(req.path, req.verify_digest === true);
    const { identity, tensors } = modelReport();
    return { identity, tensors };
  },
  tokenize(req) {
    loadModel(req.path, false);
    const text = 'text_hex' in req ? Buffer.from(req.text_hex, 'hex') : req.text;
    const r = rt.tokenize(text, { addBos: req.add_bos });
    return { tokens: r.tokens, text: r.text };
  },
  generate(req) {
    loadModel(req.path, false);
    return generation(req);
  },
  validate_adapter(req) {
    loadModel(req.parent, true);
    const [adapter] = readAdapters([req.path], 1);
    rt.validateAdapter(adapter);
    return {};
  },
  apply_adapter(req) {
    loadModel(req.parent, true, 0);
    const adapters = readAdapters([req.path, ...(req.stack ?? [])], 1);
    try {
      rt.applyAdapters(adapters);
    } catch (e) {
      if (e instanceof SlmError) throw fromSlm(e, e.index === null ? 0 : e.index + 1);
      throw e;
    }
    const answer = modelReport();
    return 'prompt' in req ? { ...answer, ...generation(req) } : answer;
  },
  eval(req) {
    const texts = {};
    for (const key of ['set', 'policy', 'baseline']) {
      if (req[key] === null || req[key] === undefined) continue;
      const bytes = readInput(req[key], LIMITS[key]);
      if (bytes instanceof Reject) throw bytes;
      texts[key] = bytes;
    }
    loadModel(req.path, (req.adapters ?? []).length > 0);
    if ((req.adapters ?? []).length > 0) rt.applyAdapters(readAdapters(req.adapters, 1));
    const sidecar = JSON.parse(rt.evalSet(texts.set, { policy: texts.policy ?? null, baseline: texts.baseline ?? null }));
    return { sidecar: sidecar.reproducible };
  },
};

function answer(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return { seq: null, status: 'errored', message: 'E_PROTOCOL_LINE: not JSON' };
  }
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return { seq: null, status: 'errored', message: 'E_PROTOCOL_LINE: not a JSON object' };
  const seq = Number.isSafeInteger(req.seq) && req.seq >= 0 ? req.seq : null;
  if (seq === null) return { seq: null, status: 'errored', message: 'E_PROTOCOL_LINE: no readable seq' };
  const handler = Object.hasOwn(handlers, req.op) ? handlers[req.op] : null;
  if (!handler) return { seq, status: 'errored', message: `E_PROTOCOL_LINE: unknown op ${JSON.stringify(req.op)}` };
  try {
    return { seq, status: 'ok', accepted: true, ...handler(req) };
  } catch (e) {
    if (e instanceof SlmError) e = fromSlm(e);
    if (!(e instanceof Reject)) return { seq, status: 'errored', message: String(e?.stack ?? e) };
    const out = { seq, status: 'ok', accepted: false, code: e.code, offset: e.offset ?? null, message: e.message };
    if (req.op === 'apply_adapter') out.step = e.step ?? 0;
    return out;
  }
}

const write = (obj) => {
  let line = JSON.stringify(obj);
  if (Buffer.byteLength(line) > MAX_LINE) line = JSON.stringify({ seq: obj.seq, status: 'errored', message: 'the answer would exceed 1 MiB' });
  process.stdout.write(line + '\n');
};

write({ type: 'hello', protocol: 'slm-conform/1', name: 'slm-wasm', version: '0.1.0', spec_version: '1', capabilities: ABI_OPS });
const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of input) {
  if (line.length === 0) continue;
  if (Buffer.byteLength(line) > MAX_LINE) {
    write({ seq: null, status: 'errored', message: 'E_PROTOCOL_LINE: longer than 1 MiB' });
    continue;
  }
  let op = null;
  try { op = JSON.parse(line)?.op; } catch { /* answered below */ }
  if (op === 'bye') break;
  write(answer(line));
}
process.stdout.end(() => process.exit(0));
