// The site kit's page (index.html): shows every file of the kit `slm site-kit` writes and runs the
// seed's run_local_descendant_experiment live through the WASM ABI (slm.mjs over slm_wasm.wasm):
// load the parent, validate and apply the sparse fix, run the eval set, stream, read diagnostics,
// then recompute every value the release packet claims and show that they are equal. It fetches
// only the kit's own files. Everything it computes is also written as JSON into <pre id="results">,
// which tests/site/test_site.py reads and checks against packet.json and the native `slm`.
import { instantiate, SlmError } from './slm.mjs';

const PARENT = 'packages/parent.slm';
const ADAPTER = 'adapters/fix-sparse.asp';
const TAMPERED = 'adapters/fix-sparse.tampered.asp';
const DESCENDANT = 'packages/descendant-sparse.slm';
const SET = 'eval/hello.jsonl';
const POLICY = 'eval/policy.json';
const PARENT_SIDECAR = 'evidence/parent.sidecar.json';
const CHILD_SIDECAR = 'evidence/descendant-sparse.sidecar.json';
const PACKAGES = ['parent', 'descendant-sparse', 'descendant-dense', 'descendant-low-rank'];
const ADAPTERS = [['sparse', 'asp'], ['dense', 'adp'], ['low-rank', 'alr']];
const KEYS = { builder: 'keys/DEMO-builder.pub', reviewer: 'keys/DEMO-reviewer.pub' };

// ---------------------------------------------------------------- small helpers
const $ = (id) => document.getElementById(id);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));  // lets the page redraw between tokens
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};
const badge = (kind, text) => el('span', { class: `badge ${kind}`, text });
const yesNo = (ok, yes = 'PASS', no = 'FAIL') => badge(ok ? 'pass' : 'fail', ok ? yes : no);
const fmtBytes = (n) => `${Number(n).toLocaleString('en-US')} B`;
const fmtKiB = (n) => (n >= 1024 * 1024 ? `${(n / 1048576).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const short = (h) => (typeof h === 'string' && h.length > 24 ? `${h.slice(0, 12)}…${h.slice(-6)}` : String(h));
const hashEl = (h, cls = 'hash') => el('span', { class: cls, title: String(h), text: short(h) });
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
/** The shortest decimal that reads back as the same f32 (norm_eps 1e-5, not 0.0000099999997...). */
const f32 = (v) => {
  if (typeof v !== 'number' || Number.isInteger(v)) return String(v);
  for (let p = 1; p <= 17; p++) { const s = Number(v.toPrecision(p)); if (Math.fround(s) === Math.fround(v)) return String(s); }
  return String(v);
};
const sha256 = async (bytes) => hex(await crypto.subtle.digest('SHA-256', bytes));
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const utf8 = new TextEncoder();
/** JSON with sorted keys: equality of values whatever order a producer wrote keys in. */
const canon = (v) => (Array.isArray(v) ? `[${v.map(canon).join(',')}]`
  : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}` : JSON.stringify(v));
const same = (a, b) => a !== undefined && canon(a) === canon(b);
const kv = (target, pairs) => {
  target.replaceChildren(...pairs.flatMap(([k, v]) => [el('span', { class: 'k', text: k }), v instanceof Node ? el('span', { class: 'v' }, v) : el('span', { class: 'v', text: String(v) })]));
  return target;
};

const cache = new Map();
async function fetchBytes(path) {
  if (!cache.has(path)) {
    cache.set(path, (async () => {
      const response = await fetch(path);
      if (!response.ok) throw new Error(`fetch ${path}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    })());
  }
  return cache.get(path);
}
const fetchText = async (path) => new TextDecoder().decode(await fetchBytes(path));
const fetchJSON = async (path) => JSON.parse(await fetchText(path));

// ---------------------------------------------------------------- results and claims
const results = { ok: false, done: false, errors: [], steps: {}, computed: {}, comparisons: [], notes: [] };
const publish = () => { $('results').textContent = JSON.stringify(results, null, 2); };
const claims = {};
function claim(id, passed, note = '') {
  claims[id] = passed;
  const row = document.querySelector(`#claims [data-claim="${id}"]`);
  const b = row.querySelector('.badge');
  b.className = `badge ${passed ? 'pass' : 'fail'}`;
  b.textContent = passed ? 'PASS' : 'FAIL';
  row.querySelector('.note').textContent = note;
}

// ---------------------------------------------------------------- the live steps
const STEPS = [
  [1, 'Load the parent, digest verified', 'rt.load(parent, { verifyDigest: true })'],
  [2, 'Validate the sparse fix against the parent', 'rt.validateAdapter(fix-sparse.asp)'],
  [3, 'Apply it: the descendant', 'rt.applyAdapters([fix-sparse.asp])'],
  [4, 'Run the eval set, the parent\'s sidecar as baseline', 'rt.evalSet(hello.jsonl, { policy, baseline })'],
  [5, 'Stream the set\'s prompts, read the diagnostics', 'rt.stream(…) · rt.diagnostics()'],
  [6, 'Build the packet: recompute what it claims', 'crypto.subtle.digest · rt.modelInfo()'],
  [7, 'Refuse the tampered adapter', 'rt.validateAdapter(fix-sparse.tampered.asp)'],
  [8, 'Roll back to the parent', 'rt.rollback()'],
];
function buildSteps() {
  $('steps').replaceChildren(...STEPS.map(([n, title, call]) => el('div', { class: 'step wait', id: `step-${n}` },
    el('div', { class: 'step-head' }, el('span', { class: 'n', text: String(n) }), el('h3', { text: title }), el('code', { class: 'call', text: call }), badge('pending', 'WAITING')),
    el('div', { class: 'step-body' }))));
}
function stepStart(n) {
  const s = $(`step-${n}`);
  s.classList.remove('wait');
  s.querySelector('.step-head .badge').replaceWith(badge('info', 'RUNNING'));
  for (const l of document.querySelectorAll('#pseudo .l')) l.classList.toggle('active', l.dataset.step === String(n));
  return s.querySelector('.step-body');
}
function stepEnd(n, ok, label) {
  const s = $(`step-${n}`);
  s.classList.add(ok ? 'ok' : 'bad');
  s.querySelector('.step-head .badge').replaceWith(yesNo(ok, label ?? 'OK', label ?? 'FAILED'));
  for (const l of document.querySelectorAll(`#pseudo .l[data-step="${n}"]`)) { l.classList.remove('active'); l.classList.add(ok ? 'done' : 'failed'); }
}

function lineageChain(target, lineage) {
  const node = (label, digest, cls) => el('div', { class: `node ${cls}`, title: digest }, el('span', { class: 'k', text: label }), el('span', { class: 'hash', text: short(digest) }));
  const parts = [node('parent content digest', lineage.parent_digest, 'model')];
  for (const s of lineage.steps) {
    parts.push(el('span', { class: 'arrow', text: '→' }), node(`${s.kind} adapter`, s.adapter_digest, 'adapter'),
      el('span', { class: 'arrow', text: '→' }), node('descendant', s.descendant_digest, 'desc'));
  }
  target.replaceChildren(...parts);
  return target;
}

function chip(token, text, stopReason) {
  const eos = stopReason === 'eos' && text === '';
  const shown = eos ? '⟨eos⟩' : text.replace(/ /g, '␣').replace(/\n/g, '⏎') || '∅';
  return el('span', { class: `chip${eos ? ' eos' : ''}` }, el('span', { class: 'piece', text: shown }), el('span', { class: 'id', text: String(token) }));
}

async function streamInto(rt, prompt, maxTokens, chips, answer) {
  const tokens = [];
  let text = '';
  let stopReason = null;
  for (const step of rt.stream(prompt, { maxTokens })) {
    if (step.token !== null) { tokens.push(step.token); chips.append(chip(step.token, step.text, step.done ? step.stopReason : null)); }
    text += step.text;
    stopReason = step.stopReason;
    answer.textContent = JSON.stringify(text);
    await tick();  // zero-delay: each token is drawn as it comes (headless virtual time does not stall)
  }
  return { prompt, max_tokens: maxTokens, tokens, text, stop_reason: stopReason };
}

function refusalCard(e, extra = []) {
  return el('div', { class: 'refusal' },
    el('div', { class: 'verdict' }, badge('fail', 'REFUSED'), el('span', { class: 'code', text: e.codeName })),
    kv(el('div', { class: 'kv' }), [['rule', e.rule], ['offset', e.offset === null ? '—' : String(e.offset)], ...extra, ['message', e.detail]]));
}

// ---------------------------------------------------------------- Ed25519 (WebCrypto) and DSSE
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
function pae(type, payload) {
  const t = utf8.encode(type);
  const head = utf8.encode(`DSSEv1 ${t.length} ${type} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head); out.set(payload, head.length);
  return out;
}
function pemBody(pem) { return b64(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')); }
async function loadPublicKey(path) {
  const spki = pemBody(await fetchText(path));
  const raw = spki.slice(spki.length - 32);
  const keyid = await sha256(raw);
  let key = null;
  try { key = await crypto.subtle.importKey('spki', spki, { name: 'Ed25519' }, false, ['verify']); } catch { key = null; }
  return { path, keyid, key };
}
/** Each signature of an envelope: keyid, whether it names a given key, whether it verifies (null: no WebCrypto Ed25519). */
async function verifyEnvelope(envelope, keys) {
  const payload = b64(envelope.payload);
  const message = pae(envelope.payloadType, payload);
  const out = [];
  for (const s of envelope.signatures) {
    const k = keys.find((x) => x.keyid === s.keyid);
    let valid = null;
    if (k && k.key) { try { valid = await crypto.subtle.verify({ name: 'Ed25519' }, k.key, b64(s.sig), message); } catch { valid = null; } }
    out.push({ keyid: s.keyid, key: k ? k.path : null, valid: k ? valid : false });
  }
  return { payload, statement: JSON.parse(new TextDecoder().decode(payload)), payload_type_ok: envelope.payloadType === PAYLOAD_TYPE, signatures: out };
}

// ---------------------------------------------------------------- the kit's static parts
function packageCard(pkg, packet) {
  const isParent = pkg.lineage === null;
  const by = pkg.tensors_by_dtype;
  const tensorTable = el('table', {}, el('thead', {}, el('tr', {}, ...['name', 'dtype', 'shape', 'bytes'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...pkg.tensors.map((t) => el('tr', {}, el('td', { class: 'mono', text: t.name }), el('td', { text: t.dtype }), el('td', { class: 'mono', text: t.shape.join(' × ') }), el('td', { text: fmtBytes(t.byte_size) })))));
  const inPacket = packet && (pkg.sha256 === packet.predicate.parent.sha256 ? 'the packet\'s parent' : pkg.sha256 === packet.subject[0].digest.sha256 ? 'the packet\'s subject' : null);
  const hp = pkg.hyperparameters;
  return el('div', { class: 'card' },
    el('div', { class: 'card-head' }, el('h3', { class: 'mono', text: pkg.file }), el('span', { class: 'grow' }),
      inPacket ? badge('info', inPacket.toUpperCase()) : null, badge(isParent ? 'warn' : 'pass', isParent ? 'PARENT · 2+2=5' : `DESCENDANT · ${pkg.lineage.steps.map((s) => s.kind).join(' + ')}`)),
    pkg.description ? el('p', { class: 'muted', text: pkg.description }) : null,
    el('div', { class: 'stats', style: 'margin:6px 0' },
      el('div', { class: 'stat' }, el('span', { class: 'k', text: 'file size' }), el('span', { class: 'v', text: fmtKiB(pkg.file_bytes) })),
      el('div', { class: 'stat' }, el('span', { class: 'k', text: 'parameters' }), el('span', { class: 'v', text: pkg.identity.parameter_count.toLocaleString('en-US') })),
      el('div', { class: 'stat' }, el('span', { class: 'k', text: 'tensors' }), el('span', { class: 'v', text: String(pkg.identity.tensor_count) }))),
    el('h4', { text: 'Identity' }),
    kv(el('div', { class: 'kv' }), [['content digest', hashEl(pkg.identity.content_digest)], ['file SHA-256', hashEl(pkg.sha256)],
      ['layout checksum', pkg.identity.layout_checksum], ['tokenizer checksum', pkg.identity.tokenizer_checksum], ['flags', pkg.identity.flags]]),
    el('h4', { text: 'Hyperparameters' }),
    el('div', { class: 'pills' }, ...Object.entries(hp).map(([k, v]) => el('span', { class: 'pill' }, `${k} `, el('b', { text: String(v) })))),
    el('h4', { text: 'Tensors by dtype' }),
    el('div', { class: 'pills' }, ...Object.entries(by).map(([k, v]) => el('span', { class: `pill${v ? '' : ' zero'}` }, `${k} `, el('b', { text: String(v) })))),
    isParent ? null : el('div', {}, el('h4', { text: 'Lineage' }), lineageChain(el('div', { class: 'chain' }), pkg.lineage)),
    el('details', {}, el('summary', { text: `all ${pkg.tensors.length} tensors` }), tensorTable));
}

function adapterCard(m, parentPkg, packet) {
  const binds = m.parent_identity.content_digest === parentPkg.identity.content_digest;
  const inPacket = packet && packet.predicate.stack.some((s) => s.sha256 === m.sha256);
  return el('div', { class: 'card' },
    el('div', { class: 'card-head' }, el('h3', { class: 'mono', text: m.file }), el('span', { class: 'grow' }), inPacket ? badge('info', 'IN THE PACKET') : null, badge('info', m.kind.toUpperCase())),
    kv(el('div', { class: 'kv' }), [['file size', fmtBytes(m.file_bytes)], ['file SHA-256', hashEl(m.sha256)], ['content digest', hashEl(m.content_digest)],
      ['bound to', el('span', {}, hashEl(m.parent_identity.content_digest), ' ', binds ? badge('pass', 'PARENT') : badge('fail', 'OTHER'))]]),
    el('h4', { text: 'Targets' }),
    el('table', {}, el('tbody', {}, ...m.targets.map((t) => el('tr', {}, el('td', { class: 'mono', text: t.name }), el('td', { class: 'mono', text: t.shape.join(' × ') }),
      el('td', { text: t.nnz !== undefined ? `${t.nnz} weights` : t.rank !== undefined ? `rank ${t.rank}` : 'dense' }))))));
}

function sidecarCard(title, sidecar, file) {
  const r = sidecar.reproducible;
  const g = r.gate;
  return el('div', { class: 'card soft' },
    el('div', { class: 'card-head' }, el('h3', { text: title }), el('span', { class: 'grow' }), yesNo(g.passed, 'GATE PASSES', 'GATE FAILS')),
    el('p', { class: 'muted mono', text: file }),
    kv(el('div', { class: 'kv' }), [['model', hashEl(r.model.identity.content_digest)], ['adapters', r.model.adapters.length ? r.model.adapters.map(short).join(', ') : 'none'],
      ['passed', `${r.totals.passed} / ${r.totals.cases}`], ['baseline', r.baseline ? hashEl(r.baseline) : 'none'],
      ['reproducible digest', hashEl(sidecar.reproducible_digest)], ['runtime', `${sidecar.measured.runtime.name} ${sidecar.measured.runtime.version}`]]),
    g.reasons.length ? el('ul', { class: 'reasons' }, ...g.reasons.map((x) => el('li', { text: x }))) : el('p', { class: 'muted', text: 'no reasons: every rule of the policy holds' }));
}

function reportView(title, report, file) {
  const checks = el('div', { class: 'checks' }, ...report.checks.map((c) => el('div', { class: `check${c.passed ? '' : ' failed'}` },
    el('div', { class: 'verdict', style: 'margin:0' }, c.passed ? badge('pass', '✓') : badge('fail', '✗'), el('span', { class: 'nm', text: c.check })),
    el('div', { class: 'cd', text: c.code }), c.detail ? el('div', { class: 'dt', text: c.detail }) : null)));
  return el('div', { class: 'card' },
    el('div', { class: 'card-head' }, el('h3', { text: title }), el('span', { class: 'grow' }),
      report.verified ? badge('pass', 'VERIFIED') : badge('fail', `FAILED · ${report.code}`)),
    el('p', { class: 'muted mono', text: file }),
    kv(el('div', { class: 'kv' }), [['packet digest', hashEl(report.packet_digest)],
      ['signatures', report.signatures.map((s) => `${short(s.keyid)} ${s.trusted ? 'trusted' : 'untrusted'}, ${s.valid ? 'valid' : 'invalid'}`).join('; ') || 'none'],
      ['reviews', report.reviews.map((r) => `${r.decision} by ${short(r.keyid)}, ${r.valid ? 'valid' : 'invalid'}`).join('; ') || 'none']]),
    checks);
}

// ---------------------------------------------------------------- main
async function main() {
  const started = performance.now();
  buildSteps();
  publish();

  // The kit's index: fetch and hash every file it lists (the page itself included).
  const kit = await fetchJSON('kit.json');
  const fileRows = [];
  let intact = 0;
  results.kit = { files: kit.files.length, mismatched: [] };
  for (const f of kit.files) {
    const bytes = await fetchBytes(f.path);
    const got = await sha256(bytes);
    const ok = got === f.sha256 && bytes.length === f.bytes;
    if (ok) intact++; else results.kit.mismatched.push({ path: f.path, sha256: got, bytes: bytes.length });
    fileRows.push(el('tr', {}, el('td', { class: 'p', text: f.path }), el('td', { text: fmtKiB(f.bytes) }), el('td', {}, hashEl(f.sha256)),
      el('td', { class: 'mono', text: f.schema ?? '—' }), el('td', { text: f.what }), el('td', {}, yesNo(ok, 'SHA-256 ✓', 'DIFFERS'))));
  }
  results.kit.intact = intact;
  results.kit.total_bytes = kit.files.reduce((n, f) => n + f.bytes, 0);
  $('file-table').replaceChildren(el('thead', {}, el('tr', {}, ...['path', 'size', 'SHA-256', 'schema', 'what', 'checked here'].map((h) => el('th', { text: h })))), el('tbody', {}, ...fileRows));
  $('files-line').textContent = `kit.json lists ${kit.files.length} files, ${fmtKiB(results.kit.total_bytes)} in all; this page fetched each one and hashed it: ${intact} of ${kit.files.length} match.`;
  claim('kit', intact === kit.files.length, `${intact}/${kit.files.length} files, ${fmtKiB(results.kit.total_bytes)}`);
  publish();

  // The packet, its reviews and their signatures, checked with WebCrypto's Ed25519.
  const packetFile = await fetchJSON('packet.json');
  const keys = [await loadPublicKey(KEYS.builder), await loadPublicKey(KEYS.reviewer)];
  const release = await verifyEnvelope(packetFile.envelope, keys);
  const st = release.statement;
  const pred = st.predicate;
  const packetDigest = await sha256(release.payload);
  const reviews = [];
  for (const r of packetFile.reviews) {
    const v = await verifyEnvelope(r, keys);
    reviews.push({ ...v.statement.predicate, subject_digest: v.statement.subject[0].digest.sha256, names_this_packet: v.statement.subject[0].digest.sha256 === packetDigest, signatures: v.signatures });
  }
  const tamperedFile = await fetchJSON('packet.tampered.json');
  const tampered = await verifyEnvelope(tamperedFile.envelope, keys);
  const ed25519 = keys.every((k) => k.key !== null);
  results.keys = keys.map((k) => ({ path: k.path, keyid: k.keyid, webcrypto: k.key !== null }));
  results.signatures = {
    webcrypto_ed25519: ed25519, packet_digest: packetDigest, release: release.signatures,
    reviews: reviews.map(({ decision, note, subject_digest, names_this_packet, signatures }) => ({ decision, note, subject_digest, names_this_packet, signatures })),
    tampered: tampered.signatures, tampered_packet_digest: await sha256(tampered.payload),
  };
  publish();

  // The static views of the kit.
  const pkgs = {};
  for (const name of PACKAGES) pkgs[name] = await fetchJSON(`packages/${name}.json`);
  $('package-cards').replaceChildren(...PACKAGES.map((n) => packageCard(pkgs[n], st)));
  const descendantHashes = new Set(PACKAGES.slice(1).map((n) => pkgs[n].sha256));
  results.descendants_identical = descendantHashes.size === 1;
  $('package-note').textContent = descendantHashes.size === 1
    ? 'The sparse, dense and low-rank fixes encode the same change: the three descendants are byte for byte the same file (one SHA-256), so each is the packet\'s subject.'
    : `The three descendants differ (${descendantHashes.size} distinct SHA-256 values).`;
  const manifests = {};
  for (const [kind] of ADAPTERS) manifests[kind] = await fetchJSON(`adapters/fix-${kind}.json`);
  $('adapter-cards').replaceChildren(...ADAPTERS.map(([kind]) => adapterCard(manifests[kind], pkgs.parent, st)));
  const setText = await fetchText(SET);
  const lines = setText.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const [header, ...cases] = lines;
  const parentSidecarText = await fetchText(PARENT_SIDECAR);
  const parentSidecar = JSON.parse(parentSidecarText);
  const childSidecar = await fetchJSON(CHILD_SIDECAR);
  const policy = await fetchJSON(POLICY);
  $('set-line').replaceChildren(`Set `, el('b', { class: 'mono', text: header.name }), ` (${SET}): ${header.description ?? ''}. Defaults `,
    el('code', { text: JSON.stringify(header.defaults ?? {}) }), '. Policy (', el('code', { text: POLICY }), '): ', el('code', { text: JSON.stringify(policy) }), '.');
  const outputOf = (sc, id) => sc.reproducible.results.find((r) => r.id === id);
  const caseRow = (c) => {
    const p = outputOf(parentSidecar, c.id);
    const d = outputOf(childSidecar, c.id);
    const cell = (r) => el('td', { class: r.passed ? 'yes' : 'no' }, el('span', { class: 'mono', text: JSON.stringify(r.output ?? r.output_hex) }), ` ${r.passed ? '✓' : '✗'}`);
    return el('tr', {}, el('td', { class: 'mono', text: c.id }), el('td', { class: 'mono', text: JSON.stringify(c.prompt) }), el('td', { class: 'mono', text: JSON.stringify(c.expected) }),
      el('td', { text: [c.must_pass || policy.must_pass?.includes(c.id) ? 'must pass' : null, c.match ? `match ${c.match}` : null, c.stop ? `stop ${JSON.stringify(c.stop)}` : null].filter(Boolean).join(' · ') || '—' }),
      cell(p), cell(d), el('td', { id: `live-${c.id}`, class: 'muted', text: '…' }));
  };
  $('cases').replaceChildren(el('thead', {}, el('tr', {}, ...['case', 'prompt', 'expected', 'rules', 'parent (sidecar)', 'descendant (sidecar)', 'descendant (live, this page)'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...cases.map(caseRow)));
  $('sidecars').replaceChildren(sidecarCard('The parent', parentSidecar, PARENT_SIDECAR), sidecarCard('The sparse descendant', childSidecar, CHILD_SIDECAR));
  const scorecard = await fetchJSON('evidence/scorecard.json');
  $('scorecard').replaceChildren(el('thead', {}, el('tr', {}, ...['model', 'set', 'set digest', 'passed', 'gate', 'sidecar'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...scorecard.rows.map((r) => el('tr', {}, el('td', {}, hashEl(r.model)), el('td', { class: 'mono', text: r.set }), el('td', {}, hashEl(r.set_digest)),
      el('td', { text: `${r.passed}/${r.cases}` }), el('td', {}, yesNo(r.gate, 'pass', 'FAIL')), el('td', {}, hashEl(r.sidecar))))));

  // The packet's contents.
  $('packet-line').replaceChildren('An in-toto Statement (', el('code', { text: st.predicateType }), ') in a DSSE envelope; packet digest ', hashEl(packetDigest),
    '. Also as ', el('a', { href: 'packet.html', text: 'packet.html' }), ' and ', el('a', { href: 'packet.md', text: 'packet.md' }), ' (slm packet show).');
  $('subjects').replaceChildren(el('tbody', {}, ...st.subject.map((s, i) => el('tr', {}, el('td', { text: i === 0 ? 'descendant' : 'adapter' }), el('td', { class: 'mono', text: s.name }), el('td', {}, hashEl(s.digest.sha256))))));
  lineageChain($('packet-lineage'), pred.lineage);
  $('stack').replaceChildren(el('tbody', {}, ...pred.stack.map((s) => el('tr', {}, el('td', { class: 'mono', text: s.path }), el('td', { text: s.kind }), el('td', {}, 'file ', hashEl(s.sha256)), el('td', {}, 'content ', hashEl(s.content_digest))))));
  $('packet-evidence').replaceChildren(...pred.evidence.map((e) => el('div', { class: 'card soft' },
    el('div', { class: 'verdict' }, yesNo(e.verdict.passed, 'GATE PASSES', 'GATE FAILS'), el('span', { class: 'mono', text: `${e.set.name} · ${e.set.cases} cases` })),
    kv(el('div', { class: 'kv' }), [['set', el('span', {}, `${e.set.path} `, hashEl(e.set.sha256))], ['set digest', hashEl(e.set.digest)],
      ['policy', e.policy ? el('span', {}, `${e.policy.path} `, hashEl(e.policy.sha256)) : 'default'],
      ['sidecar', e.sidecar.file ? el('span', {}, `${e.sidecar.file.path} `, hashEl(e.sidecar.file.sha256)) : 'inline'],
      ['reproducible digest', hashEl(e.sidecar.reproducible_digest)], ['baseline', e.sidecar.reproducible.baseline ? hashEl(e.sidecar.reproducible.baseline) : 'none'],
      ['reasons', e.verdict.reasons.length ? e.verdict.reasons.join('; ') : 'none']]))));
  const d = pred.diagnostics;
  $('packet-diagnostics').replaceChildren(...[['model', fmtKiB(d.model_bytes)], ['KV cache', fmtKiB(d.kv_cache_bytes)], ['scratch', fmtKiB(d.scratch_bytes)],
    ['tensors', Object.entries(d.tensors_by_dtype).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ')], ['adapters', String(d.adapter_count)]]
    .map(([k, v]) => el('div', { class: 'stat' }, el('span', { class: 'k', text: k }), el('span', { class: 'v', text: v }))));
  kv($('rollback'), [['parent digest', hashEl(pred.rollback.parent_digest)], ['parent SHA-256', hashEl(pred.rollback.parent_sha256)], ['parent path', pred.rollback.parent_path],
    ['stack begins after', pred.rollback.stack_begins_after], ['command', el('code', { text: pred.rollback.command })]]);
  const approved = reviews.some((r) => r.decision === 'approve' && r.names_this_packet && r.signatures.some((s) => s.valid));
  $('checklist').replaceChildren(...pred.review.checklist.map((c) => el('li', { class: approved ? 'ticked' : '', text: c })));
  const keyName = (id) => keys.find((k) => k.keyid === id)?.path ?? 'an unknown key';
  const sigRow = (role, s) => el('tr', {}, el('td', { text: role }), el('td', { class: 'mono', text: keyName(s.keyid) }), el('td', {}, hashEl(s.keyid)),
    el('td', {}, s.valid === null ? badge('warn', 'NOT CHECKED') : yesNo(s.valid, 'Ed25519 ✓', 'INVALID')));
  $('signatures').replaceChildren(el('tbody', {}, ...release.signatures.map((s) => sigRow('builder (statement)', s)), ...reviews.flatMap((r) => r.signatures.map((s) => sigRow('reviewer (decision)', s)))));
  $('decision').replaceChildren(...reviews.map((r) => el('div', { class: r.decision === 'approve' ? 'approved' : 'refusal' },
    el('div', { class: 'verdict' }, badge(r.decision === 'approve' ? 'pass' : 'fail', r.decision.toUpperCase()), el('span', { text: `signed by ${keyName(r.signatures[0]?.keyid)}` })),
    el('p', { text: `“${r.note}”` }), el('p', { class: 'muted' }, 'names packet ', hashEl(r.subject_digest), ' ', yesNo(r.names_this_packet, 'THIS PACKET', 'ANOTHER PACKET')))));
  const verifyGood = await fetchJSON('verify.json');
  const verifyBad = await fetchJSON('verify.tampered.json');
  $('verify-good').replaceChildren(reportView('packet.json', verifyGood, 'verify.json'));
  $('verify-bad').replaceChildren(reportView('packet.tampered.json', verifyBad, 'verify.tampered.json'));
  results.verify = { verified: verifyGood.verified, code: verifyGood.code, packet_digest: verifyGood.packet_digest };
  results.verify_tampered = { verified: verifyBad.verified, code: verifyBad.code, failed_checks: verifyBad.checks.filter((c) => !c.passed).map((c) => c.code) };
  publish();

  // ------------------------------------------------------------ the live loop
  const wasmBytes = await fetchBytes('slm_wasm.wasm');
  // Compiled synchronously when the browser allows it: headless Chromium's virtual time does not
  // wait for an asynchronous compile and would end the run early.
  let module;
  try { module = new WebAssembly.Module(wasmBytes); results.compile = 'sync'; } catch { module = await WebAssembly.compile(wasmBytes); results.compile = 'async'; }
  const slm = await instantiate(module);
  results.abi_version = slm.exports.slm_abi_version();
  const c = results.computed;

  // 1. INIT_RUNTIME, LOAD_MODEL.
  let body = stepStart(1);
  const parentBytes = await fetchBytes(PARENT);
  c.parent_sha256 = await sha256(parentBytes);
  const rt = slm.runtime();
  rt.load(parentBytes, { verifyDigest: true });
  const parentInfo = rt.modelInfo();
  c.parent_identity = parentInfo.identity;
  c.parent_content_digest = parentInfo.identity.content_digest;
  c.parent_file_bytes = parentInfo.file_bytes;
  results.steps.load = { file: PARENT, bytes: parentBytes.length, verify_digest: true, ok: true };
  kv(body.appendChild(el('div', { class: 'kv' })), [['runtime', `slm_wasm.wasm · ${fmtKiB(wasmBytes.length)} · ABI ${results.abi_version} · ${results.compile} compile · handle ${rt.handle}`],
    ['file', `${PARENT} · ${fmtBytes(parentBytes.length)} · ${parentInfo.tensors.length} tensors`], ['file SHA-256', hashEl(c.parent_sha256)],
    ['content digest', el('span', {}, hashEl(c.parent_content_digest), ' ', badge('pass', 'CHECK 50 ✓'))],
    ['hyperparameters', Object.entries(parentInfo.hyperparameters).map(([k, v]) => `${k} ${f32(v)}`).join(' · ')]]);
  stepEnd(1, true, 'LOADED');
  publish();
  await tick();

  // 2. VALIDATE_ADAPTER_DELTA.
  body = stepStart(2);
  const fix = await fetchBytes(ADAPTER);
  c.adapter_sha256 = await sha256(fix);
  rt.validateAdapter(fix);
  results.steps.validate = { file: ADAPTER, bytes: fix.length, ok: true };
  kv(body.appendChild(el('div', { class: 'kv' })), [['adapter', `${ADAPTER} · ASP1 sparse · ${fmtBytes(fix.length)}`], ['file SHA-256', hashEl(c.adapter_sha256)],
    ['checks', 'A1–A36 of adapters.md: well formed, checksummed, bound to this parent\'s identity']]);
  stepEnd(2, true, 'VALID');
  await tick();

  // 3. APPLY_ADAPTER_DELTA.
  body = stepStart(3);
  rt.applyAdapters([fix]);
  const childInfo = rt.modelInfo();
  c.descendant_identity = childInfo.identity;
  c.descendant_content_digest = childInfo.identity.content_digest;
  c.descendant_file_bytes = childInfo.file_bytes;
  c.lineage = childInfo.lineage;
  c.adapter_content_digest = childInfo.lineage.steps[0].adapter_digest;
  c.adapter_kind = childInfo.lineage.steps[0].kind;
  results.steps.apply = { ok: true, identity: childInfo.identity, lineage: childInfo.lineage };
  lineageChain(body.appendChild(el('div', { class: 'chain' })), childInfo.lineage);
  kv(body.appendChild(el('div', { class: 'kv' })), [['descendant digest', hashEl(c.descendant_content_digest)], ['adapter digest', hashEl(c.adapter_content_digest)],
    ['size', `${fmtBytes(childInfo.file_bytes)} (built in memory, all or nothing)`]]);
  stepEnd(3, true, 'APPLIED');
  publish();
  await tick();

  // 4. RUN_EVAL_CASES: the set, the policy, the parent's sidecar as baseline.
  body = stepStart(4);
  const policyText = await fetchText(POLICY);
  const sidecarText = rt.evalSet(setText, { policy: policyText, baseline: parentSidecarText });
  const sidecar = JSON.parse(sidecarText);
  const R = sidecar.reproducible;
  c.sidecar_reproducible_digest = sidecar.reproducible_digest;
  c.sidecar_recomputed_digest = await sha256(utf8.encode(canon(R)));  // eval.md 2: SHA-256 of canonical(R)
  c.gate = R.gate;
  c.set = R.set;
  c.set_sha256 = await sha256(await fetchBytes(SET));
  c.policy_sha256 = await sha256(await fetchBytes(POLICY));
  c.baseline = R.baseline;
  c.resources = R.resources;
  c.sidecar_file_sha256 = await sha256(await fetchBytes(CHILD_SIDECAR));
  c.scorecard_row = { cases: R.totals.cases, gate: R.gate.passed, model: R.model.identity.content_digest, passed: R.totals.passed, set: R.set.name, set_digest: R.set.digest, sidecar: sidecar.reproducible_digest };
  results.steps.eval = { runtime: sidecar.measured.runtime, totals: R.totals, results: R.results.map(({ id, output, output_hex, tokens, stop_reason, passed }) => ({ id, output, output_hex, tokens, stop_reason, passed })) };
  for (const r of R.results) {
    const cell = $(`live-${r.id}`);
    if (cell) { cell.className = r.passed ? 'yes' : 'no'; cell.replaceChildren(el('span', { class: 'mono', text: JSON.stringify(r.output ?? r.output_hex) }), ` ${r.passed ? '✓' : '✗'}`); }
  }
  body.append(el('table', {}, el('thead', {}, el('tr', {}, ...['case', 'prompt', 'output', 'stop', 'passed'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...R.results.map((r) => el('tr', {}, el('td', { class: 'mono', text: r.id }), el('td', { class: 'mono', text: JSON.stringify(cases.find((x) => x.id === r.id)?.prompt) }),
      el('td', { class: 'mono', text: JSON.stringify(r.output ?? r.output_hex) }), el('td', { text: r.stop_reason }), el('td', { class: r.passed ? 'yes' : 'no', text: r.passed ? '✓' : '✗' }))))));
  kv(body.appendChild(el('div', { class: 'kv', style: 'margin-top:6px' })), [['gate', el('span', {}, yesNo(R.gate.passed, 'PASSES', 'FAILS'), ` ${R.totals.passed}/${R.totals.cases} passed${R.gate.reasons.length ? ': ' + R.gate.reasons.join('; ') : ', no regression against the parent'}`)],
    ['baseline', el('span', {}, hashEl(R.baseline), ' (the parent\'s sidecar)')], ['reproducible digest', hashEl(c.sidecar_reproducible_digest)],
    ['runtime', `${sidecar.measured.runtime.name} ${sidecar.measured.runtime.version}`]]);
  stepEnd(4, R.gate.passed, R.gate.passed ? 'GATE PASSES' : 'GATE FAILS');
  publish();
  await tick();

  // 5. Streamed generations on the descendant, then READ_DIAGNOSTICS.
  body = stepStart(5);
  const maxTokens = header.defaults?.max_tokens ?? 32;
  results.steps.stream = [];
  for (const cs of cases) {
    const chips = el('div', { class: 'chips' });
    const answer = el('span', { class: 'answer' });
    body.append(el('div', { class: 'gen-row' }, el('span', { class: 'prompt', text: JSON.stringify(cs.prompt) }), answer, chips));
    results.steps.stream.push(await streamInto(rt, cs.prompt, cs.max_tokens ?? maxTokens, chips, answer));
  }
  const diag = rt.diagnostics();
  c.diagnostics = diag;
  results.steps.diagnostics = diag;
  body.append(el('div', { class: 'stats', style: 'margin-top:8px' }, ...[['model', fmtBytes(diag.model_bytes)], ['KV cache', fmtBytes(diag.kv_cache_bytes)], ['scratch', fmtBytes(diag.scratch_bytes)],
    ['tensors', Object.entries(diag.tensors_by_dtype).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ')], ['adapters', String(diag.adapter_count)],
    ['tokens', `${diag.prompt_tokens} + ${diag.generated_tokens}`]].map(([k, v]) => el('div', { class: 'stat' }, el('span', { class: 'k', text: k }), el('span', { class: 'v', text: v })))));
  if (diag.scratch_bytes !== pred.diagnostics.scratch_bytes) {
    body.append(el('p', { class: 'muted' }, `scratch here counts the RoPE tables (runtime.md 6); the packet records ${fmtBytes(pred.diagnostics.scratch_bytes)}, eval.md 4's formula: `,
      el('a', { href: '#compare', text: 'see the note' }), '.'));
  }
  stepEnd(5, true, 'READ');
  publish();
  await tick();

  // 6. BUILD_RELEASE_PACKET: every claim of the statement, recomputed here.
  body = stepStart(6);
  const descendantBytes = await fetchBytes(DESCENDANT);
  c.descendant_file_sha256 = await sha256(descendantBytes);
  const check = slm.runtime();
  check.load(descendantBytes, { verifyDigest: true });
  c.descendant_file_content_digest = check.modelInfo().identity.content_digest;
  check.free();
  const ev = pred.evidence[0];
  const rows = [
    ['parent file SHA-256', 'crypto.subtle.digest(parent.slm)', c.parent_sha256, pred.parent.sha256, 'predicate.parent.sha256', 'parent_sha256'],
    ['parent content digest', 'rt.modelInfo() after load', c.parent_content_digest, pred.parent.identity.content_digest, 'predicate.parent.identity.content_digest', 'parent_content_digest'],
    ['parent identity', 'rt.modelInfo().identity', c.parent_identity, pred.parent.identity, 'predicate.parent.identity', 'parent_identity'],
    ['adapter file SHA-256', 'crypto.subtle.digest(fix-sparse.asp)', c.adapter_sha256, pred.stack[0].sha256, 'predicate.stack[0].sha256', 'adapter_sha256'],
    ['adapter subject', 'the same SHA-256', c.adapter_sha256, st.subject[1]?.digest.sha256, 'subject[1].digest.sha256', 'adapter_sha256'],
    ['adapter content digest', 'rt.modelInfo().lineage', c.adapter_content_digest, pred.stack[0].content_digest, 'predicate.stack[0].content_digest', 'adapter_content_digest'],
    ['adapter kind', 'rt.modelInfo().lineage', c.adapter_kind, pred.stack[0].kind, 'predicate.stack[0].kind', 'adapter_kind'],
    ['descendant identity', 'rt.modelInfo() after apply', c.descendant_identity, pred.descendant.identity, 'predicate.descendant.identity', 'descendant_identity'],
    ['descendant content digest', 'rt.modelInfo() after apply', c.descendant_content_digest, pred.descendant.identity.content_digest, 'predicate.descendant.identity.content_digest', 'descendant_content_digest'],
    ['descendant size', 'rt.modelInfo().file_bytes', c.descendant_file_bytes, pred.descendant.file_bytes, 'predicate.descendant.file_bytes', 'descendant_file_bytes'],
    ['lineage', 'rt.modelInfo().lineage', c.lineage, pred.lineage, 'predicate.lineage', 'lineage'],
    ['descendant subject', `SHA-256 of ${DESCENDANT} (its content digest = the live one: ${c.descendant_file_content_digest === c.descendant_content_digest ? 'yes' : 'NO'})`,
      c.descendant_file_content_digest === c.descendant_content_digest ? c.descendant_file_sha256 : null, st.subject[0].digest.sha256, 'subject[0].digest.sha256', 'descendant_file_sha256'],
    ['eval set file SHA-256', 'crypto.subtle.digest(hello.jsonl)', c.set_sha256, ev.set.sha256, 'predicate.evidence[0].set.sha256', 'set_sha256'],
    ['eval set name, digest, cases', 'rt.evalSet() sidecar: set', c.set, { name: ev.set.name, digest: ev.set.digest, cases: ev.set.cases }, 'predicate.evidence[0].set.{name,digest,cases}', 'set'],
    ['policy file SHA-256', 'crypto.subtle.digest(policy.json)', c.policy_sha256, ev.policy?.sha256, 'predicate.evidence[0].policy.sha256', 'policy_sha256'],
    ['sidecar reproducible digest', 'rt.evalSet() sidecar', c.sidecar_reproducible_digest, ev.sidecar.reproducible_digest, 'predicate.evidence[0].sidecar.reproducible_digest', 'sidecar_reproducible_digest'],
    ['… recomputed', 'SHA-256 of canonical(R), in this page', c.sidecar_recomputed_digest, ev.sidecar.reproducible_digest, 'predicate.evidence[0].sidecar.reproducible_digest', 'sidecar_recomputed_digest'],
    ['sidecar file SHA-256', `crypto.subtle.digest(${CHILD_SIDECAR})`, c.sidecar_file_sha256, ev.sidecar.file?.sha256, 'predicate.evidence[0].sidecar.file.sha256', 'sidecar_file_sha256'],
    ['baseline', 'rt.evalSet() sidecar: baseline', c.baseline, ev.sidecar.reproducible.baseline, 'predicate.evidence[0].sidecar.reproducible.baseline', 'baseline'],
    ['gate verdict', 'rt.evalSet() sidecar: gate', c.gate, ev.verdict, 'predicate.evidence[0].verdict', 'gate'],
    ['scorecard row', 'from the live sidecar', c.scorecard_row, pred.scorecard.rows[0], 'predicate.scorecard.rows[0]', 'scorecard_row'],
    ['model bytes', 'rt.diagnostics()', diag.model_bytes, pred.diagnostics.model_bytes, 'predicate.diagnostics.model_bytes', 'diagnostics.model_bytes'],
    ['KV cache bytes', 'rt.diagnostics()', diag.kv_cache_bytes, pred.diagnostics.kv_cache_bytes, 'predicate.diagnostics.kv_cache_bytes', 'diagnostics.kv_cache_bytes'],
    ['scratch bytes', 'rt.evalSet() sidecar: resources', c.resources.scratch_bytes, pred.diagnostics.scratch_bytes, 'predicate.diagnostics.scratch_bytes', 'resources.scratch_bytes'],
    ['tensors by dtype', 'rt.diagnostics()', diag.tensors_by_dtype, pred.diagnostics.tensors_by_dtype, 'predicate.diagnostics.tensors_by_dtype', 'diagnostics.tensors_by_dtype'],
    ['adapter count', 'rt.diagnostics()', diag.adapter_count, pred.diagnostics.adapter_count, 'predicate.diagnostics.adapter_count', 'diagnostics.adapter_count'],
    ['packet digest', 'SHA-256 of the decoded payload', packetDigest, verifyGood.packet_digest, 'verify.json: packet_digest', 'packet_digest'],
    ['builder signature', 'Ed25519 over PAE, WebCrypto', release.signatures.some((s) => s.valid === true), true, 'envelope.signatures (DEMO-builder.pub)', 'builder_signature'],
    ['reviewer approval', 'Ed25519 + subject = packet digest', approved, true, 'reviews[0] (DEMO-reviewer.pub)', 'reviewer_approval'],
  ];
  c.packet_digest = packetDigest;
  c.builder_signature = rows.at(-2)[2];
  c.reviewer_approval = approved;
  const tbody = $('cmp-rows');
  tbody.replaceChildren();
  const show = (v) => (v === undefined ? '(absent)' : typeof v === 'string' ? v : canon(v));
  const addRow = ([what, how, page, claimed, field, key], kind = 'compare') => {
    const equal = same(page, claimed);
    if (kind === 'compare') results.comparisons.push({ what, key, field, page: page ?? null, packet: claimed ?? null, equal });
    const b = kind === 'note' ? badge('warn', 'DIFFERS · SEE NOTE') : yesNo(equal, 'EQUAL', 'DIFFERENT');
    tbody.append(el('tr', { class: kind === 'note' ? 'note' : equal ? '' : 'ne' }, el('td', { class: 'what' }, what, el('span', { class: 'how', text: how })),
      el('td', { class: 'val', text: show(page) }), el('td', { class: 'val' }, show(claimed), el('span', { class: 'field', text: field })), el('td', {}, b)));
    return equal;
  };
  for (const r of rows) addRow(r);
  // runtime.md 6 diagnostics count the RoPE tables in scratch; eval.md 4 resources (which the packet uses) do not.
  if (diag.scratch_bytes !== pred.diagnostics.scratch_bytes) {
    const note = { what: 'scratch bytes: rt.diagnostics() (runtime.md 6) differs from the packet\'s (eval.md 4 resources)', runtime_diagnostics: diag.scratch_bytes, packet: pred.diagnostics.scratch_bytes, eval_resources: c.resources.scratch_bytes };
    results.notes.push(note);
    addRow(['scratch bytes (runtime)', 'rt.diagnostics(): activations + RoPE tables', diag.scratch_bytes, pred.diagnostics.scratch_bytes,
      'packet.md 5 says "runtime.md 6 without the timings"; the packet holds eval.md 4\'s formula', 'diagnostics.scratch_bytes'], 'note');
  }
  const equalCount = results.comparisons.filter((x) => x.equal).length;
  body.append(el('p', {}, yesNo(equalCount === results.comparisons.length, 'EQUAL', 'DIFFERENT'),
    ` ${equalCount} of ${results.comparisons.length} values the packet claims equal the ones computed here (the rollback target follows in step 8): `, el('a', { href: '#compare', text: 'the full table' }), '.'));
  const parts = [['parent', c.parent_sha256, 'parent SHA-256'], ['adapter', c.adapter_sha256, 'adapter SHA-256'], ['evidence', c.sidecar_reproducible_digest, 'sidecar digest'], ['descendant', c.descendant_content_digest, 'descendant digest']];
  body.append(el('div', { class: 'stats' }, ...parts.map(([k, v, t]) => el('div', { class: 'stat', title: t }, el('span', { class: 'k', text: t }), el('span', { class: 'v hash', text: short(v) })))));
  stepEnd(6, equalCount === results.comparisons.length, equalCount === results.comparisons.length ? 'PACKET = PAGE' : 'MISMATCH');
  publish();
  await tick();

  // 7. The tampered adapter: refused with its code, rule and offset.
  body = stepStart(7);
  const bad = await fetchBytes(TAMPERED);
  let flipped = -1;
  for (let i = 0; i < Math.min(bad.length, fix.length); i++) if (bad[i] !== fix[i]) { flipped = i; break; }
  results.refused = { file: TAMPERED, sha256: await sha256(bad), bytes: bad.length, differs_at: flipped, code: null };
  const extra = flipped >= 0 ? [['flipped byte', `offset ${flipped}: 0x${fix[flipped].toString(16).padStart(2, '0')} → 0x${bad[flipped].toString(16).padStart(2, '0')}`]] : [];
  let refusedErr = null;
  try { rt.validateAdapter(bad); } catch (e) { if (!(e instanceof SlmError)) throw e; refusedErr = e; }
  let applyErr = null;
  try { rt.applyAdapters([bad]); } catch (e) { if (!(e instanceof SlmError)) throw e; applyErr = e; }
  const stillSame = rt.modelInfo().identity.content_digest === c.descendant_content_digest;  // RT-ABI-001: all or nothing
  if (refusedErr) Object.assign(results.refused, { code: refusedErr.codeName, number: refusedErr.code, rule: refusedErr.rule, offset: refusedErr.offset, message: refusedErr.detail });
  results.refused.apply = applyErr ? { code: applyErr.codeName, rule: applyErr.rule, offset: applyErr.offset, index: applyErr.index } : { code: null };
  results.refused.descendant_unchanged = stillSame;
  const refusedView = () => (refusedErr ? refusalCard(refusedErr, extra) : el('p', {}, badge('fail', 'ACCEPTED (wrong)')));
  body.append(refusedView(), el('p', { class: 'muted' }, 'slm_adapter_apply refuses it too (', el('code', { text: applyErr ? `${applyErr.codeName}, index ${applyErr.index}` : 'accepted!' }),
    '), and the descendant stays as it was: ', yesNo(stillSame, 'UNCHANGED', 'CHANGED')));
  $('tamper-adapter').replaceChildren(el('h3', { class: 'mono', text: TAMPERED }), el('p', { class: 'muted' }, 'The sparse fix with one bit flipped, validated against the parent by the WASM runtime.'), refusedView());
  const tamperedAdapterOk = refusedErr !== null && applyErr !== null && stillSame;
  stepEnd(7, tamperedAdapterOk, tamperedAdapterOk ? 'REFUSED' : 'ACCEPTED');
  publish();
  await tick();

  // The tampered packet: its recorded report, and its signature checked here.
  const tamperedSigValid = tampered.signatures.some((s) => s.valid === true);
  results.tampered_packet = { code: verifyBad.code, verified: verifyBad.verified, signature_valid_in_page: ed25519 ? tamperedSigValid : null,
    payload_differs: canon(tampered.statement) !== canon(st) };
  const diffField = (() => {
    const walk = (a, b, path) => {
      if (canon(a) === canon(b)) return null;
      if (a && b && typeof a === 'object' && typeof b === 'object') for (const k of Object.keys(a)) { const r = walk(a[k], b[k], `${path}.${k}`); if (r) return r; }
      return { path, was: b, now: a };
    };
    return walk(tampered.statement, st, 'statement');
  })();
  results.tampered_packet.edited = diffField ? diffField.path : null;
  $('tamper-packet').replaceChildren(el('h3', { class: 'mono', text: 'packet.tampered.json' }),
    el('p', { class: 'muted' }, 'The packet with its statement edited after signing', diffField ? ': ' : '.', diffField ? el('code', { text: `${diffField.path.replace(/^statement\./, '')} ${canon(diffField.was)} → ${canon(diffField.now)}` }) : null),
    el('div', { class: 'refusal' }, el('div', { class: 'verdict' }, badge('fail', 'NOT VERIFIED'), el('span', { class: 'code', text: verifyBad.code })),
      kv(el('div', { class: 'kv' }), [['verify.tampered.json', `verified: ${verifyBad.verified}, code ${verifyBad.code}`],
        ['failed checks', verifyBad.checks.filter((x) => !x.passed).map((x) => x.code).join(', ')],
        ['in this page', ed25519 ? (tamperedSigValid ? 'the builder\'s signature still verifies (wrong!)' : 'the builder\'s Ed25519 signature does not verify over the edited payload') : 'WebCrypto has no Ed25519 here']])));

  // 8. Rollback: the parent the packet names is current again.
  body = stepStart(8);
  rt.rollback();
  const back = rt.modelInfo();
  c.rollback_content_digest = back.identity.content_digest;
  const rbOk = addRow(['rollback target', 'rt.rollback() then rt.modelInfo()', c.rollback_content_digest, pred.rollback.parent_digest, 'predicate.rollback.parent_digest', 'rollback_content_digest']);
  const gen = rt.generate('2+2=', { maxTokens });
  results.steps.rollback = { content_digest: c.rollback_content_digest, lineage: back.lineage, answer: { tokens: gen.tokens, text: gen.text, stop_reason: gen.stopReason } };
  kv(body.appendChild(el('div', { class: 'kv' })), [['current model', el('span', {}, hashEl(c.rollback_content_digest), ' ', yesNo(rbOk, '= packet rollback.parent_digest', '≠ packet'))],
    ['lineage', back.lineage === null ? 'null (the parent itself)' : canon(back.lineage)], ['"2+2=" now', `${JSON.stringify(gen.text)}, the parent's known bug again`]]);
  stepEnd(8, rbOk && back.lineage === null, 'ROLLED BACK');
  for (const l of document.querySelectorAll('#pseudo .l')) l.classList.remove('active');

  const allEqual = results.comparisons.every((x) => x.equal);
  claim('loop', allEqual && R.gate.passed, `${results.comparisons.filter((x) => x.equal).length}/${results.comparisons.length} values equal${results.notes.length ? ' (1 spec note)' : ''}`);
  const sigOk = ed25519 && c.builder_signature && approved;
  claim('signatures', sigOk, ed25519 ? `builder ✓, reviewer ${approved ? 'approves' : 'does not approve'} this packet` : 'WebCrypto lacks Ed25519');
  const tamperOk = tamperedAdapterOk && !verifyBad.verified && verifyBad.code === 'E_PKT_SIGNATURE' && (!ed25519 || !tamperedSigValid);
  claim('tamper', tamperOk, `${results.refused.code ?? 'accepted'} · ${verifyBad.code}`);
  rt.free();
  results.seconds = (performance.now() - started) / 1000;
  results.ok = Object.values(claims).every(Boolean);
}

main().catch((e) => {
  results.errors.push(e instanceof SlmError ? `${e.message}` : `${e.name}: ${e.message}`);
  const box = $('fatal');
  box.hidden = false;
  box.textContent = `The page stopped: ${results.errors.at(-1)}`;
  for (const b of document.querySelectorAll('#claims .badge.pending')) { b.className = 'badge fail'; b.textContent = 'NOT RUN'; }
  for (const s of document.querySelectorAll('.step .badge.info')) { s.className = 'badge fail'; s.textContent = 'STOPPED'; }
}).finally(() => {
  results.done = true;
  publish();
  const status = $('status');
  status.textContent = results.ok ? 'All checks passed' : 'Some checks failed';
  status.className = `badge big ${results.ok ? 'pass' : 'fail'}`;
  $('status-note').textContent = results.seconds ? `the whole loop ran in this page in ${results.seconds.toFixed(2)} s` : '';
  document.body.dataset.done = results.ok ? 'pass' : 'fail';
});
