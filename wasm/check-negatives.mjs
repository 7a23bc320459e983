// The wasm build must give the native verdicts: runs every file of a `slm gen negatives` directory
// (and the valid base files given on the command line) through slm_wasm.wasm and compares codes.
// Usage: node wasm/check-negatives.mjs build/wasm/bin/slm_wasm.wasm NEGATIVES_DIR VALID.slm...
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSlm } from './loader.mjs';

const [wasmPath, negativesDir, ...validFiles] = process.argv.slice(2);
const slm = await loadSlm(readFileSync(wasmPath));
let passed = 0, failed = 0;
for (const c of JSON.parse(readFileSync(join(negativesDir, 'manifest.json'), 'utf8'))) {
  const got = slm.validate(readFileSync(join(negativesDir, c.file)), { verifyDigest: c.verify_digest });
  if (got.code === c.expected) passed++;
  else { failed++; console.log(`FAIL ${c.id}: expected ${c.expected}, wasm gave ${got.code}`); }
}
for (const file of validFiles) {
  const got = slm.validate(readFileSync(file), { verifyDigest: true });
  if (got.ok) passed++;
  else { failed++; console.log(`FAIL ${file}: valid file rejected by wasm with ${got.code}`); }
}
console.log(`wasm: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
