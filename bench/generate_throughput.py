#!/usr/bin/env python3
"""Tokens per second of the reference forward pass by dtype x threads, against two baselines, and
prompt-processing tokens per second by prompt length. Writes OUT/generate.json and OUT/generate.md.

Models (generated once into --dir): the stories15m shape (llama2.c's 15M model: dim 288, hidden 768,
6 layers, 6 heads, vocab 32000, seq 256) and the `large` preset (dim 1024, hidden 2816, 2 layers,
vocab 32000, untied; 348 MiB in f32), each in f32, q8_0 and q4_0.

Engines, all on the same files:
  slm              slm_generate_bench MODEL --steps N [--threads T]    the reference, every dtype
  llama2c -O3      slm_generate_bench MODEL --steps N --baseline       run.c's plain loops, -O3, f32,
                                                                       one thread (issue 4's baseline)
  llama2c runomp   slm_llama2c_omp_bench MODEL --steps N --threads T   the same loops compiled like
                                                                       llama2.c's `runomp` target
Prompt processing: `slm generate MODEL --prompt P --max-tokens 0 --json [--threads T]` on the
stories15m shape; the diagnostics' seconds are the forward passes of the prompt (all its tokens but
the last, which goes through the first generation step), so tokens/s = (prompt tokens - 1) / seconds.

--threads takes a list (default: 1 to the number of cores). A binary whose --help (or, for
slm_generate_bench, whose usage line) does not mention --threads runs single-threaded only and is recorded at threads = 1. Every configuration runs once per
round and the rounds repeat --runs times, so machine drift hits all alike (interleaved); medians.
"""
import argparse
import os
import sys

import benchlib

DTYPES = ("f32", "q8_0", "q4_0")
# Long enough for 255 tokens under any of the generated BPE vocabularies (checked at run time).
STORY = ("Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. "
         "One day, she saw a big, red ball in the park. She ran to it and kicked it high into the sky. "
         "Her friend Tom laughed and said they should share the ball and play together until dinner. ")


def prompt_of_length(slm, model, n):
    """The longest prefix of a repeated story that encodes (with BOS) to at most n tokens."""
    text = STORY
    count = lambda t: len(benchlib.run_timed([slm, "tokenize", model, t, "--json"], parse_json=True)[2]["tokens"])
    while count(text) < n:
        text += STORY
    lo, hi = 1, len(text)  # invariant: count(text[:lo]) <= n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count(text[:mid]) <= n:
            lo = mid
        else:
            hi = mid
    return text[:lo], count(text[:lo])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build/default/bin")
    ap.add_argument("--out", default="reports/bench")
    ap.add_argument("--dir", default="build/bench")
    ap.add_argument("--steps", type=int, default=256, help="steps on stories15m (positions 0..N-1)")
    ap.add_argument("--large-steps", type=int, default=64, help="steps on the large preset (0: skip it)")
    ap.add_argument("--runs", type=int, default=5, help="interleaved rounds; medians are reported")
    ap.add_argument("--threads", default="all", help="comma list of thread counts, or 'all' (1..cores)")
    ap.add_argument("--prompt-lengths", default="16,32,64,128,255",
                    help="prompt tokens (BOS included) on stories15m; '' skips prompt processing")
    args = ap.parse_args()

    slm = os.path.join(args.bin, "slm")
    bench = os.path.join(args.bin, "slm_generate_bench")
    omp = os.path.join(args.bin, "slm_llama2c_omp_bench")
    threads = benchlib.thread_list(args.threads)
    bench_threads = benchlib.supports([bench], "--threads", bare=True)
    gen_threads = benchlib.supports([slm, "generate"], "--threads")
    have_omp = os.path.exists(omp)
    notes = []
    if not bench_threads:
        notes.append("slm_generate_bench takes no --threads yet: the reference is measured single-threaded (threads = 1).")
    if not have_omp:
        notes.append(f"{omp} is missing (no OpenMP at configure time): no runomp baseline.")

    presets = [("stories15m", args.steps)] + ([("large", args.large_steps)] if args.large_steps else [])
    models = []
    for preset, steps in presets:
        for dtype in DTYPES:
            path = os.path.join(args.dir, f"{preset}-{dtype}.slm")
            benchlib.ensure_model(slm, path, preset, dtype)
            d = benchlib.run_timed([slm, "generate", path, "--max-tokens", "0", "--json"], parse_json=True)[2]["diagnostics"]
            models.append({"preset": preset, "dtype": dtype, "path": path, "steps": steps,
                           "file_bytes": os.path.getsize(path), "kv_cache_bytes": d["kv_cache_bytes"],
                           "scratch_bytes": d["scratch_bytes"]})

    configs = []  # (key, command, how to read tokens/s)
    for m in models:
        steps = ["--steps", str(m["steps"])]
        for t in (threads if bench_threads else [1]):
            extra = ["--threads", str(t)] if bench_threads else []
            configs.append(({"kind": "generate", "preset": m["preset"], "dtype": m["dtype"], "engine": "slm", "threads": t},
                            [bench, m["path"]] + steps + extra))
        if m["dtype"] == "f32":
            configs.append(({"kind": "generate", "preset": m["preset"], "dtype": "f32", "engine": "llama2c -O3", "threads": 1},
                            [bench, m["path"]] + steps + ["--baseline"]))
            if have_omp:
                for t in threads:
                    configs.append(({"kind": "generate", "preset": m["preset"], "dtype": "f32", "engine": "llama2c runomp",
                                     "threads": t}, [omp, m["path"]] + steps + ["--threads", str(t)]))

    prompt_lengths = [int(n) for n in args.prompt_lengths.split(",") if n.strip()]
    prompt = {"measured": bool(prompt_lengths), "command": "slm generate MODEL --prompt P --max-tokens 0 --json",
              "threads_supported": gen_threads, "rows": []}
    if not prompt_lengths:
        prompt["note"] = "not measured (--prompt-lengths '')"
    elif not benchlib.supports([slm, "generate"], "--prompt"):
        prompt.update(measured=False, note="not measured: `slm generate` takes no --prompt")
        prompt_lengths = []
    else:
        model = next(m for m in models if m["preset"] == "stories15m" and m["dtype"] == "f32")
        if not gen_threads:
            notes.append("`slm generate` takes no --threads yet: prompts are processed single-threaded (threads = 1).")
        for n in prompt_lengths:
            text, got = prompt_of_length(slm, model["path"], n)
            for t in (threads if gen_threads else [1]):
                extra = ["--threads", str(t)] if gen_threads else []
                configs.append(({"kind": "prompt", "preset": "stories15m", "dtype": "f32", "engine": "slm", "threads": t,
                                 "prompt_tokens": got},
                                [slm, "generate", model["path"], "--prompt", text, "--max-tokens", "0", "--json"] + extra))

    samples = [[] for _ in configs]
    for r in range(args.runs):
        for i, (key, cmd) in enumerate(configs):
            _, rss, out = benchlib.run_timed(cmd, parse_json=True)
            if key["kind"] == "generate":
                tps = out["tokens_per_second"]
            else:
                d = out["diagnostics"]
                tps = (d["prompt_tokens"] - 1) / d["seconds"] if d["seconds"] > 0 else 0.0
            samples[i].append((tps, rss))
        print(f"generate_throughput: round {r + 1}/{args.runs} done", file=sys.stderr)

    generate = []
    for (key, cmd), s in zip(configs, samples):
        row = dict(key)
        row.pop("kind")
        row.update(tokens_per_second=round(benchlib.median([t for t, _ in s]), 1),
                   samples=[round(t, 1) for t, _ in s], peak_rss_kib=max(m for _, m in s))
        (generate if key["kind"] == "generate" else prompt["rows"]).append(row)

    def tps(preset, dtype, engine, t):
        return next((g["tokens_per_second"] for g in generate if (g["preset"], g["dtype"], g["engine"], g["threads"])
                     == (preset, dtype, engine, t)), None)

    top = max(threads) if bench_threads else 1
    targets = []

    def target(name, measured, goal):
        if measured is not None:
            targets.append({"target": name, "measured": round(measured, 2), "goal": goal, "met": measured >= goal})

    f32_top = tps("stories15m", "f32", "slm", top)
    if top == 1:  # the reference has no --threads yet: its all-core targets cannot be measured
        why = "not measured: slm_generate_bench has no --threads yet"
        for name, goal in (("stories15m f32, every core, vs llama2c runomp at the same thread count", 1.0),
                           ("stories15m f32, every core, vs our single thread", 1.7),
                           ("large q8_0 vs f32, every core", 1.2), ("large q4_0 vs f32, every core", 1.2)):
            targets.append({"target": name, "measured": None, "goal": goal, "met": None, "note": why})
    else:
        if f32_top and tps("stories15m", "f32", "llama2c runomp", top):
            target(f"stories15m f32, {top} threads, vs llama2c runomp at {top} threads",
                   f32_top / tps("stories15m", "f32", "llama2c runomp", top), 1.0)
        if f32_top and tps("stories15m", "f32", "slm", 1):
            target(f"stories15m f32, {top} threads, vs our single thread", f32_top / tps("stories15m", "f32", "slm", 1), 1.7)
        for q in ("q8_0", "q4_0"):
            if tps("large", q, "slm", top) and tps("large", "f32", "slm", top):
                target(f"large {q} vs f32, {top} threads", tps("large", q, "slm", top) / tps("large", "f32", "slm", top), 1.2)
    if tps("stories15m", "f32", "slm", 1) and tps("stories15m", "f32", "llama2c runomp", 1):
        target("stories15m f32, 1 thread, vs llama2c runomp at 1 thread (for scale)",
               tps("stories15m", "f32", "slm", 1) / tps("stories15m", "f32", "llama2c runomp", 1), 1.0)
    if f32_top and tps("stories15m", "f32", "llama2c -O3", 1):
        target(f"stories15m f32, {top} thread(s), vs the plain -O3 loop (issue 4)",
               f32_top / tps("stories15m", "f32", "llama2c -O3", 1), 1.5)
    p128 = [p for p in prompt["rows"] if p["prompt_tokens"] <= 128]
    ptop = max(p["threads"] for p in prompt["rows"]) if prompt["rows"] else None
    p128 = max((p for p in p128 if p["threads"] == ptop), key=lambda p: p["prompt_tokens"], default=None)
    if p128 and tps("stories15m", "f32", "slm", min(ptop, top)):
        target(f"stories15m f32 prompt of {p128['prompt_tokens']} tokens vs generation, {ptop} thread(s)",
               p128["tokens_per_second"] / tps("stories15m", "f32", "slm", min(ptop, top)), 4.0)
    for m in models:
        rows = [g for g in generate if (g["preset"], g["dtype"], g["engine"]) == (m["preset"], m["dtype"], "slm")]
        expected = m["file_bytes"] + m["kv_cache_bytes"] + m["scratch_bytes"]
        worst = max(g["peak_rss_kib"] * 1024 / expected for g in rows)
        targets.append({"target": f"peak RSS / (file + KV + scratch), {m['preset']} {m['dtype']}, any thread count",
                        "measured": round(worst, 3), "goal": 1.1, "met": worst <= 1.1, "lower_is_better": True})

    report = {"benchmark": "generate_throughput", "date": benchlib.now(), "host": benchlib.host(), "runs": args.runs,
              "threads": threads if (bench_threads or have_omp) else [1],
              "threads_supported": {"slm_generate_bench": bench_threads, "slm generate": gen_threads}, "notes": notes,
              "models": models, "generate": generate, "prompt": prompt, "targets": targets}
    benchlib.write_json(os.path.join(args.out, "generate.json"), report)

    h = report["host"]
    lines = ["# Forward-pass throughput by dtype x threads, and prompt processing", "",
             f"{report['date']}, {h['platform']}, {h['cpu_count']} cores; median of {args.runs} interleaved rounds. "
             "Written by bench/generate_throughput.py; plots in index.md.", ""]
    lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    for preset, steps in presets:
        lines += [f"## {preset} ({steps} steps)", "", "| dtype | engine | threads | tokens/s | peak RSS MiB | file + KV + scratch MiB |",
                  "|---|---|--:|--:|--:|--:|"]
        for g in (g for g in generate if g["preset"] == preset):
            m = next(m for m in models if (m["preset"], m["dtype"]) == (preset, g["dtype"]))
            lines.append(f"| {g['dtype']} | {g['engine']} | {g['threads']} | {g['tokens_per_second']:.1f} | "
                         f"{g['peak_rss_kib'] / 1024:.1f} | {(m['file_bytes'] + m['kv_cache_bytes'] + m['scratch_bytes']) / 2**20:.1f} |")
        lines.append("")
    lines += ["## Prompt processing, stories15m f32", ""]
    if prompt["rows"]:
        lines += ["| prompt tokens | threads | tokens/s |", "|--:|--:|--:|"]
        lines += [f"| {p['prompt_tokens']} | {p['threads']} | {p['tokens_per_second']:.1f} |" for p in prompt["rows"]]
    else:
        lines.append(prompt.get("note", "not measured"))
    lines += ["", "## Targets (issue 15)", "", "| target | measured | goal | met |", "|---|--:|--:|---|"]
    for t in targets:
        lines.append(f"| {t['target']} | {t.get('note') or t['measured']} | {'<=' if t.get('lower_is_better') else '>='} "
                     f"{t['goal']} | {'-' if t['met'] is None else 'yes' if t['met'] else 'no'} |")
    lines.append("")
    with open(os.path.join(args.out, "generate.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
