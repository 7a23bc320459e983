#!/usr/bin/env python3
"""SVG plots of reports/bench/*.json and reports/bench/index.md, which shows each plot with the
numbers behind it. The JSON files written by the benchmark scripts are the only input: rerunning
this script on the same JSON writes byte-identical SVGs (fixed svg.hashsalt, no date in the
metadata, text kept as text).

  python3 bench/plots.py [--dir reports/bench]

Needs matplotlib (Debian: python3-matplotlib; scripts/install-deps bench).
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator  # noqa: E402

matplotlib.rcParams.update({
    "svg.hashsalt": "slm-bench",   # deterministic ids for clip paths and the like
    "svg.fonttype": "none",        # text stays text: sharp at any zoom, small diffs
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.alpha": 0.35,
    "figure.dpi": 100,
})
METADATA = {"Date": None, "Creator": "bench/plots.py (matplotlib)"}

# One colour per series across every figure; baselines hatched so they read in grey too.
STYLE = {
    ("slm", "f32"): dict(color="#1f77b4"),
    ("slm", "q8_0"): dict(color="#2ca02c"),
    ("slm", "q4_0"): dict(color="#9467bd"),
    ("llama2c runomp", "f32"): dict(color="#d62728", hatch="//"),
    ("llama2c -O3", "f32"): dict(color="#8c8c8c", hatch=".."),
}
LABEL = {
    ("slm", "f32"): "slm f32", ("slm", "q8_0"): "slm q8_0", ("slm", "q4_0"): "slm q4_0",
    ("llama2c runomp", "f32"): "llama2.c runomp (-Ofast -march=native -fopenmp), f32",
    ("llama2c -O3", "f32"): "llama2.c plain loop -O3, f32, 1 thread",
}
CMD_STYLE = {
    "slm validate": dict(color="#1f77b4", marker="o", linestyle="-"),
    "cat": dict(color="#8c8c8c", marker="s", linestyle="--"),
    "xxhsum -H1": dict(color="#ff7f0e", marker="^", linestyle="--"),
    "slm validate --digest": dict(color="#2ca02c", marker="o", linestyle="-"),
    "openssl dgst -sha256": dict(color="#d62728", marker="^", linestyle="--"),
    "sha256sum": dict(color="#9467bd", marker="v", linestyle="--"),
}


def load(d, name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def save(fig, d, name):
    fig.savefig(os.path.join(d, name), format="svg", metadata=METADATA, bbox_inches="tight")
    plt.close(fig)


def bar_labels(ax, bars, fmt="{:.0f}"):
    for b in bars:
        h = b.get_height()
        if h > 0:
            ax.annotate(fmt.format(h), (b.get_x() + b.get_width() / 2, h), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8)


def md_table(header, rows, align=None):
    align = align or ["---"] + ["--:"] * (len(header) - 1)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def fmt(x, digits=1):
    return f"{x:,.{digits}f}" if isinstance(x, (int, float)) else str(x)


# --- generation: tokens/s by dtype x threads --------------------------------------------------------

SHAPES = {"stories15m": "stories15m shape (dim 288, hidden 768, 6 layers, vocab 32000)",
          "large": "large preset (dim 1024, hidden 2816, 2 layers, vocab 32000, untied; 348 MiB in f32)"}


def plot_generate(d, g, preset):
    rows = [r for r in g["generate"] if r["preset"] == preset]
    if not rows:
        return None
    threads = sorted({r["threads"] for r in rows})
    series = [s for s in STYLE if any((r["engine"], r["dtype"]) == s for r in rows)]
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    for i, s in enumerate(series):
        xs, ys = [], []
        for j, t in enumerate(threads):
            r = next((r for r in rows if (r["engine"], r["dtype"], r["threads"]) == (*s, t)), None)
            if r:
                xs.append(j + (i - (len(series) - 1) / 2) * width)
                ys.append(r["tokens_per_second"])
        bars = ax.bar(xs, ys, width * 0.92, label=LABEL[s], edgecolor="white" if "hatch" not in STYLE[s] else "black",
                      linewidth=0.5, **STYLE[s])
        bar_labels(ax, bars)
    ax.set_xticks(range(len(threads)), [f"{t} thread{'s' if t > 1 else ''}" for t in threads])
    single = not g.get("threads_supported", {}).get("slm_generate_bench", True)
    ax.set_xlabel("threads" + (" (slm_generate_bench has no --threads yet: the reference is shown at 1 thread only)"
                               if single and len(threads) > 1 else ""))
    ax.set_ylabel("tokens/s (higher is better)")
    ax.set_title(f"Generation throughput, {SHAPES.get(preset, preset)}", loc="left")
    ax.margins(y=0.12)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    name = f"generate-{preset}.svg"
    save(fig, d, name)
    table = md_table(["engine", "dtype", "threads", "tokens/s (median)", "runs (tokens/s)", "peak RSS MiB"],
                     [[r["engine"], r["dtype"], r["threads"], fmt(r["tokens_per_second"]),
                       ", ".join(fmt(x) for x in r.get("samples", [])), fmt(r["peak_rss_kib"] / 1024)] for r in rows],
                     ["---", "---", "--:", "--:", "---", "--:"])
    return name, table


def plot_prompt(d, g):
    p = g.get("prompt", {})
    rows = p.get("rows", [])
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    for i, t in enumerate(sorted({r["threads"] for r in rows})):
        pts = sorted((r["prompt_tokens"], r["tokens_per_second"]) for r in rows if r["threads"] == t)
        c = colors[i % len(colors)]
        ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", color=c,
                label=f"prompt processing, {t} thread{'s' if t > 1 else ''}")
        gen = next((r["tokens_per_second"] for r in g["generate"] if (r["preset"], r["dtype"], r["engine"], r["threads"])
                    == ("stories15m", "f32", "slm", t)), None)
        if gen:
            ax.axhline(gen, color=c, linestyle=":", label=f"generation (slm_generate_bench), {t} thread{'s' if t > 1 else ''}")
    ax.set_xscale("log", base=2)
    xs = sorted({r["prompt_tokens"] for r in rows})
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.minorticks_off()
    ax.set_xlabel("prompt length (tokens, BOS included)")
    ax.set_ylabel("prompt tokens/s (higher is better)")
    ax.margins(y=0.15)
    ax.set_ylim(bottom=0)
    ax.set_title("Prompt processing, stories15m shape f32 (slm generate --max-tokens 0)", loc="left")
    ax.legend(fontsize=8, loc="lower right", framealpha=0.9)
    save(fig, d, "prompt.svg")
    table = md_table(["prompt tokens", "threads", "tokens/s (median)", "runs (tokens/s)"],
                     [[r["prompt_tokens"], r["threads"], fmt(r["tokens_per_second"]),
                       ", ".join(fmt(x) for x in r.get("samples", []))] for r in rows],
                     ["--:", "--:", "--:", "---"])
    return "prompt.svg", table


# --- validation: MB/s by file size ----------------------------------------------------------------

def plot_validate(d, v):
    sizes = v.get("sizes")
    if not sizes:
        return None
    panels = [("Checksum (XXH64): slm validate", ["slm validate", "cat", "xxhsum -H1"]),
              ("SHA-256: slm validate --digest", ["slm validate --digest", "openssl dgst -sha256", "sha256sum"])]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharey=True)
    mib = [s["bytes"] / 2**20 for s in sizes]
    for ax, (title, names) in zip(axes, panels):
        for n in names:
            pts = [(m, s["results"][n]["mb_per_s"]) for m, s in zip(mib, sizes) if n in s["results"]]
            if pts:
                ax.plot([x for x, _ in pts], [y for _, y in pts], label=n, **CMD_STYLE[n])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
        ax.set_xticks(mib, [f"{m:.1f}" if m < 10 else f"{m:.0f}" for m in mib])
        ax.minorticks_off()
        ax.set_xlabel("file size (MiB, log scale)")
        ax.set_title(title, loc="left")
        ax.legend(fontsize=8, loc="upper left", framealpha=0.9)
    axes[0].yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))
    axes[0].set_ylabel("throughput (MB/s, log scale; higher is better)")
    fig.suptitle("Whole-command throughput by file size, page cache (small files: process start-up dominates)",
                 fontsize=11, x=0.01, ha="left")
    save(fig, d, "validate.svg")
    names = list(sizes[-1]["results"])
    rows = []
    for s in sizes:
        rows.append([f"{s['bytes'] / 2**20:.1f}"] + [fmt(s["results"][n]["mb_per_s"], 0) if n in s["results"] else "-"
                                                     for n in names])
    table = md_table(["file MiB"] + [f"`{n}` MB/s" for n in names], rows)
    rat = v["sizes"][0].get("ratios")
    if rat is not None:
        keys = [("validate_vs_cat", "validate / cat"), ("validate_vs_xxhsum", "validate / xxhsum -H1"),
                ("digest_vs_openssl", "--digest / openssl"), ("digest_vs_sha256sum", "--digest / sha256sum")]
        table += [""] + md_table(["file MiB"] + [k[1] for k in keys],
                                 [[f"{s['bytes'] / 2**20:.1f}"] + [f"{s['ratios'][k]:.2f}x" if k in s["ratios"] else "-"
                                                                   for k, _ in keys] for s in sizes])
    return "validate.svg", table


# --- eval cases/s and the harness's per-case cost ---------------------------------------------------

def plot_eval(d, e):
    rows = e.get("rows")
    if not rows or "cases_per_second" not in rows[0]:
        return None
    labels = [f"{r['run']}, {r.get('threads', 1)} thread{'s' if r.get('threads', 1) > 1 else ''}" for r in rows]
    fig, ax = plt.subplots(figsize=(8.5, 0.55 * len(rows) + 1.6))
    bars = ax.barh(range(len(rows)), [r["cases_per_second"] for r in rows], color="#1f77b4", height=0.6)
    for b, r in zip(bars, rows):
        ax.annotate(f"{r['cases_per_second']:.0f} cases/s ({r['median_seconds']:.2f} s for {r['cases']})",
                    (b.get_width(), b.get_y() + b.get_height() / 2), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.margins(x=0.35)
    ax.set_xlabel("eval cases/s (whole `slm eval` command; higher is better)")
    ax.set_title("slm eval on the 100-case additions set", loc="left")
    save(fig, d, "eval.svg")
    table = md_table(["run", "threads", "cases", "passed", "seconds (median)", "cases/s", "runs (s)"],
                     [[r["run"], r.get("threads", 1), r["cases"], r["passed"], fmt(r["median_seconds"], 3),
                       fmt(r["cases_per_second"]), ", ".join(fmt(x, 3) for x in r.get("samples", []))] for r in rows],
                     ["---", "--:", "--:", "--:", "--:", "--:", "---"])
    return "eval.svg", table


def plot_conform(d, c):
    rows = c.get("rows")
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 2.6))
    bars = ax.barh(range(len(rows)), [r["ms_per_case"] for r in rows], color=["#1f77b4", "#ff7f0e"][:len(rows)], height=0.55)
    for b, r in zip(bars, rows):
        ax.annotate(f"{r['ms_per_case']:.2f} ms/case ({r['median_seconds']:.2f} s for {r['cases_run']} cases)",
                    (b.get_width(), b.get_y() + b.get_height() / 2), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [f"--runtime {r['runtime']}" for r in rows])
    ax.invert_yaxis()
    ax.margins(x=0.45)
    ax.set_xlabel("wall time per case (ms; lower is better)")
    ax.set_title("slm conform over the whole case tree: in-process reference vs protocol speaker", loc="left")
    save(fig, d, "conform.svg")
    table = md_table(["runtime", "cases run", "passed", "skipped", "seconds (median)", "ms per case", "runs (s)"],
                     [[f"`{r['runtime']}`", r["cases_run"], r["passed"], r["skipped"], fmt(r["median_seconds"], 3),
                       fmt(r["ms_per_case"], 2), ", ".join(fmt(x, 3) for x in r.get("samples", []))] for r in rows],
                     ["---", "--:", "--:", "--:", "--:", "--:", "---"])
    table += ["", f"Per-case difference, `cmd:` minus `ref`: {c['protocol_overhead_ms_per_case']:+.2f} ms."]
    return "conform.svg", table


def plot_wasm(d, w):
    rows = w.get("rows") if isinstance(w, dict) else None
    if not rows or "native_tps" not in rows[0]:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.8))
    xs = range(len(rows))
    b1 = ax.bar([x - 0.2 for x in xs], [r["native_tps"] for r in rows], 0.38, label="native (AVX2), 1 thread", color="#1f77b4")
    b2 = ax.bar([x + 0.2 for x in xs], [r["wasm_tps"] for r in rows], 0.38, label="wasm32 (SIMD128) in Node", color="#ff7f0e")
    bar_labels(ax, b1)
    bar_labels(ax, b2)
    ax.set_xticks(list(xs), [r["dtype"] for r in rows])
    ax.set_xlabel("dtype")
    ax.set_ylabel("tokens/s (higher is better)")
    ax.margins(y=0.12)
    ax.set_title("WebAssembly vs native generation, stories15m shape", loc="left")
    ax.legend(fontsize=8, loc="upper left")
    save(fig, d, "wasm.svg")
    # the ratio wasm_throughput.mjs computed (the statistic of each interleaved pair's ratio), and the
    # memory ratio, each against issue 13's target
    ratio = lambda r: r.get("ratio") if r.get("ratio") is not None else r["wasm_tps"] / r["native_tps"]
    met = lambda ok: "yes" if ok else "**no**"
    table = md_table(["dtype", "native tokens/s", "wasm tokens/s", "wasm / native (>= 0.7)", "met",
                      "peak memory / (file + KV + scratch) (<= 1.1)", "met"],
                     [[r["dtype"], fmt(r["native_tps"]), fmt(r["wasm_tps"]), f"{ratio(r):.2f}", met(ratio(r) >= 0.7),
                       f"{r['memory_ratio']:.3f}" if "memory_ratio" in r else "-",
                       met(r.get("memory_ratio", 9) <= 1.1) if "memory_ratio" in r else "-"]
                      for r in rows])
    return "wasm.svg", table


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="reports/bench")
    args = ap.parse_args()
    d = args.dir
    g, v, e, c, w = (load(d, n) for n in ("generate.json", "validate.json", "eval.json", "conform.json", "wasm.json"))

    host = next((x["host"] for x in (g, v, e, c) if x and "host" in x), {})
    lines = ["# Benchmarks", "",
             "Written by `make bench` (bench/plots.py from the JSON files next to this page; bench/README.md says what "
             "each script measures).", "",
             f"**Noisy machine.** These numbers come from a shared virtual machine with {host.get('cpu_count', 2)} cores "
             f"({host.get('platform', 'Linux')}), where other jobs run at the same time: single runs swing by 30% and more. "
             "Every figure is the **median** of several runs, and every ratio is taken within one run with its baseline "
             "interleaved (each configuration once per round, rounds repeated). Compare ratios, not absolute figures, "
             "across runs. Multi-threaded figures suffer most: on 2 cores any other job stalls one thread at every "
             "barrier, so run `make bench` on an otherwise idle machine.", ""]
    dates = {n: x["date"] for n, x in (("generate", g), ("validate", v), ("eval", e), ("conform", c)) if x and "date" in x}
    if dates:
        lines += ["Measured: " + ", ".join(f"{n} {t}" for n, t in dates.items()) + ".", ""]

    targets = [t for x in (g, v, e, c) if x for t in x.get("targets", [])]
    if targets:
        lines += ["## Targets (issue 15, and the earlier issues' targets it keeps), this run", ""]
        lines += md_table(["target", "measured", "goal", "met"],
                          [[t["target"], t.get("note") or t["measured"],
                            ("<= " if t.get("lower_is_better") else ">= ") + str(t["goal"]),
                            "-" if t["met"] is None else "yes" if t["met"] else "**no**"] for t in targets],
                          ["---", "--:", "--:", "---"])
        lines.append("")

    def section(title, made, intro, missing):
        lines.extend([f"## {title}", ""])
        if made:
            name, table = made
            lines.extend([intro, "", f"![{title}]({name})", ""] + table + [""])
        else:
            lines.extend([missing, ""])

    if g and "generate" in g:
        for note in g.get("notes", []):
            lines.append(f"> {note}")
        if g.get("notes"):
            lines.append("")
        for preset in ("stories15m", "large"):
            section(f"Generation tokens/s, {preset}", plot_generate(d, g, preset),
                    "`slm_generate_bench` (the reference's forward pass, positions 0..N-1, no sampling) by dtype and "
                    "threads, against llama2.c's forward (bench/llama2c_baseline.cpp) compiled plain `-O3` (one thread) "
                    "and like llama2.c's `runomp` target (`-Ofast -march=native -fopenmp`) at the same thread count. "
                    "From generate.json.", f"Not measured: no {preset} rows in generate.json.")
        section("Prompt processing", plot_prompt(d, g),
                "Prompt tokens/s by prompt length: `slm generate --prompt P --max-tokens 0 --json`, whose diagnostics time "
                "the prompt's forward passes; dotted lines are generation tokens/s at the same thread count. "
                "From generate.json.",
                "Prompt processing: **not measured** (" + g.get("prompt", {}).get("note", "no prompt rows in generate.json")
                + ").")
    else:
        lines += ["## Generation", "", "Not measured: generate.json is missing or from an older script.", ""]
    section("Validation throughput", plot_validate(d, v) if v else None,
            "`slm validate` and `slm validate --digest` against `cat`, `xxhsum -H1`, `openssl dgst -sha256` and "
            "`sha256sum` on the same files, MB/s = file bytes / median wall time. From validate.json.",
            "Not measured: validate.json is missing or has no per-size results.")
    section("Eval cases/s", plot_eval(d, e) if e else None,
            "Whole `slm eval` command (load, eval, sidecar) on the 100-case additions set. From eval.json.",
            "Not measured: eval.json is missing or has no cases/s.")
    section("Harness overhead per case", plot_conform(d, c) if c else None,
            "`slm conform` over the whole case tree (generated inputs cached), in-process (`ref`) and through "
            "`slm protocol` as a child process (`cmd:`). From conform.json.",
            "Not measured: conform.json is missing.")
    made = plot_wasm(d, w) if w else None
    if made:
        section("WebAssembly vs native", made, "bench/wasm_throughput.mjs, single thread. From wasm.json.", "")
    others = [f for f in ("apply.md", "micro.json") if os.path.exists(os.path.join(d, f))]
    if others:
        lines += ["## Other reports", ""] + [f"- [{f}]({f})" for f in others] + [""]
    with open(os.path.join(d, "index.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"plots.py: wrote {os.path.join(d, 'index.md')}")


if __name__ == "__main__":
    main()
