// Loads slm_wasm.wasm (standalone, raw exports) in Node 20 or a browser, supplying the few imports
// an Emscripten STANDALONE_WASM module asks for. No JS glue.
export async function loadSlm(wasmBytes) {
  let instance;
  const memory = () => instance.exports.memory;
  const imports = {
    env: { emscripten_notify_memory_growth: () => {} },
    wasi_snapshot_preview1: {
      proc_exit: (code) => { throw new Error(`wasm called proc_exit(${code})`); },
      fd_close: () => 0,
      // generation times its steps (diagnostics only, never compared): a monotonic clock in ns
      clock_time_get: (clockId, precision, timePtr) => {
        new DataView(memory().buffer).setBigUint64(timePtr, BigInt(Math.round(performance.now() * 1e6)), true);
        return 0;
      },
      fd_seek: () => 0,
      fd_write: (fd, iovs, iovsLen, nwritten) => {  // count bytes so stdio calls terminate
        const view = new DataView(memory().buffer);
        let total = 0;
        for (let i = 0; i < iovsLen; i++) total += view.getUint32(iovs + 8 * i + 4, true);
        view.setUint32(nwritten, total, true);
        return 0;
      },
    },
  };
  ({ instance } = await WebAssembly.instantiate(wasmBytes, imports));
  if (instance.exports._initialize) instance.exports._initialize();
  const x = instance.exports;
  const cString = (ptr) => {
    const bytes = new Uint8Array(memory().buffer, ptr);
    return new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
  };
  return {
    // XXH64 (as a BigInt) of the logits of a fixed run, for comparing with native builds.
    forwardFingerprint(fileBytes, steps) {
      const ptr = x.slm_alloc(fileBytes.length);
      if (ptr === 0) return 0n;
      new Uint8Array(memory().buffer, ptr, fileBytes.length).set(fileBytes);
      const h = x.slm_forward_fingerprint(ptr, fileBytes.length, steps);
      x.slm_free(ptr);
      return BigInt.asUintN(64, h);
    },
    // Applies adapters (Uint8Arrays, in order) to a parent; returns { ok, code, offset, digest } where
    // digest is the descendant's content digest as lowercase hex.
    applyAdapters(parentBytes, adapters) {
      const copy = (bytes) => {
        const ptr = x.slm_alloc(bytes.length);
        new Uint8Array(memory().buffer, ptr, bytes.length).set(bytes);
        return ptr;
      };
      const parentPtr = copy(parentBytes);
      const ptrs = adapters.map(copy);
      const table = x.slm_alloc(8 * adapters.length + 32);
      const view = new DataView(memory().buffer);
      adapters.forEach((a, i) => {
        view.setUint32(table + 4 * i, ptrs[i], true);
        view.setUint32(table + 4 * adapters.length + 4 * i, a.length, true);
      });
      const out = table + 8 * adapters.length;
      const code = x.slm_apply_adapters(parentPtr, parentBytes.length, table, table + 4 * adapters.length,
                                        adapters.length, out);
      const digest = Array.from(new Uint8Array(memory().buffer, out, 32), (b) => b.toString(16).padStart(2, '0')).join('');
      [parentPtr, ...ptrs, table].forEach((p) => x.slm_free(p));
      const offset = x.slm_last_offset();
      return { ok: code === 0, code: code === 0 ? null : cString(x.slm_last_code_name()),
               offset: offset < 0 ? null : offset, digest: code === 0 ? digest : null };
    },
    // Generates from a model (Uint8Array); returns { ok, code, promptTokens, tokens, firstLogits }.
    generate(fileBytes, { prompt = '', maxTokens = 64, temperature = 0, topK = 0, topP = 1, seed = 0n } = {}) {
      const model = x.slm_alloc(fileBytes.length);
      new Uint8Array(memory().buffer, model, fileBytes.length).set(fileBytes);
      const text = new TextEncoder().encode(prompt);
      const p = x.slm_alloc(text.length);
      new Uint8Array(memory().buffer, p, text.length).set(text);
      const s = BigInt.asUintN(64, BigInt(seed));
      const n = x.slm_generate(model, fileBytes.length, p, text.length, maxTokens, temperature, topK, topP,
                               Number(s & 0xFFFFFFFFn), Number(s >> 32n));
      x.slm_free(model);
      x.slm_free(p);
      if (n < 0) return { ok: false, code: cString(x.slm_last_code_name()) };
      const promptCount = x.slm_last_prompt_count();
      const all = Array.from(new Uint32Array(memory().buffer, x.slm_last_tokens(), promptCount + n));
      const firstLogits = Array.from(new Float32Array(memory().buffer, x.slm_first_logits(), x.slm_first_logits_count()));
      return { ok: true, promptTokens: all.slice(0, promptCount), tokens: all.slice(promptCount), firstLogits };
    },
    // Validates a Uint8Array; returns { ok, code, rule, offset } like `slm validate --json`.
    validate(fileBytes, { verifyDigest = false } = {}) {
      // wasm32 addresses at most 4 GiB: refuse what does not fit instead of truncating (SLM-LIM-007).
      const refuse = { ok: false, code: 'E_LIMIT_ADDRESS_SPACE', rule: 'SLM-LIM-007', offset: 16 };
      if (fileBytes.length > 0xFFFFFFFF) return refuse;
      const ptr = x.slm_alloc(fileBytes.length);
      if (ptr === 0) return refuse;
      new Uint8Array(memory().buffer, ptr, fileBytes.length).set(fileBytes);  // view made after alloc (growth)
      const code = x.slm_validate(ptr, fileBytes.length, verifyDigest ? 1 : 0);
      x.slm_free(ptr);
      const offset = x.slm_last_offset();
      return {
        ok: code === 0,
        code: code === 0 ? null : cString(x.slm_last_code_name()),
        rule: code === 0 ? null : cString(x.slm_last_rule()),
        offset: offset < 0 ? null : offset,
      };
    },
  };
}
