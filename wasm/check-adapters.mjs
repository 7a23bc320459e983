// The wasm build must apply adapters as the native build does: every adapter case of the case tree
// whose parent is a committed file is run through slm_wasm.wasm; a rejection must carry the
// expected code and offset, an application must give the expected descendant content digest.
// Usage: node wasm/check-adapters.mjs build/wasm/bin/slm_wasm.wasm conformance/cases
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { loadSlm } from './loader.mjs';

const [wasmPath, casesDir] = process.argv.slice(2);
const slm = await loadSlm(readFileSync(wasmPath));
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : name === 'expected.json' ? [path] : [];
});
let passed = 0, failed = 0, skipped = 0;
for (const file of walk(join(casesDir, 'adapters'))) {
  const c = JSON.parse(readFileSync(file, 'utf8'));
  const inputs = [c.input, ...(c.stack || [])];
  // unreadable files are the native file layer's business (E_IO_READ): the wasm takes bytes
  if (!c.op.endsWith('_adapter') || !c.parent.file || inputs.some((i) => !i.file)) { skipped++; continue; }
  const dir = dirname(file);
  const adapters = inputs.map((i) => readFileSync(join(dir, i.file)));
  const got = slm.applyAdapters(readFileSync(join(dir, c.parent.file)), adapters);
  const e = c.expect;
  const ok = e.outcome === 'reject'
    ? got.code === e.codes[0] && (e.offset === undefined || got.offset === e.offset)
    : got.ok && (!e.identity || got.digest === e.identity.content_digest);
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${c.id}: expected ${JSON.stringify(e.codes || e.identity?.content_digest)}, wasm gave ${got.code ?? got.digest} @${got.offset}`); }
}
console.log(`wasm adapters: ${passed} passed, ${failed} failed, ${skipped} not applicable (no committed parent, or an absent file)`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
