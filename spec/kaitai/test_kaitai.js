#!/usr/bin/env node
// The Kaitai Struct descriptions (spec/kaitai/*.ksy) against the reference's reading of the same
// bytes: every valid input of the conformance cases and every generated preset is parsed by the
// generated JavaScript parser, and each header field, section, tensor entry, tokenizer field and
// adapter entry must equal `slm inspect --json` / `slm adapter inspect --json`. The invalid inputs
// are parsed too and listed (accepted or rejected by the .ksy): informative, never an assertion,
// since the .ksy describes layout only.
//
// Usage: node test_kaitai.js SLM SOURCE_DIR OUT_DIR
//   OUT_DIR receives the generated parsers and the materialised inputs (recipes, programs).
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const Module = require('module');
const { execFileSync } = require('child_process');

const [SLM, SOURCE, OUT] = process.argv.slice(2).map((p) => p && path.resolve(p));
if (!OUT) {
  console.error('usage: node test_kaitai.js SLM SOURCE_DIR OUT_DIR');
  process.exit(2);
}
const CASES = path.join(SOURCE, 'conformance', 'cases');
const NODE_MODULES = path.join(SOURCE, 'node_modules');
const requireDep = Module.createRequire(path.join(NODE_MODULES, 'x.js'));
if (!fs.existsSync(path.join(NODE_MODULES, 'kaitai-struct-compiler'))) {
  console.error(`no ${NODE_MODULES}/kaitai-struct-compiler: run scripts/install-deps test (it runs npm ci)`);
  process.exit(1);
}
fs.mkdirSync(path.join(OUT, 'inputs'), { recursive: true });

let failures = 0;
function fail(msg) {
  failures++;
  console.log(`FAIL ${msg}`);
}

// ---- compile the .ksy files (debug mode: every field records its position, so the u64 fields
// that a JavaScript double cannot hold are read exactly from the bytes the parser located).
async function compile(ksyName) {
  const ksc = requireDep('kaitai-struct-compiler');
  const yaml = requireDep('js-yaml');
  const ksy = yaml.load(fs.readFileSync(path.join(SOURCE, 'spec', 'kaitai', ksyName), 'utf8'));
  const files = await ksc.compile('javascript', ksy, null, true);
  const [name, src] = Object.entries(files)[0];
  const file = path.join(OUT, name);
  fs.writeFileSync(file, src);
  // Load it as a module whose require() resolves in the repository's node_modules.
  const m = new Module(file);
  m.filename = file;
  m.paths = [NODE_MODULES];
  m._compile(src, file);
  return Object.values(m.exports)[0];
}

function parse(Parser, bytes) {
  const KaitaiStream = requireDep('kaitai-struct').KaitaiStream;
  global.KaitaiStream = KaitaiStream;
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const obj = new Parser(new KaitaiStream(ab));
  obj._read();
  return obj;
}

// Exact value of a u64 field from the position the parser recorded for it.
function u64At(bytes, parent, field) {
  const d = parent._debug[field];
  const at = d.ioOffset + d.start;
  if (d.end - d.start !== 8) throw new Error(`${field} is not 8 bytes`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readBigUInt64LE(at);
}
const hex64 = (v) => v.toString(16).padStart(16, '0');
const hexBytes = (u8) => Buffer.from(u8).toString('hex');
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

// ---- comparisons, field by field; `what` names the input in every message
function eq(what, field, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) fail(`${what}: ${field}: kaitai ${g}, slm ${w}`);
}
function sameKeys(what, field, obj, keys) {
  // A field the reference reports and this test does not compare is a hole in the test.
  const extra = Object.keys(obj).filter((k) => !keys.includes(k));
  if (extra.length) fail(`${what}: ${field}: not compared: ${extra.join(', ')}`);
}

function compareModel(what, bytes, m, ins) {
  const h = m.header, tok = m.tokenizer;
  sameKeys(what, 'model', ins, ['format_version', 'file_length', 'checksum', 'flags', 'hyperparameters',
    'identity', 'sections', 'tokenizer', 'tensors']);
  eq(what, 'format_version', h.version, ins.format_version);
  eq(what, 'file_length', h.fileLength, ins.file_length);
  eq(what, 'checksum', hex64(u64At(bytes, h, 'checksum')), ins.checksum);
  sameKeys(what, 'flags', ins.flags, ['value', 'untied_output']);
  eq(what, 'flags.value', h.flags, ins.flags.value);
  eq(what, 'flags.untied_output', h.untiedOutput, ins.flags.untied_output);
  const hp = ins.hyperparameters;
  const hpKeys = ['vocab_size', 'dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'max_seq_len',
    'norm_eps', 'rope_theta'];
  sameKeys(what, 'hyperparameters', hp, hpKeys);
  const camel = (s) => s.replace(/_(.)/g, (_, c) => c.toUpperCase());
  for (const k of hpKeys) eq(what, `hyperparameters.${k}`, h[camel(k)], hp[k]);
  const id = ins.identity;
  sameKeys(what, 'identity', id, ['parameter_count', 'tensor_count', 'flags', 'layout_checksum',
    'tokenizer_checksum', 'content_digest']);
  eq(what, 'identity.parameter_count', Number(u64At(bytes, h, 'parameterCount')), id.parameter_count);
  eq(what, 'identity.tensor_count', h.tensorCount, id.tensor_count);
  eq(what, 'identity.flags', h.flags, id.flags);
  eq(what, 'identity.layout_checksum', hex64(u64At(bytes, h, 'layoutChecksum')), id.layout_checksum);
  eq(what, 'identity.tokenizer_checksum', hex64(u64At(bytes, h, 'tokenizerChecksum')), id.tokenizer_checksum);
  eq(what, 'identity.content_digest', hexBytes(h.contentDigest), id.content_digest);
  const sec = ins.sections;
  sameKeys(what, 'sections', sec, ['tokenizer', 'directory', 'data']);
  // The section table as stored, and where the parser actually found each section.
  eq(what, 'sections.tokenizer', { length: h.tokenizerLength, offset: h.tokenizerOffset }, sec.tokenizer);
  eq(what, 'sections.directory', { length: h.directoryLength, offset: h.directoryOffset }, sec.directory);
  eq(what, 'sections.data', { length: h.dataLength, offset: h.dataOffset }, sec.data);
  eq(what, 'tokenizer section position', m._debug.tokenizer.start, sec.tokenizer.offset);
  eq(what, 'directory position', m._debug.directory.start, sec.directory.offset);
  eq(what, 'data section position', m._debug.tensors.start, sec.data.offset);
  const t = ins.tokenizer;
  sameKeys(what, 'tokenizer', t, ['kind', 'n_pieces', 'bos_id', 'eos_id', 'add_dummy_prefix']);
  const kinds = { 1: 'byte', 2: 'bpe' };
  eq(what, 'tokenizer.kind', kinds[tok.kind], t.kind);
  eq(what, 'tokenizer.n_pieces', tok.nPieces, t.n_pieces);
  eq(what, 'tokenizer.bos_id', tok.bosId, t.bos_id);
  eq(what, 'tokenizer.eos_id', tok.eosId, t.eos_id);
  eq(what, 'tokenizer.add_dummy_prefix', tok.addDummyPrefix, t.add_dummy_prefix);
  if (t.kind === 'bpe') eq(what, 'tokenizer piece records', tok.pieces.length, t.n_pieces);
  const dtypes = { 0: 'f32', 2: 'q4_0', 8: 'q8_0' };
  eq(what, 'tensor count', m.directory.length, ins.tensors.length);
  m.directory.forEach((e, i) => {
    const w = ins.tensors[i];
    if (!w) return;
    const at = `tensors[${i}]`;
    sameKeys(what, at, w, ['name', 'dtype', 'shape', 'offset', 'bytes', 'elements']);
    eq(what, `${at}.name`, e.name, w.name);
    eq(what, `${at}.dtype`, dtypes[e.dtype], w.dtype);
    eq(what, `${at}.shape`, e.dims, w.shape);
    eq(what, `${at}.offset`, e.absoluteOffset, w.offset);
    eq(what, `${at}.bytes`, e.byteSize, w.bytes);
    eq(what, `${at}.elements`, e.nElements, w.elements);
    const body = m._debug.tensors.arr[i];
    eq(what, `${at} position`, m.tensors[i]._debug.body.start, w.offset);
    if (!body) fail(`${what}: ${at}: no tensor data parsed`);
  });
  return { dtypes: m.directory.map((e) => dtypes[e.dtype]), tokenizer: t.kind, untied: h.untiedOutput };
}

function compareAdapter(what, bytes, a, ins) {
  const h = a.header;
  sameKeys(what, 'adapter', ins, ['file', 'kind', 'magic', 'bytes', 'adapter_digest', 'parent', 'entries']);
  const kinds = { 0x41445031: ['dense', 'ADP1'], 0x41535031: ['sparse', 'ASP1'], 0x414c5231: ['low-rank', 'ALR1'] };
  eq(what, 'kind', kinds[h.magic][0], ins.kind);
  eq(what, 'magic', kinds[h.magic][1], ins.magic);
  eq(what, 'bytes', h.fileLength, ins.bytes);
  eq(what, 'adapter_digest', hexBytes(h.adapterDigest), ins.adapter_digest);
  const p = h.parent, wp = ins.parent;
  sameKeys(what, 'parent', wp, ['parameter_count', 'tensor_count', 'flags', 'layout_checksum',
    'tokenizer_checksum', 'content_digest']);
  eq(what, 'parent.parameter_count', Number(u64At(bytes, p, 'parameterCount')), wp.parameter_count);
  eq(what, 'parent.tensor_count', p.tensorCount, wp.tensor_count);
  eq(what, 'parent.flags', p.flags, wp.flags);
  eq(what, 'parent.layout_checksum', hex64(u64At(bytes, p, 'layoutChecksum')), wp.layout_checksum);
  eq(what, 'parent.tokenizer_checksum', hex64(u64At(bytes, p, 'tokenizerChecksum')), wp.tokenizer_checksum);
  eq(what, 'parent.content_digest', hexBytes(p.contentDigest), wp.content_digest);
  eq(what, 'entry count', a.entries.length, ins.entries.length);
  a.entries.forEach((e, i) => {
    const w = ins.entries[i];
    if (!w) return;
    const at = `entries[${i}]`;
    sameKeys(what, at, w, ['name', 'shape', 'nnz', 'rank', 'alpha']);
    eq(what, `${at}.name`, e.name, w.name);
    eq(what, `${at}.shape`, e.dims, w.shape);
    const k = e.kindFields;
    if (ins.kind === 'sparse') {
      eq(what, `${at}.nnz`, Number(u64At(bytes, k, 'nnz')), w.nnz);
      eq(what, `${at} pairs`, e.payload.pairs.length, w.nnz);
    }
    if (ins.kind === 'low-rank') {
      eq(what, `${at}.rank`, k.rank, w.rank);
      eq(what, `${at}.alpha`, k.alpha, w.alpha);
    }
    if (ins.kind === 'dense') eq(what, `${at} values`, e.payload.values.length, e.nElements);
  });
  return { kind: ins.kind };
}

// ---- inputs: the case tree's (files, hex, recipes, programs) and the presets
function decodeHex(text) {
  const out = [];
  for (const line of text.split('\n')) {
    for (const tok of line.replace(/#.*/, '').split(/\s+/).filter(Boolean)) {
      const m = /^([0-9a-fA-F]{2})(?:\*([0-9]+))?$/.exec(tok);
      if (!m) throw new Error(`bad hex token ${tok}`);
      const n = m[2] ? Number(m[2]) : 1;
      for (let i = 0; i < n; i++) out.push(parseInt(m[1], 16));
    }
  }
  return Buffer.from(out);
}

function slm(args) {
  return execFileSync(SLM, args, { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

// Generated inputs are kept by SHA-256 in OUT_DIR, so a re-run does not write them again.
function generated(args, want) {
  const file = path.join(OUT, 'inputs', `${want}.slm`);
  if (!fs.existsSync(file) || sha256(fs.readFileSync(file)) !== want) {
    slm(['gen', 'model', ...args, '-o', file]);
  }
  return file;
}

function recipeArgs(recipe) {
  const args = [];
  for (const [k, v] of Object.entries(recipe)) {
    if (v === true) args.push(`--${k.replace(/_/g, '-')}`);
    else if (v !== false) args.push(`--${k.replace(/_/g, '-')}`, String(v));
  }
  return args;
}

// Returns the path of the bytes the runtime would read, or null for an absent input.
function materialise(caseDir, input) {
  let file;
  if (input.file) file = path.join(caseDir, input.file);
  else if (input.hex) {
    const bytes = decodeHex(fs.readFileSync(path.join(caseDir, input.hex), 'utf8'));
    file = path.join(OUT, 'inputs', `${sha256(bytes)}.bin`);
    fs.writeFileSync(file, bytes);
  } else if (input.generate) file = generated(recipeArgs(input.generate), input.sha256);
  else if (input.program) file = generated(['--program', path.join(caseDir, input.program)], input.sha256);
  else return null;
  const got = sha256(fs.readFileSync(file));
  if (input.sha256 && got !== input.sha256) fail(`${path.relative(CASES, caseDir)}: ${file} has sha256 ${got}`);
  return file;
}

function walkCases(dir, out) {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) walkCases(p, out);
    else if (name === 'expected.json') out.push(dir);
  }
  return out;
}

// What a case says about each of its inputs: valid (the .ksy must read it as slm does), invalid
// (listed), or unknown (a stack file after the failing step; listed with the invalid ones).
const STANDALONE_VALID_ADAPTER_PHASES = new Set(['IDENTITY']);
function classify(c) {
  const roles = [];  // [input, kind ('model' | 'adapter'), verdict]
  const e = c.expect;
  const adapterOp = c.op === 'validate_adapter' || c.op === 'apply_adapter';
  if (!adapterOp) {
    // An eval (or generate) rejection blames the model only with a model file's code: not the set's
    // (E_EVAL_*), a missing file's (E_IO_READ) or an adapter's (E_ADP_*, its adapter then unknown).
    const code = e.outcome === 'reject' ? e.codes[0] : '';
    const modelCode = code !== '' && !/^E_(EVAL|ADP|GEN)_/.test(code) && code !== 'E_IO_READ';
    const invalid = e.outcome === 'reject' && (c.op === 'validate' || modelCode);
    roles.push([c.input, 'model', invalid ? 'invalid' : 'valid']);
    for (const a of c.adapters || []) roles.push([a, 'adapter', invalid || code.startsWith('E_ADP_') ? 'unknown' : 'valid']);
    return roles;
  }
  const steps = [c.parent, c.input, ...(c.stack || [])];
  let failing = Infinity, failingVerdict = 'invalid';
  if (e.outcome === 'reject') {
    const code = e.codes[0];
    failing = e.step !== undefined ? e.step : (code.startsWith('E_ADP_') || code === 'E_IO_READ' ? 1 : 0);
    // An adapter that fails only its binding or its application is valid on its own (A1-A28).
    if (STANDALONE_VALID_ADAPTER_PHASES.has(e.phase) || code === 'E_ADP_APPLY_NONFINITE') failingVerdict = 'valid';
  }
  steps.forEach((input, k) => {
    const verdict = k < failing ? 'valid' : k === failing ? failingVerdict : 'unknown';
    roles.push([input, k === 0 ? 'model' : 'adapter', verdict]);
  });
  return roles;
}

async function main() {
  const t0 = Date.now();
  const Slm1 = await compile('slm1.ksy');
  const SlmAdapter = await compile('slm_adapter.ksy');

  // Every distinct input (by SHA-256) with what the cases say about it.
  const inputs = new Map();  // sha -> {file, kind, verdicts:Set, cases:[]}
  for (const dir of walkCases(CASES, [])) {
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    for (const [input, kind, verdict] of classify(c)) {
      const file = materialise(dir, input);
      if (!file) continue;
      const sha = sha256(fs.readFileSync(file));
      if (!inputs.has(sha)) inputs.set(sha, { file, kind, verdicts: new Set(), cases: [] });
      inputs.get(sha).verdicts.add(verdict);
      inputs.get(sha).cases.push(c.id);
      // A validate case's expectation has each tensor's SHA-256: the bytes the .ksy locates.
      if (c.op === 'validate' && c.expect.outcome === 'accept' && input === c.input) {
        inputs.get(sha).expectTensors = c.expect.tensors;
      }
    }
  }
  for (const preset of ['tiny', 'small', 'stories15m', 'large']) {
    const file = path.join(OUT, 'inputs', `preset-${preset}.slm`);
    slm(['gen', 'model', '--preset', preset, '-o', file]);
    const sha = sha256(fs.readFileSync(file));
    if (!inputs.has(sha)) inputs.set(sha, { file, kind: 'model', verdicts: new Set(), cases: [] });
    inputs.get(sha).verdicts.add('valid');
    inputs.get(sha).cases.push(`preset ${preset}`);
  }

  const seen = { dtypes: new Set(), tokenizers: new Set(), untied: new Set(), adapters: new Set() };
  let checkedModels = 0, checkedAdapters = 0, fromCases = 0, presets = 0, tensorDigests = 0;
  const listed = [];
  for (const [, inp] of [...inputs.entries()].sort((a, b) => a[1].cases[0].localeCompare(b[1].cases[0]))) {
    const what = `${inp.cases[0]} (${path.relative(SOURCE, inp.file)})`;
    const bytes = fs.readFileSync(inp.file);
    const Parser = inp.kind === 'model' ? Slm1 : SlmAdapter;
    let parsed = null, error = null;
    try {
      parsed = parse(Parser, bytes);
    } catch (err) {
      error = `${err.constructor.name}: ${err.message}`;
    }
    if (inp.verdicts.has('valid')) {
      if (!parsed) {
        fail(`${what}: valid input rejected by the .ksy: ${error}`);
        continue;
      }
      const args = inp.kind === 'model' ? ['inspect', '--json', inp.file] : ['adapter', 'inspect', '--json', inp.file];
      const ins = JSON.parse(slm(args).toString());
      if (inp.kind === 'model') {
        if (!ins.ok) {
          fail(`${what}: slm inspect rejects a valid input: ${JSON.stringify(ins.error)}`);
          continue;
        }
        const s = compareModel(what, bytes, parsed, ins.model);
        s.dtypes.forEach((d) => seen.dtypes.add(d));
        seen.tokenizers.add(s.tokenizer);
        seen.untied.add(s.untied);
        checkedModels++;
        if (inp.expectTensors) {
          tensorDigests++;
          const got = parsed.directory.map((e, i) => ({
            name: e.name, dtype: { 0: 'f32', 2: 'q4_0', 8: 'q8_0' }[e.dtype], shape: e.dims,
            sha256: sha256(parsed.tensors[i].body),
          }));
          eq(what, 'tensor bytes (SHA-256 of each body, expected.json)', got, inp.expectTensors);
        }
      } else {
        seen.adapters.add(compareAdapter(what, bytes, parsed, ins).kind);
        checkedAdapters++;
      }
      if (inp.cases.some((c) => c.startsWith('preset '))) presets++;
      if (inp.cases.some((c) => !c.startsWith('preset '))) fromCases++;
    } else {
      listed.push(`${inp.cases.join(', ')}: ${parsed ? 'parsed (layout fine; spec/format.md or adapters.md rejects it)' : `rejected: ${error}`}`);
    }
  }

  // The presets are written again on every run; do not leave ~430 MB in the build dir.
  for (const preset of ['small', 'stories15m', 'large']) fs.rmSync(path.join(OUT, 'inputs', `preset-${preset}.slm`));

  // Self-test: a comparison that cannot find a difference proves nothing.
  {
    const file = [...inputs.values()].find((i) => i.cases.includes('preset tiny')).file;
    const bytes = fs.readFileSync(file);
    const ins = JSON.parse(slm(['inspect', '--json', file]).toString()).model;
    ins.tensors[3].bytes += 1;
    ins.tokenizer.eos_id ^= 3;
    const before = failures;
    const log = console.log;
    console.log = () => {};
    compareModel('self-test', bytes, parse(Slm1, bytes), ins);
    console.log = log;
    if (failures - before !== 2) fail(`self-test: two planted differences, ${failures - before} found`);
    else failures = before;
  }

  // The descriptions are for runtimes in many languages: they must compile for the main targets,
  // not only for the JavaScript this test runs. (Nim is left out: kaitai-struct-compiler 0.11's
  // Nim backend throws on `valid: expr`.)
  for (const ksyName of ['slm1.ksy', 'slm_adapter.ksy']) {
    const ksy = requireDep('js-yaml').load(fs.readFileSync(path.join(SOURCE, 'spec', 'kaitai', ksyName), 'utf8'));
    for (const lang of ['cpp_stl', 'csharp', 'go', 'java', 'python', 'rust']) {
      try {
        await requireDep('kaitai-struct-compiler').compile(lang, ksy, null, false);
      } catch (err) {
        fail(`${ksyName} does not compile for ${lang}: ${String(err).slice(0, 300)}`);
      }
    }
  }

  // The inputs must cover what the format can hold, or "all equal" says little.
  const need = (name, set, values) => values.forEach((v) => set.has(v) || fail(`coverage: no valid input with ${name} ${v}`));
  need('dtype', seen.dtypes, ['f32', 'q4_0', 'q8_0']);
  need('tokenizer', seen.tokenizers, ['byte', 'bpe']);
  need('untied_output', seen.untied, [false, true]);
  need('adapter kind', seen.adapters, ['dense', 'sparse', 'low-rank']);

  console.log(`\nInputs the cases call invalid (or that follow a failing step), as the .ksy reads them (${listed.length}):`);
  for (const l of listed.sort()) console.log(`  ${l}`);
  const rejected = listed.filter((l) => l.includes(': rejected: ')).length;
  console.log(`\n${checkedModels} models and ${checkedAdapters} adapters compared field by field with slm ` +
    `(${fromCases} distinct valid inputs of the cases, ${presets} presets, some of them case inputs too; ` +
    `the tensor bytes of ${tensorDigests} against their case's SHA-256s); ` +
    `${listed.length} invalid inputs listed, ${rejected} of them rejected by the .ksy; ${Date.now() - t0} ms`);
  const passed = checkedModels + checkedAdapters;
  console.log(`${failures === 0 ? passed : 0} passed, ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
