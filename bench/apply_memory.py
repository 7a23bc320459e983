#!/usr/bin/env python3
"""Peak memory of `slm adapter apply` and `slm gen adapter` on the large preset (spec/tools.md,
issue 10's target: peak RSS within 1.5 x (parent file + adapter files)).

Generates (once, kept in build/bench/) the `large` preset (365 MB f32) and dense adapters bound to it,
then measures with GNU time:
  slm gen adapter --kind dense --entries N --parent large.slm -o dense-N.adp
  slm adapter apply --parent large.slm dense-N.adp -o descendant.slm
for a dense adapter of about 135 MB (the size the issue reported) and one that rewrites every tensor.
Writes OUT/apply.json and OUT/apply.md. Numbers are for people; tests never assert them.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time


def run(cmd):
    """Wall seconds and peak RSS in bytes (GNU time's %M is KiB)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
        return elapsed, int(rss.read().split()[-1]) * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slm", required=True)
    ap.add_argument("--out", default="reports/bench")
    ap.add_argument("--work", default="build/bench")
    ap.add_argument("--entries", type=int, nargs="+", default=[20, 16384],
                    help="dense adapters touching this many tensors (16384: every tensor)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    parent = os.path.join(args.work, "large.slm")
    if not os.path.exists(parent):
        subprocess.run([args.slm, "gen", "model", "--preset", "large", "-o", parent], check=True, capture_output=True)
    parent_size = os.path.getsize(parent)
    rows = []
    for entries in args.entries:
        adapter = os.path.join(args.work, f"dense-{entries}.adp")
        if os.path.exists(adapter):
            os.remove(adapter)
        gen_s, gen_rss = run([args.slm, "gen", "adapter", "--kind", "dense", "--entries", str(entries),
                              "--parent", parent, "-o", adapter])
        adapter_size = os.path.getsize(adapter)
        out = os.path.join(args.work, f"descendant-{entries}.slm")
        if os.path.exists(out):
            os.remove(out)
        apply_s, apply_rss = run([args.slm, "adapter", "apply", "--parent", parent, adapter, "-o", out])
        budget = 1.5 * (parent_size + adapter_size)
        rows.append({"entries": entries, "parent_bytes": parent_size, "adapter_bytes": adapter_size,
                     "gen_adapter": {"seconds": round(gen_s, 2), "peak_rss_bytes": gen_rss},
                     "apply": {"seconds": round(apply_s, 2), "peak_rss_bytes": apply_rss},
                     "budget_bytes": int(budget),
                     "apply_ratio": round(apply_rss / (parent_size + adapter_size), 3),
                     "gen_ratio": round(gen_rss / (parent_size + adapter_size), 3)})
        os.remove(out)
    result = {"machine": platform.machine(), "cpus": os.cpu_count(), "rows": rows}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "apply.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    mib = lambda b: f"{b / 2**20:.0f} MiB"
    lines = ["# Adapter apply: peak memory", "",
             "`python3 bench/apply_memory.py --slm build/default/bin/slm` (GNU time, peak RSS). Target (issue 10):",
             "`slm adapter apply` and `slm gen adapter` peak within 1.5 x (parent file + adapter file).", "",
             "| dense adapter | parent | adapter | apply peak RSS | ratio | gen adapter peak RSS | ratio | apply s |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        lines.append(f"| {r['entries']} tensors | {mib(r['parent_bytes'])} | {mib(r['adapter_bytes'])} | "
                     f"{mib(r['apply']['peak_rss_bytes'])} | {r['apply_ratio']}x | {mib(r['gen_adapter']['peak_rss_bytes'])} | "
                     f"{r['gen_ratio']}x | {r['apply']['seconds']} |")
    lines += ["", "The ratio is peak RSS / (parent + adapter). The descendant streams into its staged output file",
              "tensor by tensor (`slm::apply_stack`), so memory is the parent's bytes and the adapter's bytes, whose",
              "payload is read in place; `gen adapter` validates the parent by streaming and holds only the adapter.", ""]
    with open(os.path.join(args.out, "apply.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
