#!/usr/bin/env python3
"""Whole-command benchmark of `slm validate` on a generated package of at least 256 MiB.

Runs, on the same file from the page cache and in the same session:
  slm validate FILE            the reference validator (XXH64 checksum, streaming)
  cat FILE > /dev/null         the memory-bandwidth limit
  xxhsum -H1 FILE              the fastest standalone tool for the same checksum (XXH64)
  slm validate --digest FILE   full validation (adds SHA-256), and sha256sum FILE, for scale
Each command runs --runs times; the median wall time and the largest peak RSS are reported.
Writes OUT/validate.json and OUT/validate.md. Targets (issue 2): >= 0.8x xxhsum, >= 0.4x cat,
peak RSS < 64 MiB.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(cmd):
    """Wall seconds and peak RSS (KiB) of one command, stdout discarded. Peak RSS comes from GNU time:
    a child forked by Python would report the Python parent's pages as its own."""
    with tempfile.NamedTemporaryFile("r") as rss, open(os.devnull, "wb") as null:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd, stdout=null, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()}")
        return elapsed, int(rss.read().split()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slm", required=True, help="path to the slm binary")
    ap.add_argument("--out", default="reports/bench")
    ap.add_argument("--file", default="build/bench/large.slm", help="generated if missing (preset large)")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()

    if not os.path.exists(args.file):
        os.makedirs(os.path.dirname(args.file), exist_ok=True)
        subprocess.run([args.slm, "gen", "model", "--preset", "large", "-o", args.file], check=True)
    size = os.path.getsize(args.file)
    if size < 256 << 20:
        sys.exit(f"{args.file} has {size} bytes; the benchmark needs at least 256 MiB")
    run_once(["cat", args.file])  # into the page cache

    commands = {
        "slm validate": [args.slm, "validate", args.file],
        "cat": ["cat", args.file],
    }
    if shutil.which("xxhsum"):
        commands["xxhsum -H1"] = ["xxhsum", "-H1", args.file]
    commands["slm validate --digest"] = [args.slm, "validate", "--digest", args.file]
    if shutil.which("sha256sum"):
        commands["sha256sum"] = ["sha256sum", args.file]

    # Interleave the commands run by run so that drift in machine load affects all alike.
    samples = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            samples[name].append(run_once(cmd))
    results = {}
    for name, cmd in commands.items():
        times = [t for t, _ in samples[name]]
        med = statistics.median(times)
        results[name] = {"command": " ".join(cmd), "runs": args.runs, "median_s": med, "min_s": min(times),
                         "mb_per_s": size / med / 1e6, "peak_rss_kib": max(r for _, r in samples[name])}

    v = results["slm validate"]
    ratios = {"vs_cat": results["cat"]["median_s"] / v["median_s"]}
    if "xxhsum -H1" in results:
        ratios["vs_xxhsum"] = results["xxhsum -H1"]["median_s"] / v["median_s"]
    targets = {
        "vs_xxhsum >= 0.8": ratios.get("vs_xxhsum", 0) >= 0.8,
        "vs_cat >= 0.4": ratios["vs_cat"] >= 0.4,
        "peak RSS < 64 MiB": v["peak_rss_kib"] < 64 * 1024,
    }
    report = {
        "benchmark": "validate_throughput",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "file": {"path": args.file, "bytes": size},
        "results": results,
        "ratios": ratios,
        "targets_met": targets,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "validate.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    lines = [
        "# `slm validate` throughput",
        "",
        f"{report['date']}, {platform.platform()}, {os.cpu_count()} cores. File: `{args.file}`, "
        f"{size} bytes ({size / 2**20:.0f} MiB), from the page cache; median of {args.runs} interleaved runs.",
        "",
        "| command | median s | MB/s | peak RSS MiB |",
        "|---|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(f"| `{name}` | {r['median_s']:.4f} | {r['mb_per_s']:.0f} | {r['peak_rss_kib'] / 1024:.1f} |")
    lines += ["", "| ratio | value | target | met |", "|---|---:|---:|---|"]
    lines.append(f"| slm validate vs cat | {ratios['vs_cat']:.2f}x | 0.4x | {targets['vs_cat >= 0.4']} |")
    if "vs_xxhsum" in ratios:
        lines.append(f"| slm validate vs xxhsum -H1 | {ratios['vs_xxhsum']:.2f}x | 0.8x | {targets['vs_xxhsum >= 0.8']} |")
    lines.append(f"| slm validate peak RSS | {v['peak_rss_kib'] / 1024:.1f} MiB | < 64 MiB | {targets['peak RSS < 64 MiB']} |")
    lines.append("")
    with open(os.path.join(args.out, "validate.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
