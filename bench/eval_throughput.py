#!/usr/bin/env python3
"""Wall time of `slm eval` on the 100-case additions set (spec/eval.md; issue 12's target: seconds,
not minutes), on the buggy additions parent in f32 and q8_0, and through the sparse fix.

Uses the committed case inputs of conformance/cases/eval/ (the set, the program, the fix), builds the
parents with `slm gen model --program`, runs each eval five times and keeps the median.
Writes OUT/eval.json and OUT/eval.md. Numbers are for people; tests never assert them.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--slm", required=True)
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cases = os.path.join(args.source, "conformance", "cases", "eval")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [
            ("f32 parent", "additions-f32-parent", []),
            ("q8_0 parent", "additions-q8_0-parent", []),
            ("f32 parent + sparse fix", "additions-f32-parent", [os.path.join(cases, "additions-fix-sparse", "fix.asp")]),
        ]
        for label, parent_case, adapters in runs:
            model = os.path.join(tmp, parent_case + ".slm")
            if not os.path.exists(model):
                r = subprocess.run([args.slm, "gen", "model", "--program", os.path.join(cases, parent_case, "program.json"), "-o", model],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(r.stderr)
            times = []
            for i in range(5):
                out = os.path.join(tmp, f"s{i}.json")
                if os.path.exists(out):
                    os.remove(out)
                cmd = [args.slm, "eval", model, os.path.join(cases, parent_case, "set.jsonl"), "-o", out]
                for a in adapters:
                    cmd += ["--adapter", a]
                start = time.perf_counter()
                r = subprocess.run(cmd, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                if r.returncode not in (0, 1):
                    sys.exit(r.stderr)
            sidecar = json.load(open(out))
            rows.append({"run": label, "cases": sidecar["reproducible"]["totals"]["cases"],
                         "passed": sidecar["reproducible"]["totals"]["passed"],
                         "model_bytes": sidecar["reproducible"]["resources"]["model_bytes"],
                         "median_seconds": round(statistics.median(times), 4)})
    os.makedirs(args.out, exist_ok=True)
    host = {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}
    json.dump({"host": host, "rows": rows}, open(os.path.join(args.out, "eval.json"), "w"), indent=2)
    with open(os.path.join(args.out, "eval.md"), "w") as f:
        f.write("# `slm eval` on the 100 additions (median of 5, whole command)\n\n")
        f.write(f"Host: {host['machine']}, {host['cpus']} CPUs. Written by bench/eval_throughput.py.\n\n")
        f.write("| run | cases | passed | model bytes | seconds |\n|---|---:|---:|---:|---:|\n")
        for r in rows:
            f.write(f"| {r['run']} | {r['cases']} | {r['passed']} | {r['model_bytes']} | {r['median_seconds']} |\n")
    print(open(os.path.join(args.out, "eval.md")).read())


if __name__ == "__main__":
    main()
