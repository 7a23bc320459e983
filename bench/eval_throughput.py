#!/usr/bin/env python3
"""Wall time and cases per second of `slm eval` on the 100-case additions set (spec/eval.md; issue
12's target: seconds, not minutes; issue 15's: under 2 s), on the buggy additions parent in f32 and
q8_0, and through the sparse fix.

Uses the committed case inputs of conformance/cases/eval/ (the set, the program, the fix), builds the
parents with `slm gen model --program`, and runs every configuration once per round for --runs rounds
(interleaved), keeping the median. --threads takes a list; it is passed to `slm eval` only when its
--help mentions --threads (otherwise everything is recorded at threads = 1).
Writes OUT/eval.json and OUT/eval.md. Numbers are for people; tests never assert them.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import benchlib


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slm", required=True)
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="all", help="comma list of thread counts, or 'all' (1..cores)")
    args = ap.parse_args()
    cases = os.path.join(args.source, "conformance", "cases", "eval")
    threaded = benchlib.supports([args.slm, "eval"], "--threads")
    threads = benchlib.thread_list(args.threads) if threaded else [1]
    runs = [
        ("f32 parent", "additions-f32-parent", []),
        ("q8_0 parent", "additions-q8_0-parent", []),
        ("f32 parent + sparse fix", "additions-f32-parent", [os.path.join(cases, "additions-fix-sparse", "fix.asp")]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        configs = []
        for label, parent_case, adapters in runs:
            model = os.path.join(tmp, parent_case + ".slm")
            if not os.path.exists(model):
                r = subprocess.run([args.slm, "gen", "model", "--program", os.path.join(cases, parent_case, "program.json"),
                                    "-o", model], capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(r.stderr)
            for t in threads:
                out = os.path.join(tmp, f"{len(configs)}.json")
                cmd = [args.slm, "eval", model, os.path.join(cases, parent_case, "set.jsonl"), "-o", out]
                for a in adapters:
                    cmd += ["--adapter", a]
                if threaded:
                    cmd += ["--threads", str(t)]
                configs.append({"run": label, "threads": t, "cmd": cmd, "out": out, "times": []})
        for _ in range(args.runs):
            for c in configs:
                if os.path.exists(c["out"]):
                    os.remove(c["out"])
                t, _, _ = benchlib.run_timed(c["cmd"], ok_codes=(0, 1))  # 1: the gate failed, as it should on a buggy parent
                c["times"].append(t)
        rows = []
        for c in configs:
            with open(c["out"]) as f:
                sidecar = json.load(f)
            totals = sidecar["reproducible"]["totals"]
            med = benchlib.median(c["times"])
            rows.append({"run": c["run"], "threads": c["threads"], "cases": totals["cases"], "passed": totals["passed"],
                         "model_bytes": sidecar["reproducible"]["resources"]["model_bytes"],
                         "median_seconds": round(med, 4), "cases_per_second": round(totals["cases"] / med, 1),
                         "samples": [round(t, 4) for t in c["times"]]})
    slowest = max(r["median_seconds"] for r in rows)
    targets = [{"target": "slm eval, 100-case additions set, slowest configuration, seconds", "measured": slowest,
                "goal": 2.0, "met": slowest < 2.0, "lower_is_better": True}]
    report = {"benchmark": "eval_throughput", "date": benchlib.now(), "host": benchlib.host(), "runs": args.runs,
              "threads_supported": threaded, "rows": rows, "targets": targets}
    benchlib.write_json(os.path.join(args.out, "eval.json"), report)
    h = report["host"]
    with open(os.path.join(args.out, "eval.md"), "w") as f:
        f.write(f"# `slm eval` on the 100 additions (median of {args.runs} interleaved rounds, whole command)\n\n")
        f.write(f"{report['date']}, {h['platform']}, {h['cpu_count']} cores. Written by bench/eval_throughput.py.")
        if not threaded:
            f.write(" `slm eval` takes no --threads yet: single-threaded.")
        f.write("\n\n| run | threads | cases | passed | model bytes | seconds | cases/s |\n|---|--:|--:|--:|--:|--:|--:|\n")
        for r in rows:
            f.write(f"| {r['run']} | {r['threads']} | {r['cases']} | {r['passed']} | {r['model_bytes']} | "
                    f"{r['median_seconds']} | {r['cases_per_second']} |\n")
    with open(os.path.join(args.out, "eval.md")) as f:
        print(f.read())


if __name__ == "__main__":
    main()
