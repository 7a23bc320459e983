// The demo page's script (wasm/demo/index.html): drives slm_wasm.wasm through wasm/slm.mjs only.
// Static files next to it (scripts/stage-wasm-demo): slm.mjs, slm_wasm.wasm, parent.slm, fix.asp,
// fix.adp, other-parent.asp. Everything it shows is also written as JSON into <pre id="results">,
// which tests/wasm_page/test_page.py reads and checks against the native `slm`.
import { instantiate, SlmError } from './slm.mjs';

const MAX_TOKENS = 16;                // the "hello" eval set's default
const STREAM_PROMPT = 'Once upon';
const PROMPTS = ['Hello', 'Once upon', '2+2='];
const BUG = { prompt: '2+2=', parent: '5', fixed: '4' };  // conformance/cases/eval/hello-parent
const FLIP_OFFSET = 1000;             // a byte inside fix.asp's first payload
const TOKEN_DELAY_MS = 40;            // so that people see tokens arrive

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};
const fetchBytes = async (name) => {
  const response = await fetch(name);
  if (!response.ok) throw new Error(`fetch ${name}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
};
const fmtBytes = (n) => `${n.toLocaleString('en-US')} bytes`;
const shortHex = (h) => (h.length > 20 ? `${h.slice(0, 16)}…${h.slice(-4)}` : h);

const results = { ok: false, done: false, max_tokens: MAX_TOKENS, errors: [] };
const publish = () => { $('results').textContent = JSON.stringify(results, null, 2); };

const claims = {};
function claim(id, passed, note = '') {
  claims[id] = passed;
  const row = document.querySelector(`#claims [data-claim="${id}"]`);
  const badge = row.querySelector('.badge');
  badge.className = `badge ${passed ? 'pass' : 'fail'}`;
  badge.textContent = passed ? 'PASS' : 'FAIL';
  if (note) row.querySelector('.note').textContent = note;
}

/** Rows of key and value (a .kv container lays them out in columns). */
function keyValues(target, pairs) {
  target.replaceChildren(...pairs.map(([k, v, title]) => {
    const row = el('div', { class: 'kvrow' }, el('span', { class: 'k', text: k }), el('span', { class: 'v mono', text: String(v) }));
    if (title) row.title = title;
    return row;
  }));
}

/** The shortest decimal that reads back as the same f32 (norm_eps 1e-5, not 0.0000099999997...). */
function f32(v) {
  if (Number.isInteger(v)) return String(v);
  for (let p = 1; p <= 17; p++) { const s = Number(v.toPrecision(p)); if (Math.fround(s) === v) return String(s); }
  return String(v);
}

/** A token as a chip: its text (spaces made visible) above its id. */
function chip(token, text, stopReason) {
  const eos = stopReason === 'eos' && text === '';
  const shown = eos ? '⟨eos⟩' : text.replace(/ /g, '␣').replace(/\n/g, '⏎') || '∅';
  return el('span', { class: `chip${eos ? ' eos' : ''}` }, el('span', { class: 'piece', text: shown }), el('span', { class: 'id', text: String(token) }));
}

/** Streams one generation into `chips` (and `text`) token by token; returns what it saw. */
async function streamInto(rt, prompt, chips, textEl) {
  chips.replaceChildren();
  const tokens = [];
  let text = '';
  let stopReason = null;
  for (const step of rt.stream(prompt, { maxTokens: MAX_TOKENS })) {
    if (step.token !== null) { tokens.push(step.token); chips.append(chip(step.token, step.text, step.done ? step.stopReason : null)); }
    text += step.text;
    stopReason = step.stopReason;
    if (textEl) textEl.textContent = text;
    await sleep(TOKEN_DELAY_MS);
  }
  return { prompt, tokens, text, stop_reason: stopReason };
}

function showError(target, e) {
  const card = el('div', { class: 'refusal' });
  card.append(el('div', { class: 'refusal-head' }, el('span', { class: 'badge fail', text: 'REFUSED' }), el('code', { class: 'code', text: e.codeName })));
  const dl = el('div', { class: 'kv' });
  keyValues(dl, [['rule', e.rule], ['offset', e.offset === null ? '—' : `${e.offset}`], ['message', e.detail]]);
  card.append(dl);
  target.append(card);
}

/** The lineage as a chain: parent digest, then each adapter and the descendant it made. */
function showLineage(target, lineage) {
  const node = (label, digest, cls) => el('div', { class: `node ${cls}`, title: digest }, el('span', { class: 'k', text: label }), el('span', { class: 'mono', text: shortHex(digest) }));
  const parts = [node('parent', lineage.parent_digest, 'model')];
  for (const step of lineage.steps) {
    parts.push(el('span', { class: 'arrow', text: '→' }), node(`${step.kind} adapter`, step.adapter_digest, 'adapter'),
      el('span', { class: 'arrow', text: '→' }), node('descendant', step.descendant_digest, 'model'));
  }
  target.replaceChildren(...parts);
}

const refusalRecord = (e) => ({ code: e.codeName, number: e.code, rule: e.rule, offset: e.offset, index: e.index, message: e.detail });

async function main() {
  const started = performance.now();
  // 1. The runtime and the model.
  const wasmBytes = await fetchBytes('slm_wasm.wasm');
  // Compiled synchronously when the browser allows it: headless Chromium's virtual time (the test's
  // --virtual-time-budget) does not wait for an asynchronous compile and would end the run early.
  let module;
  try { module = new WebAssembly.Module(wasmBytes); results.compile = 'sync'; } catch { module = await WebAssembly.compile(wasmBytes); results.compile = 'async'; }
  const slm = await instantiate(module);
  const abi = slm.exports.slm_abi_version();
  const parentBytes = await fetchBytes('parent.slm');
  const parent = slm.runtime();
  parent.load(parentBytes, { verifyDigest: true });
  const info = parent.modelInfo();
  results.abi_version = abi;
  results.wasm_bytes = wasmBytes.length;
  results.model = { file: 'parent.slm', identity: info.identity, hyperparameters: info.hyperparameters, file_bytes: info.file_bytes, tensor_count: info.tensors.length, lineage: info.lineage };
  $('runtime-line').textContent = `slm_wasm.wasm · ${fmtBytes(wasmBytes.length)} · ABI version ${abi} · runtime handle ${parent.handle}`;
  $('model-line').textContent = `parent.slm · ${fmtBytes(info.file_bytes)} · ${info.tensors.length} tensors · content digest checked on load (check 50)`;
  keyValues($('identity'), Object.entries(info.identity).map(([k, v]) => [k, typeof v === 'string' ? shortHex(v) : v, String(v)]));
  keyValues($('hyper'), Object.entries(info.hyperparameters).map(([k, v]) => [k, f32(v), String(v)]));
  claim('load', abi === 1 && info.file_bytes === parentBytes.length, `${info.identity.parameter_count.toLocaleString('en-US')} parameters, digest ${shortHex(info.identity.content_digest)}`);
  publish();

  // 2. A streamed generation and its diagnostics.
  $('stream-prompt').textContent = STREAM_PROMPT;
  const streamed = await streamInto(parent, STREAM_PROMPT, $('stream-chips'), $('stream-text'));
  const diagnostics = parent.diagnostics();
  const whole = parent.generate(STREAM_PROMPT, { maxTokens: MAX_TOKENS });  // RT-ABI-004: same tokens in one call
  streamed.same_as_generate = JSON.stringify(whole.tokens) === JSON.stringify(streamed.tokens) && whole.text === streamed.text;
  results.stream = streamed;
  results.diagnostics = diagnostics;
  $('stream-stop').textContent = `${streamed.tokens.length} tokens · stop reason: ${streamed.stop_reason}`;
  keyValues($('diagnostics'), Object.entries(diagnostics).map(([k, v]) => [k, typeof v === 'object'
    ? Object.entries(v).map(([t, n]) => `${t}: ${n}`).join(', ')
    : (k === 'seconds' ? v.toFixed(6) : (k === 'tokens_per_second' ? v.toFixed(1) : v))]));
  if (diagnostics.seconds === 0) $('clock-note').textContent = 'seconds read 0: headless virtual time stops the clock';
  claim('stream', streamed.same_as_generate && streamed.tokens.length > 0, `${streamed.tokens.length} tokens one by one = slm_generate's tokens`);
  publish();

  // 3. Breeding: validate and apply the sparse fix on a second runtime, compare answers.
  const fix = await fetchBytes('fix.asp');
  const dense = await fetchBytes('fix.adp');
  const child = slm.runtime();
  child.load(parentBytes);
  child.validateAdapter(fix);
  $('fix-validate').replaceChildren(el('span', { class: 'badge pass', text: 'VALID' }), ` fix.asp · ASP1 sparse · ${fmtBytes(fix.length)} · checks A1–A36 against parent.slm`);
  child.applyAdapters([fix]);
  const childInfo = child.modelInfo();
  $('fix-apply').replaceChildren(el('span', { class: 'badge pass', text: 'APPLIED' }), ` descendant · content digest ${shortHex(childInfo.lineage.steps.at(-1).descendant_digest)}`);
  results.adapter = { file: 'fix.asp', bytes: fix.length, validated: true, applied: true };
  results.lineage = childInfo.lineage;
  showLineage($('lineage'), childInfo.lineage);
  results.generations = [];
  const rows = $('compare');
  for (const prompt of PROMPTS) {
    const cells = { parent: el('div', { class: 'chips' }), descendant: el('div', { class: 'chips' }) };
    const texts = { parent: el('div', { class: 'answer mono' }), descendant: el('div', { class: 'answer mono' }) };
    const tr = el('tr', {}, el('td', { class: 'mono prompt', text: JSON.stringify(prompt) }),
      el('td', {}, el('div', { class: 'gen' }, texts.parent, cells.parent)), el('td', {}, el('div', { class: 'gen' }, texts.descendant, cells.descendant)));
    rows.append(tr);
    const p = await streamInto(parent, prompt, cells.parent, texts.parent);
    const d = await streamInto(child, prompt, cells.descendant, texts.descendant);
    const changed = JSON.stringify(p.tokens) !== JSON.stringify(d.tokens);
    if (changed) tr.classList.add('changed');
    tr.append(el('td', { class: 'verdict', text: changed ? 'changed' : 'same' }));
    results.generations.push({ prompt, parent: p, descendant: d });
  }
  results.descendant_diagnostics = child.diagnostics();
  const bug = results.generations.find((g) => g.prompt === BUG.prompt);
  const others = results.generations.filter((g) => g.prompt !== BUG.prompt);
  const fixed = bug.parent.text === BUG.parent && bug.descendant.text === BUG.fixed && others.every((g) => g.parent.text === g.descendant.text);
  claim('fix', fixed, `"${BUG.prompt}" → ${JSON.stringify(bug.parent.text)} before, ${JSON.stringify(bug.descendant.text)} after; other answers unchanged`);

  // The dense form of the same fix makes the same descendant (ADP1 and ASP1 are interchangeable).
  const denseRt = slm.runtime();
  denseRt.load(parentBytes);
  denseRt.applyAdapters([dense]);
  const denseInfo = denseRt.modelInfo();
  const denseAnswer = denseRt.generate(BUG.prompt, { maxTokens: MAX_TOKENS });
  const sameDigest = denseInfo.lineage.steps[0].descendant_digest === childInfo.lineage.steps[0].descendant_digest;
  results.dense = { file: 'fix.adp', bytes: dense.length, tokens: denseAnswer.tokens, text: denseAnswer.text, descendant_digest: denseInfo.lineage.steps[0].descendant_digest, same_descendant: sameDigest };
  $('dense-line').replaceChildren(el('span', { class: `badge ${sameDigest ? 'pass' : 'fail'}`, text: sameDigest ? 'SAME' : 'DIFFERENT' }),
    ` fix.adp · ADP1 dense · ${fmtBytes(dense.length)} → the same descendant digest, answers ${JSON.stringify(denseAnswer.text)} to ${JSON.stringify(BUG.prompt)}`);
  denseRt.free();
  publish();

  // 4. Bad adapters are refused with a code, the rule it breaks and the offset.
  results.refused = [];
  const flipped = fix.slice();
  flipped[FLIP_OFFSET] ^= 0x01;
  const attempts = [
    { name: 'flipped-byte', file: 'fix.asp', flip_offset: FLIP_OFFSET, how: 'apply', title: `fix.asp with byte ${FLIP_OFFSET} flipped (0x${fix[FLIP_OFFSET].toString(16).padStart(2, '0')} → 0x${flipped[FLIP_OFFSET].toString(16).padStart(2, '0')})`, bytes: flipped, rt: child },
    { name: 'other-parent', file: 'other-parent.asp', flip_offset: null, how: 'validate', title: 'other-parent.asp: a well-formed adapter bound to the fixed model, not to parent.slm', bytes: await fetchBytes('other-parent.asp'), rt: parent },
  ];
  for (const a of attempts) {
    const box = el('div', { class: 'attempt' }, el('h3', { text: a.title }), el('p', { class: 'muted', text: a.how === 'apply' ? 'slm_adapter_apply on the runtime holding the descendant' : 'slm_adapter_validate against parent.slm' }));
    $('refusals').append(box);
    try {
      if (a.how === 'apply') a.rt.applyAdapters([a.bytes]); else a.rt.validateAdapter(a.bytes);
      results.refused.push({ name: a.name, file: a.file, flip_offset: a.flip_offset, how: a.how, code: null });
      box.append(el('p', {}, el('span', { class: 'badge fail', text: 'ACCEPTED (wrong)' })));
    } catch (e) {
      if (!(e instanceof SlmError)) throw e;
      results.refused.push({ name: a.name, file: a.file, flip_offset: a.flip_offset, how: a.how, ...refusalRecord(e) });
      showError(box, e);
    }
  }
  // All or nothing (RT-ABI-001): the refused apply left the descendant as it was.
  const after = child.generate(BUG.prompt, { maxTokens: MAX_TOKENS });
  const lineageAfter = child.modelInfo().lineage;
  results.after_refusal = { prompt: BUG.prompt, tokens: after.tokens, text: after.text, lineage_unchanged: JSON.stringify(lineageAfter) === JSON.stringify(childInfo.lineage) };
  $('after-refusal').replaceChildren(
    el('span', { class: `badge ${results.after_refusal.lineage_unchanged && after.text === BUG.fixed ? 'pass' : 'fail'}`, text: 'UNCHANGED' }),
    ` after the refused apply the descendant still answers ${JSON.stringify(after.text)} to ${JSON.stringify(BUG.prompt)}, same lineage`);
  const refusedOk = results.refused.every((r) => r.code !== null) && results.after_refusal.lineage_unchanged;
  claim('refuse', refusedOk, results.refused.map((r) => r.code).join(', '));
  results.seconds = (performance.now() - started) / 1000;
  results.ok = Object.values(claims).every(Boolean) && sameDigest;
}

main().catch((e) => {
  results.errors.push(e instanceof SlmError ? `${e.message}` : `${e.name}: ${e.message}`);
  const box = $('fatal');
  box.hidden = false;
  box.textContent = `The demo stopped: ${results.errors.at(-1)}`;
  for (const row of document.querySelectorAll('#claims .badge.pending')) { row.className = 'badge fail'; row.textContent = 'NOT RUN'; }
}).finally(() => {
  results.done = true;
  publish();
  const status = $('status');
  status.textContent = results.ok ? 'All checks passed' : 'Some checks failed';
  status.className = `badge big ${results.ok ? 'pass' : 'fail'}`;
  document.body.dataset.done = results.ok ? 'pass' : 'fail';
});
