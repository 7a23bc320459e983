// The wasm32 build must compute the native build's logits bit for bit: runs the fixed forward pass
// of reference/tests/test_generate.cpp (Generate.BitIdenticalAcrossBuilds) on the same models and
// compares with the fingerprints recorded in reference/tests/data/forward-fingerprints.txt.
// Usage: node wasm/check-forward.mjs slm_wasm.wasm FINGERPRINTS MODEL_f32.slm MODEL_q8_0.slm MODEL_q4_0.slm
import { readFileSync } from 'node:fs';
import { loadSlm } from './loader.mjs';

const [wasmPath, fingerprintsPath, ...models] = process.argv.slice(2);
const expected = readFileSync(fingerprintsPath, 'utf8').split('\n')
  .filter((line) => line.trim() && !line.startsWith('#')).map((line) => BigInt('0x' + line.split(/\s+/)[1]));
const slm = await loadSlm(readFileSync(wasmPath));
let passed = 0, failed = 0;
models.forEach((path, i) => {
  const got = slm.forwardFingerprint(readFileSync(path), 16);
  if (got === expected[i]) passed++;
  else { failed++; console.log(`FAIL ${path}: wasm ${got.toString(16)}, native ${expected[i].toString(16)}`); }
});
console.log(`wasm forward: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed === models.length && passed > 0 ? 0 : 1);
