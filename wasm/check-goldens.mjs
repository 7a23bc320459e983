// The wasm build must reproduce the generation goldens: every case of conformance/cases/generate/
// runs through slm_wasm.wasm on the input the native harness materialised (found by its SHA-256 in
// a cache directory filled by `slm conform --cache DIR`); prompt tokens and generated tokens must be
// equal, the first step's logits bit-identical to the native reference's expectations within the
// case's tolerance (they are in fact identical), and a rejected prompt must carry the expected code.
// Usage: node wasm/check-goldens.mjs slm_wasm.wasm conformance/cases CACHE_DIR
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadSlm } from './loader.mjs';

const [wasmPath, casesDir, cacheDir] = process.argv.slice(2);
const slm = await loadSlm(readFileSync(wasmPath));
let passed = 0, failed = 0;
const fail = (id, why) => { failed++; console.log(`FAIL ${id}: ${why}`); };
for (const name of readdirSync(join(casesDir, 'generate'))) {
  const dir = join(casesDir, 'generate', name);
  const c = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  const path = c.input.file ? join(dir, c.input.file) : join(cacheDir, `${c.input.sha256}.slm`);
  if (!existsSync(path)) { fail(c.id, `input ${path} not materialised (run slm conform --cache first)`); continue; }
  const bytes = readFileSync(path);
  if (createHash('sha256').update(bytes).digest('hex') !== c.input.sha256) { fail(c.id, 'input sha256 differs'); continue; }
  const r = c.request;
  const got = slm.generate(bytes, { prompt: r.prompt, maxTokens: r.max_tokens, temperature: r.temperature, topK: r.top_k,
                                    topP: r.top_p, seed: BigInt(r.seed) });
  const e = c.expect;
  if (e.outcome === 'reject') {
    if (!got.ok && got.code === e.codes[0]) passed++;
    else fail(c.id, `expected ${e.codes[0]}, wasm gave ${got.ok ? 'tokens' : got.code}`);
    continue;
  }
  if (!got.ok) { fail(c.id, `wasm rejected with ${got.code}`); continue; }
  const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(got.promptTokens, e.prompt_tokens)) { fail(c.id, 'prompt tokens differ'); continue; }
  if (!same(got.tokens, e.tokens)) { fail(c.id, `tokens differ: ${got.tokens.join(' ')}`); continue; }
  const step0 = (e.logits?.steps || []).find((s) => s.step === 0);
  const bad = (step0?.top || []).find(([id, want]) => Math.fround(got.firstLogits[id]) !== Math.fround(want));
  if (bad) { fail(c.id, `logit of token ${bad[0]} is ${got.firstLogits[bad[0]]}, native ${bad[1]}`); continue; }
  passed++;
}
console.log(`wasm goldens: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
