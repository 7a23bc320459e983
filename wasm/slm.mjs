// A small ES module over the raw WASM ABI of spec/wasm-abi.md, for pages and Node 20: no bundler,
// no Emscripten glue. It supplies the module's imports (section 2), copies arguments into blocks
// from slm_alloc, turns codes into SlmError and views results as JavaScript values.
//
//   import { instantiate } from './slm.mjs';
//   const slm = await instantiate(await (await fetch('slm_wasm.wasm')).arrayBuffer());
//   const rt = slm.runtime();
//   rt.load(modelBytes);
//   for (const step of rt.stream('Once upon', { maxTokens: 32 })) show(step.text);

const STOP_REASONS = [null, 'eos', 'max_tokens', 'context'];

/** A call that returned a code other than 0 (spec/wasm-abi.md section 7). */
export class SlmError extends Error {
  /**
   * @param {{code: number, name: string, rule: string, offset: number|null, index: number|null, message: string}} e
   */
  constructor(e) {
    super(`${e.name}${e.rule ? ` (${e.rule})` : ''}${e.offset === null ? '' : ` at offset ${e.offset}`}: ${e.message}`);
    /** numeric code: the row of spec/errors.def */
    this.code = e.code;
    /** stable name, e.g. "E_ADP_PARENT_DIGEST" */
    this.codeName = e.name;
    /** the spec rule the failed check enforces */
    this.rule = e.rule;
    /** byte offset in the failing input, or null */
    this.offset = e.offset;
    /** slm_adapter_apply: the failing adapter's index in the stack; null otherwise */
    this.index = e.index;
    /** the runtime's message for people */
    this.detail = e.message;
  }
}

/**
 * The imports of spec/wasm-abi.md section 2 (none of them decides a result), for any module built
 * like slm_wasm.wasm (the kernel test module too). `memory` returns the instance's memory.
 * @param {() => WebAssembly.Memory} memory
 */
export function hostImports(memory) {
  const view = () => new DataView(memory().buffer);
  return {
    env: { emscripten_notify_memory_growth: () => {} },
    wasi_snapshot_preview1: {
      proc_exit: (code) => { throw new Error(`the module called proc_exit(${code})`); },
      fd_close: () => 0,
      fd_seek: () => 0,
      fd_write: (fd, iovs, iovsLen, nwritten) => {  // counted and dropped: the module writes no output we need
        let total = 0;
        for (let i = 0; i < iovsLen; i++) total += view().getUint32(iovs + 8 * i + 4, true);
        view().setUint32(nwritten, total, true);
        return 0;
      },
      clock_time_get: (clockId, precision, out) => {  // diagnostics' seconds only
        view().setBigUint64(out, BigInt(Math.round(performance.now() * 1e6)), true);
        return 0;
      },
    },
  };
}

/**
 * Instantiates the module. `source` is the .wasm's bytes (ArrayBuffer or a typed array) or a
 * compiled WebAssembly.Module.
 * @param {BufferSource|WebAssembly.Module} source
 */
export async function instantiate(source) {
  let memory = null;
  const view = () => new DataView(memory.buffer);
  const imports = hostImports(() => memory);
  const instance = source instanceof WebAssembly.Module
    ? await WebAssembly.instantiate(source, imports)
    : (await WebAssembly.instantiate(source, imports)).instance;
  memory = instance.exports.memory;
  const x = instance.exports;
  if (x._initialize) x._initialize();
  if (x.slm_abi_version() !== 1) throw new Error(`ABI version ${x.slm_abi_version()}, this module speaks 1`);

  // Views are made after every call: memory may have grown, which detaches old views.
  const bytesAt = (ptr, len) => new Uint8Array(memory.buffer, ptr, len).slice();
  const cString = (ptr) => {
    const all = new Uint8Array(memory.buffer, ptr);
    return new TextDecoder().decode(all.subarray(0, all.indexOf(0)));
  };
  const lastError = () => {
    const offset = x.slm_error_offset();
    const index = x.slm_error_index();
    return new SlmError({
      code: x.slm_error_code(), name: cString(x.slm_error_name()), rule: cString(x.slm_error_rule()),
      offset: offset < 0n ? null : Number(offset), index: index < 0 ? null : index, message: cString(x.slm_error_message()),
    });
  };
  const check = (code) => { if (code !== 0) throw lastError(); };
  const encoder = new TextEncoder();
  /** Copies bytes (or a string as UTF-8) into a new block; returns [ptr, len]. The caller frees it. */
  const put = (data) => {
    const bytes = typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength);
    if (bytes.length === 0) return [0, 0];
    const ptr = x.slm_alloc(bytes.length);
    if (ptr === 0) throw lastError();
    new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  };
  const release = (...ptrs) => { for (const p of ptrs) if (p) x.slm_free(p); };
  const decodeText = (bytes) => new TextDecoder().decode(bytes);  // invalid UTF-8 shows as U+FFFD

  class Runtime {
    constructor() {
      this.handle = x.slm_runtime_new();
      if (this.handle === 0) throw lastError();
    }
    /** Loads a model (SLM1 bytes); verifyDigest also runs check 50. Replaces the loaded one on success only. */
    load(bytes, { verifyDigest = false } = {}) {
      const [ptr, len] = put(bytes);
      const code = x.slm_load(this.handle, ptr, len, verifyDigest ? 1 : 0);
      if (code !== 0) { const e = lastError(); release(ptr); throw e; }  // on success the block is the model's
    }
    unload() { check(x.slm_unload(this.handle)); }
    /** { identity, hyperparameters, file_bytes, tensors, lineage } of the current model. */
    modelInfo() { check(x.slm_model_info(this.handle)); return JSON.parse(this.#output()); }
    /** Throws SlmError when the adapter does not bind to the loaded model or is malformed. */
    validateAdapter(bytes) {
      const [ptr, len] = put(bytes);
      try { check(x.slm_adapter_validate(this.handle, ptr, len)); } finally { release(ptr); }
    }
    /** Applies adapters (in order, to the loaded model), all or nothing. */
    applyAdapters(list) {
      const blocks = [];
      let table = 0;
      try {
        for (const a of list) blocks.push(put(a));
        table = x.slm_alloc(Math.max(8 * list.length, 1));
        if (table === 0) throw lastError();
        const v = view();
        blocks.forEach(([p, n], i) => { v.setUint32(table + 8 * i, p, true); v.setUint32(table + 8 * i + 4, n, true); });
        check(x.slm_adapter_apply(this.handle, table, list.length));
      } finally {
        release(table, ...blocks.map(([p]) => p));
      }
    }
    rollback() { check(x.slm_rollback(this.handle)); }
    /** Sampling for the next generations; seed is a number or BigInt below 2^64. */
    setSampling({ temperature = 0, topK = 0, topP = 1, seed = 0n } = {}) {
      const s = BigInt.asUintN(64, BigInt(seed));
      check(x.slm_sampling(this.handle, temperature, topK >>> 0, topP, Number(s & 0xFFFFFFFFn), Number(s >> 32n)));
    }
    /** { tokens, text, textBytes }: the ids of `text` (string or bytes) and their decoding. */
    tokenize(text, { addBos = true } = {}) {
      const [ptr, len] = put(text);
      try { check(x.slm_tokenize(this.handle, ptr, len, addBos ? 1 : 0)); } finally { release(ptr); }
      const textBytes = bytesAt(x.slm_result_text(this.handle), x.slm_result_text_len(this.handle));
      return { tokens: this.#u32(x.slm_result_tokens(this.handle), x.slm_result_token_count(this.handle)), text: decodeText(textBytes), textBytes };
    }
    /** Starts a generation: the prompt is encoded and fed; then call next() until it returns done. */
    begin(prompt, { maxTokens = 64, logitSteps = 0 } = {}) {
      const [ptr, len] = put(prompt);
      try { check(x.slm_begin(this.handle, ptr, len, maxTokens >>> 0, logitSteps >>> 0)); } finally { release(ptr); }
    }
    /** One token: { token (null when none came), pieceBytes, done, stopReason }. */
    next() {
      const before = x.slm_result_token_count(this.handle);
      check(x.slm_next(this.handle));
      const count = x.slm_result_token_count(this.handle);
      const token = count > before ? this.#u32(x.slm_result_tokens(this.handle), count)[count - 1] : null;
      const stopReason = STOP_REASONS[x.slm_result_stop_reason(this.handle)];
      return { token, pieceBytes: bytesAt(x.slm_result_piece(this.handle), x.slm_result_piece_len(this.handle)), done: stopReason !== null, stopReason };
    }
    /** Yields each generated token with its text as it comes (UTF-8 decoded across pieces). */
    *stream(prompt, options = {}) {
      this.begin(prompt, options);
      const decoder = new TextDecoder();
      let state = { done: STOP_REASONS[x.slm_result_stop_reason(this.handle)] !== null };
      while (!state.done) {
        state = this.next();
        yield { token: state.token, text: decoder.decode(state.pieceBytes, { stream: !state.done }), done: state.done, stopReason: state.stopReason };
      }
    }
    /** The whole generation: { promptTokens, tokens, text, textBytes, stopReason, logits }. */
    generate(prompt, { maxTokens = 64, logitSteps = 0 } = {}) {
      const [ptr, len] = put(prompt);
      try { check(x.slm_generate(this.handle, ptr, len, maxTokens >>> 0, logitSteps >>> 0)); } finally { release(ptr); }
      return this.result();
    }
    /** The result of the last generation so far. */
    result() {
      const h = this.handle;
      const textBytes = bytesAt(x.slm_result_text(h), x.slm_result_text_len(h));
      const vocab = x.slm_result_vocab_size(h);
      const logits = [];
      for (let s = 0; s < x.slm_result_logit_steps(h); s++) logits.push(new Float32Array(memory.buffer, x.slm_result_logits(h, s), vocab).slice());
      return {
        promptTokens: this.#u32(x.slm_result_prompt_tokens(h), x.slm_result_prompt_token_count(h)),
        tokens: this.#u32(x.slm_result_tokens(h), x.slm_result_token_count(h)),
        text: decodeText(textBytes), textBytes, stopReason: STOP_REASONS[x.slm_result_stop_reason(h)], logits,
      };
    }
    /** The diagnostics object of the last generation (schemas/generate-result.schema.json). */
    diagnostics() { check(x.slm_diagnostics(this.handle)); return JSON.parse(this.#output()); }
    /** Runs an eval set (JSON Lines text or bytes) on the current model; returns the sidecar's text. */
    evalSet(set, { policy = null, baseline = null } = {}) {
      const parts = [put(set), policy === null ? [0, 0] : put(policy), baseline === null ? [0, 0] : put(baseline)];
      try { check(x.slm_eval(this.handle, ...parts.flat())); } finally { release(...parts.map(([p]) => p)); }
      return this.#output();
    }
    free() { check(x.slm_runtime_free(this.handle)); this.handle = 0; }
    #output() { return decodeText(bytesAt(x.slm_output(this.handle), x.slm_output_len(this.handle))); }
    #u32(ptr, count) { return Array.from(new Uint32Array(memory.buffer, ptr, count)); }
  }

  return {
    /** The raw exports, for tests of the ABI itself. */
    exports: x,
    memory: () => memory,
    lastError,
    /** A new runtime handle (section 4). */
    runtime: () => new Runtime(),
  };
}
