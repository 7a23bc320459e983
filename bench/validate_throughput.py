#!/usr/bin/env python3
"""Whole-command throughput of `slm validate` and `slm validate --digest` by file size, against the
standard tools on the same file from the page cache:

  slm validate FILE            the reference validator (XXH64 checksum, streaming)
  cat FILE > /dev/null         the memory-bandwidth limit
  xxhsum -H1 FILE              the fastest standalone tool for the same checksum (XXH64)
  slm validate --digest FILE   full validation (adds SHA-256 over the file)
  openssl dgst -sha256 FILE    SHA-256 at the hardware's speed (SHA extensions through libcrypto)
  sha256sum FILE               coreutils' SHA-256, for scale

Files: generated packages from 0.5 MiB to 348 MiB (kept in build/bench/). For each file the commands
run one after another, round by round (--runs rounds), so every ratio comes from one run with its
baseline interleaved; medians of wall time, largest peak RSS (GNU time). Small files measure process
start-up as much as hashing: that is what a user of the command pays.
Writes OUT/validate.json and OUT/validate.md. Targets (issues 2 and 15): validate >= 0.8x xxhsum -H1
and >= 0.4x cat, validate --digest >= 0.8x openssl dgst -sha256, peak RSS < 64 MiB, on the largest file.
"""
import argparse
import os
import shutil
import sys

import benchlib

# (file name in --dir, preset, dtype): about 0.5, 8.5, 58 and 348 MiB.
FILES = [("small-f32.slm", "small", "f32"), ("stories15m-q4_0.slm", "stories15m", "q4_0"),
         ("stories15m-f32.slm", "stories15m", "f32"), ("large.slm", "large", None)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slm", required=True, help="path to the slm binary")
    ap.add_argument("--out", default="reports/bench")
    ap.add_argument("--dir", default="build/bench", help="where the generated packages are kept")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()

    commands = {  # name -> argv without the file
        "slm validate": [args.slm, "validate"],
        "cat": ["cat"],
        "xxhsum -H1": ["xxhsum", "-H1"],
        "slm validate --digest": [args.slm, "validate", "--digest"],
        "openssl dgst -sha256": ["openssl", "dgst", "-sha256"],
        "sha256sum": ["sha256sum"],
    }
    missing = [n for n, c in commands.items() if not (os.path.exists(c[0]) or shutil.which(c[0]))]
    for n in missing:
        print(f"validate_throughput: {n} not found, skipped", file=sys.stderr)
        del commands[n]

    sizes = []
    for name, preset, dtype in FILES:
        path = os.path.join(args.dir, name)
        benchlib.ensure_model(args.slm, path, preset, dtype)
        size = os.path.getsize(path)
        benchlib.run_timed(["cat", path], capture=False)  # into the page cache
        samples = {n: [] for n in commands}
        for _ in range(args.runs):
            for n, cmd in commands.items():
                t, rss, _ = benchlib.run_timed(cmd + [path], capture=False)
                samples[n].append((t, rss))
        results = {}
        for n, cmd in commands.items():
            times = [t for t, _ in samples[n]]
            med = benchlib.median(times)
            results[n] = {"command": " ".join(cmd + [path]), "median_s": med, "min_s": min(times),
                          "mb_per_s": size / med / 1e6, "peak_rss_kib": max(r for _, r in samples[n])}
        sizes.append({"path": path, "bytes": size, "results": results})
        print(f"validate_throughput: {path} ({size} bytes) done", file=sys.stderr)

    def ratio(res, a, b):  # how fast a is relative to b (> 1: a is faster)
        return res[b]["median_s"] / res[a]["median_s"] if a in res and b in res else None

    for s in sizes:
        r = s["results"]
        s["ratios"] = {k: v for k, v in {
            "validate_vs_cat": ratio(r, "slm validate", "cat"),
            "validate_vs_xxhsum": ratio(r, "slm validate", "xxhsum -H1"),
            "digest_vs_openssl": ratio(r, "slm validate --digest", "openssl dgst -sha256"),
            "digest_vs_sha256sum": ratio(r, "slm validate --digest", "sha256sum")}.items() if v is not None}

    largest = sizes[-1]
    ratios, v = largest["ratios"], largest["results"]["slm validate"]
    targets = []
    for key, label, goal in (("validate_vs_xxhsum", "slm validate vs xxhsum -H1", 0.8),
                             ("validate_vs_cat", "slm validate vs cat", 0.4),
                             ("digest_vs_openssl", "slm validate --digest vs openssl dgst -sha256", 0.8)):
        if key in ratios:
            targets.append({"target": f"{label}, {largest['bytes'] / 2**20:.0f} MiB file", "measured": round(ratios[key], 2),
                            "goal": goal, "met": ratios[key] >= goal})
    peak = max(s["results"][n]["peak_rss_kib"] for s in sizes for n in ("slm validate", "slm validate --digest"))
    targets.append({"target": "slm validate (--digest) peak RSS MiB, any file size", "measured": round(peak / 1024, 1),
                    "goal": 64, "met": peak < 64 * 1024, "lower_is_better": True})
    report = {
        "benchmark": "validate_throughput", "date": benchlib.now(), "host": benchlib.host(), "runs": args.runs,
        "sizes": sizes,
        # the largest file, as issue 2's report had it
        "file": {"path": largest["path"], "bytes": largest["bytes"]}, "results": largest["results"], "ratios": ratios,
        "targets": targets,
    }
    benchlib.write_json(os.path.join(args.out, "validate.json"), report)

    h = report["host"]
    lines = ["# `slm validate` throughput by file size", "",
             f"{report['date']}, {h['platform']}, {h['cpu_count']} cores. Files from the page cache; median of "
             f"{args.runs} interleaved rounds. Written by bench/validate_throughput.py; plots in index.md.", "",
             "| file | MiB | command | median s | MB/s | peak RSS MiB |", "|---|--:|---|--:|--:|--:|"]
    for s in sizes:
        for n, r in s["results"].items():
            lines.append(f"| `{os.path.basename(s['path'])}` | {s['bytes'] / 2**20:.1f} | `{n}` | {r['median_s']:.4f} | "
                         f"{r['mb_per_s']:.0f} | {r['peak_rss_kib'] / 1024:.1f} |")
    lines += ["", "| file | validate / cat | validate / xxhsum | --digest / openssl | --digest / sha256sum |",
              "|---|--:|--:|--:|--:|"]
    for s in sizes:
        r = s["ratios"]
        cell = lambda k: f"{r[k]:.2f}x" if k in r else "-"
        lines.append(f"| `{os.path.basename(s['path'])}` | {cell('validate_vs_cat')} | {cell('validate_vs_xxhsum')} | "
                     f"{cell('digest_vs_openssl')} | {cell('digest_vs_sha256sum')} |")
    lines += ["", "| target | measured | goal | met |", "|---|--:|--:|---|"]
    for t in targets:
        lines.append(f"| {t['target']} | {t['measured']} | {'<' if t.get('lower_is_better') else '>='} {t['goal']} | "
                     f"{'yes' if t['met'] else 'no'} |")
    lines.append("")
    with open(os.path.join(args.out, "validate.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
