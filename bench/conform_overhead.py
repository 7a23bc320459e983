#!/usr/bin/env python3
"""The harness's cost per case: wall time of `slm conform` over the whole case tree through the
in-process reference (`--runtime ref`) and through the reference as a protocol speaker in a child
process (`--runtime "cmd:slm protocol"`), interleaved round by round, medians.

Seconds per case = median wall time / cases run; the protocol's overhead per case is the difference
of the two. Generated inputs are cached in --cache (a warm-up run of each runtime fills it first), so
the rounds time the cases, not the generators. --threads N is passed to `slm protocol` only when its
--help mentions --threads. Issue 15's target: `slm conform --runtime ref` over all cases in under 5 s.
Writes OUT/conform.json and OUT/conform.md.
"""
import argparse
import os
import re
import shlex
import sys

import benchlib


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slm", required=True)
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--out", default="reports/bench")
    ap.add_argument("--cache", default="build/bench/conform-cache")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="threads of the protocol speaker (if it takes --threads)")
    args = ap.parse_args()
    cases = os.path.join(args.source, "conformance", "cases")
    slm = os.path.abspath(args.slm)
    speaker = [slm, "protocol"]
    if args.threads is not None and benchlib.supports([slm, "protocol"], "--threads"):
        speaker += ["--threads", str(args.threads)]
    runtimes = {"ref": "ref", "cmd:slm protocol": "cmd:" + shlex.join(speaker)}

    def conform(runtime):
        cmd = [slm, "conform", "--runtime", runtime, "--cases", cases, "--report", "", "--cache", args.cache, "--no-progress"]
        t, rss, out = benchlib.run_timed(cmd, ok_codes=(0, 1))
        m = re.search(r"conform: (\d+) passed, (\d+) failed, (\d+) errored, (\d+) skipped", out)
        if not m:
            sys.exit(f"conform_overhead: no summary line from {' '.join(cmd)}:\n{out}")
        passed, failed, errored, skipped = map(int, m.groups())
        return t, rss, {"passed": passed, "failed": failed, "errored": errored, "skipped": skipped}

    counts = {}
    for name, rt in runtimes.items():  # warm-up: fills the cache of generated inputs
        counts[name] = conform(rt)[2]
    samples = {name: [] for name in runtimes}
    for r in range(args.runs):
        for name, rt in runtimes.items():
            t, rss, c = conform(rt)
            samples[name].append((t, rss))
            counts[name] = c
        print(f"conform_overhead: round {r + 1}/{args.runs} done", file=sys.stderr)
    rows = []
    for name, rt in runtimes.items():
        c = counts[name]
        ran = c["passed"] + c["failed"] + c["errored"]
        med = benchlib.median([t for t, _ in samples[name]])
        rows.append({"runtime": name, "argument": rt, **c, "cases_run": ran, "median_seconds": round(med, 3),
                     "ms_per_case": round(1000 * med / ran, 3), "peak_rss_kib": max(m for _, m in samples[name]),
                     "samples": [round(t, 3) for t, _ in samples[name]]})
    ref, cmd = rows
    overhead_ms = cmd["ms_per_case"] - ref["ms_per_case"]
    targets = [{"target": "slm conform --runtime ref over all cases, seconds", "measured": ref["median_seconds"], "goal": 5.0,
                "met": ref["median_seconds"] < 5.0, "lower_is_better": True}]
    report = {"benchmark": "conform_overhead", "date": benchlib.now(), "host": benchlib.host(), "runs": args.runs,
              "cases_dir": os.path.relpath(cases, args.source), "rows": rows,
              "protocol_overhead_ms_per_case": round(overhead_ms, 3), "targets": targets}
    benchlib.write_json(os.path.join(args.out, "conform.json"), report)
    h = report["host"]
    lines = ["# Harness overhead per case: `slm conform` through `ref` and `cmd:slm protocol`", "",
             f"{report['date']}, {h['platform']}, {h['cpu_count']} cores; the whole case tree, inputs cached, median of "
             f"{args.runs} interleaved rounds. Written by bench/conform_overhead.py.", "",
             "| runtime | cases run | passed | failed | errored | skipped | seconds | ms per case | peak RSS MiB |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        lines.append(f"| `{r['runtime']}` | {r['cases_run']} | {r['passed']} | {r['failed']} | {r['errored']} | {r['skipped']} | "
                     f"{r['median_seconds']:.3f} | {r['ms_per_case']:.2f} | {r['peak_rss_kib'] / 1024:.1f} |")
    lines += ["", f"Per-case difference, `cmd:` minus `ref`: {overhead_ms:+.2f} ms (the protocol: a child process, requests "
              "and answers as JSON lines; within the noise when it is near zero).", ""]
    with open(os.path.join(args.out, "conform.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
