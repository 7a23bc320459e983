#!/usr/bin/env node
// slm_validate.js: an SLM1 validator in Node.js that speaks the conformance protocol (cmd:).
//
// Usage:  node slm_validate.js                  the protocol of spec/protocol.md section 4 on
//                                               stdin/stdout (hello, then one answer per line)
//         node slm_validate.js [--digest] FILE  one-shot (section 5): exit 0 accept, 1 reject,
//                                               2 unreadable, 3 internal error or bad usage
//
// Written from spec/format.md, spec/adapters.md, spec/protocol.md and spec/errors.def, with the
// layout read by the parsers that kaitai-struct-compiler generates from spec/kaitai/slm1.ksy and
// slm_adapter.ksy at start-up (in memory; npm packages from the repository's package-lock.json).
// Models, division of labour:
//
//   [1-36]  structure, in the order of format.md 7.1, on the raw bytes with exact BigInt
//           arithmetic: the Kaitai parser stops at the first bad field in *file* order, which is
//           not the check order, so it cannot say which code a file gets.
//   Kaitai  then parses the file. Every file that passed 1-36 must parse; if it does not, the
//           answer is "errored" (an inconsistency between this script and the .ksy), never a
//           verdict.
//   [37-49] semantics and identity on the Kaitai tree: hyperparameters, tokenizer pieces,
//           required tensors, parameter_count; the two XXH64 identity hashes over the sections
//           the tree located. u64 header fields are read with DataView.getBigUint64, because the
//           Kaitai JavaScript runtime reads a u8 into a double (exact only below 2^53).
//   [50]    content digest (SHA-256, node:crypto) when the request asks for full validation.
//
// Adapters (validate_adapter): the parent is fully validated first and its rejection is the
// answer; A1-A21 on the raw bytes (header, walk, checksum, digest), A22-A28 per entry on the
// Kaitai tree, A29-A36 against the parent's header and Kaitai directory.
//
// Every check of format.md 7.1 (1-50) and adapters.md A1-A36 is run. Not implemented, answered
// "skipped": tokenize, generate, apply_adapter (with A37 and stacks) and eval.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const Module = require('module');
const readline = require('readline');

const KAITAI = path.join(__dirname, '..', '..', 'spec', 'kaitai');

// ---- the generated parser ------------------------------------------------------------------
function loadParser(ksyName) {
  const ksc = require('kaitai-struct-compiler');
  const yaml = require('js-yaml');
  global.KaitaiStream = require('kaitai-struct').KaitaiStream;
  const ksy = yaml.load(fs.readFileSync(path.join(KAITAI, ksyName), 'utf8'));
  return ksc.compile('javascript', ksy, null, false).then((files) => {
    const [name, src] = Object.entries(files)[0];
    const m = new Module(path.join(__dirname, name));
    m.filename = path.join(__dirname, name);
    m.paths = Module._nodeModulePaths(__dirname);
    m._compile(src, m.filename);
    return Object.values(m.exports)[0];
  });
}

// ---- XXH64, seed 0 (format.md Appendix B) ----------------------------------------------------
const M64 = (1n << 64n) - 1n;
const P1 = 0x9E3779B185EBCA87n, P2 = 0xC2B2AE3D27D4EB4Fn, P3 = 0x165667B19E3779F9n;
const P4 = 0x85EBCA77C2B2AE63n, P5 = 0x27D4EB2F165667C5n;
const rotl = (x, r) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M64;
const round = (acc, lane) => (rotl((acc + lane * P2) & M64, 31) * P1) & M64;
const merge = (acc, v) => (((acc ^ round(0n, v)) * P1) + P4) & M64;

function xxh64(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const n = buf.length;
  let p = 0, acc;
  if (n >= 32) {
    let v1 = (P1 + P2) & M64, v2 = P2, v3 = 0n, v4 = (M64 + 1n - P1) & M64;
    while (n - p >= 32) {
      v1 = round(v1, dv.getBigUint64(p, true));
      v2 = round(v2, dv.getBigUint64(p + 8, true));
      v3 = round(v3, dv.getBigUint64(p + 16, true));
      v4 = round(v4, dv.getBigUint64(p + 24, true));
      p += 32;
    }
    acc = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) & M64;
    acc = merge(merge(merge(merge(acc, v1), v2), v3), v4);
  } else {
    acc = P5;
  }
  acc = (acc + BigInt(n)) & M64;
  while (n - p >= 8) {
    acc = ((rotl(acc ^ round(0n, dv.getBigUint64(p, true)), 27) * P1) + P4) & M64;
    p += 8;
  }
  if (n - p >= 4) {
    acc = ((rotl(acc ^ ((BigInt(dv.getUint32(p, true)) * P1) & M64), 23) * P2) + P3) & M64;
    p += 4;
  }
  while (p < n) {
    acc = (rotl(acc ^ ((BigInt(buf[p]) * P5) & M64), 11) * P1) & M64;
    p += 1;
  }
  acc = ((acc ^ (acc >> 33n)) * P2) & M64;
  acc = ((acc ^ (acc >> 29n)) * P3) & M64;
  return acc ^ (acc >> 32n);
}

// ---- validation ------------------------------------------------------------------------------
class Reject extends Error {
  constructor(code, offset, message) {
    super(message);
    this.code = code;
    this.offset = offset;
  }
}
const reject = (code, offset, message) => { throw new Reject(code, offset === null ? null : Number(offset), message); };

const align64 = (x) => (x + 63n) / 64n * 64n;
const hex64 = (v) => v.toString(16).padStart(16, '0');
const isNameByte = (b) => (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x5f || b === 0x2e;
const DTYPES = { 0: 'f32', 2: 'q4_0', 8: 'q8_0' };

function bytesOf(dtype, n) {
  if (dtype === 0) return 4n * n;
  return (dtype === 8 ? 34n : 18n) * (n / 32n);
}

// Checks 1-36 on the raw bytes, in the order of format.md 7.1.
function checkStructure(b) {
  const size = BigInt(b.length);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const u16 = (o) => dv.getUint16(Number(o), true);
  const u32 = (o) => dv.getUint32(Number(o), true);
  const u64 = (o) => dv.getBigUint64(Number(o), true);

  // 1-14: header and section table
  const magic = [0x53, 0x4c, 0x4d, 0x31];
  for (let i = 0; i < Math.min(b.length, 4); i++) if (b[i] !== magic[i]) reject('E_HDR_MAGIC', i, 'not SLM1');
  if (b.length >= 8 && u32(4) !== 1) reject('E_HDR_VERSION', 4, `version ${u32(4)}`);
  if (b.length < 256) reject('E_HDR_TRUNCATED', size, 'shorter than the header');
  if (u32(8) !== 256) reject('E_HDR_LENGTH', 8, 'header_length is not 256');
  const fileLength = u64(16);
  if (fileLength > 1n << 48n) reject('E_LIMIT_FILE_SIZE', 16, 'file_length over 2^48');
  if (size < fileLength) reject('E_FILE_TRUNCATED', size, 'shorter than file_length');
  if (size > fileLength) reject('E_FILE_TRAILING', fileLength, 'longer than file_length');
  if ((u32(12) & 0xfffffffe) !== 0) reject('E_HDR_FLAGS', 12, 'reserved flag bit');
  for (const [lo, hi] of [[100, 104], [116, 120], [184, 256]]) {
    for (let i = lo; i < hi; i++) if (b[i] !== 0) reject('E_HDR_RESERVED', i, 'reserved header byte');
  }
  const limits = [[64, 1 << 20], [68, 1 << 16], [72, 1 << 18], [76, 1024], [80, 1024], [84, 1024], [88, 1 << 20]];
  for (const [at, max] of limits) if (u32(at) > max) reject('E_LIMIT_HPARAM', at, 'hyperparameter over its limit');
  const tensorCount = u32(112);
  if (tensorCount > 16384) reject('E_LIMIT_TENSOR_COUNT', 112, 'tensor_count over 16384');
  const T = u64(136), L = u64(144), D = u64(152), DL = u64(160), DO = u64(168), DATA = u64(176);
  if (L > 1n << 24n) reject('E_LIMIT_TOKENIZER_SIZE', 144, 'tokenizer_length over 16 MiB');
  for (const [off, len, at] of [[T, L, 136], [D, DL, 152], [DO, DATA, 168]]) {
    if (off < 256n || off + len > fileLength) reject('E_SECTION_RANGE', at, 'section outside the file');
  }
  if (T !== 256n) reject('E_SECTION_LAYOUT', 136, 'tokenizer_offset is not 256');
  if (D !== align64(T + L)) reject('E_SECTION_LAYOUT', 152, 'directory_offset not canonical');
  if (DL !== 128n * BigInt(tensorCount)) reject('E_SECTION_LAYOUT', 160, 'directory_length not canonical');
  if (DO !== D + DL) reject('E_SECTION_LAYOUT', 168, 'data_offset not canonical');
  if (DO + DATA !== fileLength) reject('E_SECTION_LAYOUT', 176, 'data_length not canonical');

  // 15-20: tokenizer structure
  if (L < 24n) reject('E_TOK_TRUNCATED', T + L, 'tokenizer header truncated');
  const kind = u32(T);
  if (kind !== 1 && kind !== 2) reject('E_TOK_KIND', T, `tokenizer kind ${kind}`);
  if ((u32(T + 4n) & 0xfffffffe) !== 0) reject('E_TOK_RESERVED', T + 4n, 'reserved tokenizer flag');
  if (u32(T + 20n) !== 0) reject('E_TOK_RESERVED', T + 20n, 'reserved tokenizer word');
  const nPieces = u32(T + 8n);
  if (nPieces > 1 << 20) reject('E_LIMIT_VOCAB', T + 8n, 'n_pieces over 2^20');
  let r = 24n;
  if (kind === 2) {
    for (let i = 0; i < nPieces; i++) {
      if (L - r < 8n) reject('E_TOK_TRUNCATED', T + L, `piece ${i} truncated`);
      const len = BigInt(u32(T + r + 4n));
      if (len === 0n || len > 1024n) reject('E_TOK_PIECE_LENGTH', T + r + 4n, `piece ${i} length ${len}`);
      if (L - r - 8n < len) reject('E_TOK_TRUNCATED', T + L, `piece ${i} truncated`);
      r += 8n + len;
    }
  }
  if (r !== L) reject('E_TOK_TRAILING', T + r, 'bytes after the last piece');

  // 21-34: directory, per entry
  const names = new Set();
  let P = 0n;
  const ends = [];
  for (let i = 0; i < tensorCount; i++) {
    const E = D + 128n * BigInt(i);
    const nl = u16(E);
    if (nl === 0 || nl > 62) reject('E_TENSOR_NAME', E, `name_length ${nl}`);
    for (let k = 0; k < 62; k++) {
      const c = b[Number(E) + 2 + k];
      if (k < nl ? !isNameByte(c) : c !== 0) reject('E_TENSOR_NAME', E + 2n + BigInt(k), 'bad name byte');
    }
    const name = b.toString('latin1', Number(E) + 2, Number(E) + 2 + nl);
    if (names.has(name)) reject('E_TENSOR_DUPLICATE', E + 2n, `duplicate name ${name}`);
    names.add(name);
    const dtype = u32(E + 64n);
    if (!(dtype in DTYPES)) reject('E_TENSOR_DTYPE', E + 64n, `dtype ${dtype}`);
    const rank = u32(E + 68n);
    if (rank === 0 || rank > 4) reject('E_TENSOR_RANK', E + 68n, `rank ${rank}`);
    const dims = [0, 1, 2, 3].map((k) => u64(E + 72n + 8n * BigInt(k)));
    for (let k = 0; k < 4; k++) {
      if ((k < rank) !== (dims[k] !== 0n)) reject('E_TENSOR_SHAPE', E + 72n + 8n * BigInt(k), `dims[${k}]`);
    }
    const n = dims.slice(0, rank).reduce((a, x) => a * x, 1n);  // BigInt: exact, never wraps
    if (n > 1n << 40n) reject('E_LIMIT_TENSOR_SIZE', E + 72n, 'more than 2^40 elements');
    if (dtype !== 0 && dims[rank - 1] % 32n !== 0n) reject('E_TENSOR_BLOCK', E + 72n + 8n * BigInt(rank - 1), 'not whole blocks');
    const byteSize = u64(E + 112n);
    if (byteSize !== bytesOf(dtype, n)) reject('E_TENSOR_BYTE_SIZE', E + 112n, 'byte_size');
    if (u64(E + 120n) !== 0n) reject('E_TENSOR_RESERVED', E + 120n, 'reserved entry word');
    const offset = u64(E + 104n);
    if (offset % 64n !== 0n) reject('E_TENSOR_ALIGN', E + 104n, 'offset not a multiple of 64');
    if (offset + byteSize > DATA) reject('E_TENSOR_RANGE', E + 104n, 'past the data section');
    if (offset < P) reject('E_TENSOR_OVERLAP', E + 104n, 'overlaps the previous tensor');
    if (offset !== align64(P)) reject('E_TENSOR_GAP', E + 104n, 'gap before the tensor');
    P = offset + byteSize;
    ends.push([offset, P]);
  }
  if (DATA !== align64(P)) reject('E_DATA_LENGTH', 176, 'data_length');

  // 35: padding, lowest byte first; 36: checksum
  const pads = [[T + L, D]];
  ends.forEach(([, end], i) => pads.push([DO + end, DO + (i + 1 < ends.length ? ends[i + 1][0] : DATA)]));
  for (const [lo, hi] of pads) {
    for (let o = Number(lo); o < Number(hi); o++) if (b[o] !== 0) reject('E_LAYOUT_PADDING', o, 'non-zero padding');
  }
  const sealed = Buffer.from(b);
  sealed.fill(0, 24, 32);
  if (xxh64(sealed) !== u64(24)) reject('E_FILE_CHECKSUM', 24, 'checksum mismatch');
}

// The required tensors of format.md 8.3, in canonical order.
function requiredTensors(h) {
  const kv = (h.dim / h.nHeads) * h.nKvHeads;
  const req = [['tok_embeddings.weight', [h.vocabSize, h.dim], false]];
  for (let l = 0; l < h.nLayers; l++) {
    const p = `layers.${l}.`;
    req.push([`${p}attention_norm.weight`, [h.dim], true], [`${p}attention.wq.weight`, [h.dim, h.dim], false],
      [`${p}attention.wk.weight`, [kv, h.dim], false], [`${p}attention.wv.weight`, [kv, h.dim], false],
      [`${p}attention.wo.weight`, [h.dim, h.dim], false], [`${p}ffn_norm.weight`, [h.dim], true],
      [`${p}feed_forward.w1.weight`, [h.hiddenDim, h.dim], false],
      [`${p}feed_forward.w2.weight`, [h.dim, h.hiddenDim], false],
      [`${p}feed_forward.w3.weight`, [h.hiddenDim, h.dim], false]);
  }
  req.push(['norm.weight', [h.dim], true]);
  if (h.flags & 1) req.push(['output.weight', [h.vocabSize, h.dim], false]);
  return req;
}

// Checks 37-50 on the Kaitai tree of a file that passed 1-36.
function checkSemantics(b, m, verifyDigest) {
  const h = m.header, tok = m.tokenizer;
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const T = 256;

  // 37: hyperparameters (format.md 8.1), conditions in order
  const hp = [['vocabSize', 64], ['dim', 68], ['hiddenDim', 72], ['nLayers', 76], ['nHeads', 80], ['nKvHeads', 84], ['maxSeqLen', 88]];
  for (const [k, at] of hp) if (h[k] === 0) reject('E_HPARAM_INVALID', at, `${k} is zero`);
  if (h.dim % h.nHeads !== 0) reject('E_HPARAM_INVALID', 80, 'n_heads does not divide dim');
  if ((h.dim / h.nHeads) % 2 !== 0) reject('E_HPARAM_INVALID', 80, 'odd head dimension');
  if (h.nKvHeads > h.nHeads || h.nHeads % h.nKvHeads !== 0) reject('E_HPARAM_INVALID', 84, 'n_kv_heads');
  // NaN, infinities, zeros and negatives all fail "finite and > 0"
  if (!(h.normEps > 0 && Number.isFinite(h.normEps))) reject('E_HPARAM_INVALID', 92, 'norm_eps');
  if (!(h.ropeTheta > 0 && Number.isFinite(h.ropeTheta))) reject('E_HPARAM_INVALID', 96, 'rope_theta');

  // 38-42: tokenizer semantics
  const bpe = tok.kind === 2;
  if ((!bpe && tok.nPieces !== 259) || (bpe && tok.nPieces < 259) || tok.nPieces !== h.vocabSize) {
    reject('E_TOK_VOCAB', T + 8, 'n_pieces');
  }
  if (tok.bosId >= 3) reject('E_TOK_SPECIAL', T + 12, 'bos_id');
  if (tok.eosId >= 3 || tok.eosId === tok.bosId) reject('E_TOK_SPECIAL', T + 16, 'eos_id');
  if (bpe) {
    const recordAt = [];
    let r = T + 24;
    for (const piece of tok.pieces) {
      recordAt.push(r);
      r += 8 + piece.length;
    }
    const text = (i) => Buffer.from(tok.pieces[i].bytes).toString('latin1');
    for (let v = 0; v < 256; v++) {
      const want = `<0x${v.toString(16).toUpperCase().padStart(2, '0')}>`;
      if (text(3 + v) !== want) reject('E_TOK_BYTE_PIECES', recordAt[3 + v], `piece ${3 + v}`);
    }
    tok.pieces.forEach((p, i) => Number.isFinite(p.score) || reject('E_TOK_SCORE', recordAt[i], `score ${i}`));
    const seen = new Set();
    for (let i = 0; i < tok.pieces.length; i++) {
      const t = text(i);
      if (seen.has(t)) reject('E_TOK_DUPLICATE', recordAt[i], `piece ${i} repeats an earlier one`);
      seen.add(t);
    }
  }

  // 43-46: the architecture's required tensors
  const req = requiredTensors(h);
  if (h.tensorCount !== req.length) reject('E_MODEL_TENSOR_COUNT', 112, 'tensor_count');
  m.directory.forEach((e, i) => {
    const E = h.directoryOffset + 128 * i;
    const [name, shape, norm] = req[i];
    if (e.name !== name) reject('E_MODEL_TENSOR_NAME', E, `entry ${i} is ${e.name}, not ${name}`);
    if (e.rank !== shape.length || e.dims.some((d, k) => d !== shape[k])) reject('E_MODEL_TENSOR_SHAPE', E + 68, `shape of ${name}`);
    if (norm && e.dtype !== 0) reject('E_MODEL_TENSOR_DTYPE', E + 64, `${name} must be f32`);
  });

  // 47-50: identity (u64 fields exact, from the bytes)
  const paramSum = m.directory.reduce((a, e) => a + e.dims.reduce((x, d) => x * BigInt(d), 1n), 0n);
  if (paramSum !== dv.getBigUint64(104, true)) reject('E_ID_PARAM_COUNT', 104, 'parameter_count');
  const dir = b.subarray(h.directoryOffset, h.directoryOffset + h.directoryLength);
  if (xxh64(dir) !== dv.getBigUint64(120, true)) reject('E_ID_LAYOUT_CHECKSUM', 120, 'layout_checksum');
  const tsec = b.subarray(h.tokenizerOffset, h.tokenizerOffset + h.tokenizerLength);
  if (xxh64(tsec) !== dv.getBigUint64(128, true)) reject('E_ID_TOKENIZER_CHECKSUM', 128, 'tokenizer_checksum');
  if (verifyDigest) {
    const sealed = Buffer.from(b);
    sealed.fill(0, 24, 64);
    const digest = crypto.createHash('sha256').update(sealed).digest();
    if (!digest.equals(Buffer.from(h.contentDigest))) reject('E_ID_DIGEST', 32, 'content digest');
  }
  return {
    identity: {
      parameter_count: Number(dv.getBigUint64(104, true)),
      tensor_count: h.tensorCount,
      flags: h.flags,
      layout_checksum: hex64(dv.getBigUint64(120, true)),
      tokenizer_checksum: hex64(dv.getBigUint64(128, true)),
      content_digest: Buffer.from(h.contentDigest).toString('hex'),
    },
    tensors: m.directory.map((e, i) => ({
      name: e.name,
      dtype: DTYPES[e.dtype],
      shape: e.dims,
      sha256: crypto.createHash('sha256').update(m.tensors[i].body).digest('hex'),
    })),
  };
}

// ---- adapters (spec/adapters.md), checks A1-A36 ------------------------------------------------
const ADAPTER_MAGICS = ['ADP1', 'ASP1', 'ALR1'];

// A1-A21 on the raw bytes, in the order of adapters.md 6.1; returns the kind and where each entry
// and its payload start (the walk).
function checkAdapterStructure(b) {
  const size = BigInt(b.length);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const u32 = (o) => dv.getUint32(Number(o), true);
  const u64 = (o) => dv.getBigUint64(Number(o), true);

  for (let i = 0; i < Math.min(b.length, 4); i++) {
    const prefix = b.toString('latin1', 0, i + 1);
    if (!ADAPTER_MAGICS.some((m) => m.startsWith(prefix))) reject('E_ADP_MAGIC', i, 'not ADP1, ASP1 or ALR1');
  }
  if (b.length >= 8 && u32(4) !== 1) reject('E_ADP_VERSION', 4, `version ${u32(4)}`);
  if (b.length < 192) reject('E_ADP_HDR_TRUNCATED', size, 'shorter than the adapter header');
  if (u32(8) !== 192) reject('E_ADP_HDR_LENGTH', 8, 'header_length is not 192');
  const fileLength = u64(16);
  if (fileLength > 1n << 48n) reject('E_ADP_LIMIT_FILE_SIZE', 16, 'file_length over 2^48');
  if (size < fileLength) reject('E_ADP_FILE_TRUNCATED', size, 'shorter than file_length');
  if (size > fileLength) reject('E_ADP_FILE_TRAILING', fileLength, 'longer than file_length');
  if (u32(12) !== 0) reject('E_ADP_FLAGS', 12, 'flags are not zero');
  for (let i = 132; i < 192; i++) if (b[i] !== 0) reject('E_ADP_RESERVED', i, 'reserved header byte');
  const count = u32(128);
  if (count > 16384) reject('E_ADP_LIMIT_ENTRY_COUNT', 128, 'entry_count over 16384');
  if (count === 0) reject('E_ADP_NO_ENTRIES', 128, 'no entries');
  const kind = b.toString('latin1', 0, 4);

  const walk = [];
  let E = 192n;
  for (let i = 0; i < count; i++) {
    if (fileLength - E < 128n) reject('E_ADP_ENTRY_TRUNCATED', fileLength, `entry ${i} header truncated`);
    const ndims = u32(E + 68n);
    if (ndims === 0 || ndims > 4 || (kind === 'ALR1' && ndims !== 2)) reject('E_ADP_ENTRY_NDIMS', E + 68n, `ndims ${ndims}`);
    const dims = [0, 1, 2, 3].map((k) => u64(E + 72n + 8n * BigInt(k)));
    for (let k = 0; k < 4; k++) {
      if ((k < ndims) !== (dims[k] !== 0n)) reject('E_ADP_ENTRY_SHAPE', E + 72n + 8n * BigInt(k), `dims[${k}]`);
    }
    const n = dims.slice(0, ndims).reduce((a, x) => a * x, 1n);
    if (n > 1n << 40n) reject('E_ADP_LIMIT_ELEMENTS', E + 72n, 'more than 2^40 elements');
    const reserved = [[E + 64n, E + 68n], [kind === 'ADP1' ? E + 104n : E + 112n, E + 128n]];
    for (const [lo, hi] of reserved) {
      for (let o = lo; o < hi; o++) if (b[Number(o)] !== 0) reject('E_ADP_ENTRY_RESERVED', o, 'reserved entry byte');
    }
    const nnz = u64(E + 104n);
    if (kind === 'ASP1' && (nnz === 0n || nnz > n)) reject('E_ADP_SPARSE_COUNT', E + 104n, `nnz ${nnz}`);
    const P = E + 128n;
    const rank = BigInt(u32(E + 104n));
    const p = kind === 'ADP1' ? 4n * n : kind === 'ASP1' ? 12n * nnz : 4n * rank * (dims[0] + dims[1]);
    if (p > fileLength - P) reject('E_ADP_PAYLOAD_TRUNCATED', fileLength, `entry ${i} payload past the end`);
    walk.push({ E: Number(E), P: Number(P), n });
    E = P + p;
  }
  if (E !== fileLength) reject('E_ADP_ENTRY_TRAILING', E, 'bytes after the last entry');

  const forChecksum = Buffer.from(b);
  forChecksum.fill(0, 24, 32);
  if (xxh64(forChecksum) !== u64(24)) reject('E_ADP_CHECKSUM', 24, 'checksum mismatch');
  const forDigest = Buffer.from(b);
  forDigest.fill(0, 24, 64);
  if (!crypto.createHash('sha256').update(forDigest).digest().equals(b.subarray(32, 64))) {
    reject('E_ADP_DIGEST', 32, 'adapter digest mismatch');
  }
  return { kind, walk };
}

// A22-A28 on the Kaitai tree, then A29-A36 against the parent (its bytes and tree).
function checkAdapterSemantics(b, tree, kind, walk, parent) {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const u64 = (o) => dv.getBigUint64(o, true);
  let previous = null;
  tree.entries.forEach((e, i) => {
    const { E, P, n } = walk[i];
    if (e.nameLength === 0 || e.nameLength > 62) reject('E_ADP_ENTRY_NAME', E, `name_length ${e.nameLength}`);
    for (let k = 0; k < 62; k++) {
      const c = b[E + 2 + k];
      if (k < e.nameLength ? !isNameByte(c) : c !== 0) reject('E_ADP_ENTRY_NAME', E + 2 + k, 'bad name byte');
    }
    const name = b.subarray(E + 2, E + 2 + e.nameLength);
    if (previous && Buffer.compare(name, previous) <= 0) reject('E_ADP_ENTRY_ORDER', E + 2, 'names not ascending');
    previous = name;
    const values = [];  // [offset, f32] in file order, for A28
    if (kind === 'ALR1') {
      const { rank, alpha } = e.kindFields;
      if (rank === 0 || rank > Math.min(e.dims[0], e.dims[1])) reject('E_ADP_LORA_RANK', E + 104, `rank ${rank}`);
      if (alpha === 0 || !Number.isFinite(alpha)) reject('E_ADP_LORA_ALPHA', E + 108, `alpha ${alpha}`);
      [...e.payload.a, ...e.payload.b].forEach((v, k) => values.push([P + 4 * k, v]));
    } else if (kind === 'ASP1') {
      e.payload.pairs.forEach((pair, j) => {
        const index = u64(P + 12 * j);  // exact: the tree holds a double
        if (index >= n) reject('E_ADP_SPARSE_RANGE', P + 12 * j, `index ${index}`);
        if (j > 0 && index <= u64(P + 12 * (j - 1))) reject('E_ADP_SPARSE_ORDER', P + 12 * j, 'indices not ascending');
        values.push([P + 12 * j + 8, pair.value]);
      });
    } else {
      e.payload.values.forEach((v, k) => values.push([P + 4 * k, v]));
    }
    for (const [at, v] of values) if (!Number.isFinite(v)) reject('E_ADP_VALUE_NONFINITE', at, 'non-finite value');
  });

  // A29-A34: the binding, coarse to fine; the parent's u64 fields exact from its bytes
  const pb = parent.bytes, pdv = new DataView(pb.buffer, pb.byteOffset, pb.length);
  const bind = [
    ['E_ADP_PARENT_PARAM_COUNT', 64, u64(64) === pdv.getBigUint64(104, true)],
    ['E_ADP_PARENT_TENSOR_COUNT', 72, dv.getUint32(72, true) === pdv.getUint32(112, true)],
    ['E_ADP_PARENT_FLAGS', 76, dv.getUint32(76, true) === pdv.getUint32(12, true)],
    ['E_ADP_PARENT_LAYOUT', 80, u64(80) === pdv.getBigUint64(120, true)],
    ['E_ADP_PARENT_TOKENIZER', 88, u64(88) === pdv.getBigUint64(128, true)],
    ['E_ADP_PARENT_DIGEST', 96, b.subarray(96, 128).equals(pb.subarray(32, 64))],
  ];
  for (const [code, at, same] of bind) if (!same) reject(code, at, 'bound to another parent');

  // A35-A36, per entry
  const targets = new Map(parent.tree.directory.map((t) => [t.name, t.dims]));
  tree.entries.forEach((e, i) => {
    const { E } = walk[i];
    const dims = targets.get(e.name);
    if (!dims) reject('E_ADP_TARGET_MISSING', E + 2, `no tensor ${e.name}`);
    if (dims.length !== e.ndims || dims.some((d, k) => d !== e.dims[k])) reject('E_ADP_TARGET_SHAPE', E + 68, `shape of ${e.name}`);
  });
}

// ---- one verdict: {accepted, ...} or {errored: message} ----------------------------------------
const parsers = {};

function read(file) {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Reject('E_IO_READ', null, `${file}: ${err.code || err.message}`);
  }
}

function kaitai(Parser, b, what) {
  try {
    return new Parser(new KaitaiStream(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));
  } catch (err) {
    throw new Error(`${what} passed the checks above but the Kaitai parser rejects it: ${err.message}`);
  }
}

function verdict(fn) {
  try {
    return { accepted: true, ...fn() };
  } catch (err) {
    if (err instanceof Reject) return { accepted: false, code: err.code, offset: err.offset, message: err.message };
    return { errored: err.message };
  }
}

function validateModel(file, verifyDigest) {
  const bytes = read(file);
  checkStructure(bytes);
  const tree = kaitai(parsers.Slm1, bytes, 'a model that');
  return { bytes, tree, ...checkSemantics(bytes, tree, verifyDigest) };
}

function validate(file, verifyDigest) {
  return verdict(() => {
    const { identity, tensors } = validateModel(file, verifyDigest);
    return { identity, tensors };
  });
}

// The parent is fully validated first (check 50 included); its rejection is the answer.
function validateAdapter(file, parentFile) {
  return verdict(() => {
    const parent = validateModel(parentFile, true);
    const bytes = read(file);
    const { kind, walk } = checkAdapterStructure(bytes);
    const tree = kaitai(parsers.SlmAdapter, bytes, 'an adapter that');
    checkAdapterSemantics(bytes, tree, kind, walk, parent);
    return {};
  });
}

// ---- protocol (spec/protocol.md section 4) ---------------------------------------------------
function answer(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function speak() {
  answer({ type: 'hello', protocol: 'slm-conform/1', name: 'node-validator', version: '1',
    spec_version: '1', capabilities: ['validate', 'validate_adapter'] });
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      return answer({ seq: null, status: 'errored', message: 'E_PROTOCOL_LINE: not JSON' });
    }
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      return answer({ seq: null, status: 'errored', message: 'E_PROTOCOL_LINE: not a JSON object' });
    }
    if (req.op === 'bye') {
      rl.close();
      return;
    }
    const seq = Number.isSafeInteger(req.seq) && req.seq >= 0 ? req.seq : null;
    if (seq === null) return answer({ seq: null, status: 'errored', message: 'E_PROTOCOL_LINE: no readable seq' });
    if (req.op !== 'validate' && req.op !== 'validate_adapter') {
      return answer({ seq, status: 'skipped', reason: `${req.op} is not implemented` });
    }
    const bad = typeof req.path !== 'string' ||
      (req.op === 'validate' && req.verify_digest !== undefined && typeof req.verify_digest !== 'boolean') ||
      (req.op === 'validate_adapter' && typeof req.parent !== 'string');
    if (bad) return answer({ seq, status: 'errored', message: 'E_PROTOCOL_LINE: a field has the wrong type' });
    const v = req.op === 'validate' ? validate(req.path, req.verify_digest === true) : validateAdapter(req.path, req.parent);
    if (v.errored) return answer({ seq, status: 'errored', message: v.errored });
    return answer({ seq, status: 'ok', ...v });
  });
  rl.on('close', () => process.exit(0));
}

function oneShot(args) {
  const digest = args[0] === '--digest';
  const files = digest ? args.slice(1) : args;
  if (files.length !== 1) {
    console.error('usage: slm_validate.js [--digest] FILE   (no argument: speak the protocol)');
    process.exit(3);
  }
  const v = validate(files[0], digest);
  if (v.errored) {
    console.error(v.errored);
    process.exit(3);
  }
  console.log(JSON.stringify(v.accepted ? { identity: v.identity, tensors: v.tensors }
    : { code: v.code, offset: v.offset, message: v.message }));
  process.exit(v.accepted ? 0 : v.code === 'E_IO_READ' ? 2 : 1);
}

Promise.all([loadParser('slm1.ksy'), loadParser('slm_adapter.ksy')]).then(([Slm1, SlmAdapter]) => {
  Object.assign(parsers, { Slm1, SlmAdapter });
  const args = process.argv.slice(2);
  if (args.length === 0) speak();
  else oneShot(args);
}).catch((err) => {
  console.error(err.stack || String(err));
  process.exit(3);
});
