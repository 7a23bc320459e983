"""Helpers shared by the whole-command benchmarks of bench/: timing with GNU time, feature detection
from a binary's --help, thread lists, and the host description written into every JSON report."""
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time


def host():
    """What the numbers were measured on (no date: reports/bench/*.json carry it separately)."""
    return {"machine": platform.machine(), "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_timed(cmd, parse_json=False, ok_codes=(0,), capture=True):
    """Runs cmd under GNU time. Returns (wall seconds, peak RSS KiB, stdout: parsed JSON, text, or
    None with capture=False, which sends stdout to /dev/null as `cmd > /dev/null` would).
    Peak RSS comes from GNU time: a child forked by Python would report the parent's pages."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd,
                           stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if p.returncode not in ok_codes:
            sys.exit(f"benchmark command failed ({p.returncode}): {' '.join(cmd)}\n"
                     f"{p.stderr.decode(errors='replace')}")
        out = p.stdout.decode(errors="replace") if capture else None
        return elapsed, int(rss.read().split()[-1]), json.loads(out) if parse_json else out


def help_text(cmd, bare=False):
    """stdout + stderr of CMD --help (or of CMD alone with bare=True, for the bench binaries that
    print their usage when given no model), exit status ignored: how the scripts learn whether a
    binary takes --threads or --prompt yet. stdin is empty, so a speaker cannot wait for input."""
    try:
        p = subprocess.run(cmd + ([] if bare else ["--help"]), capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return p.stdout + p.stderr


def supports(cmd, option, bare=False):
    return option in help_text(cmd) or (bare and option in help_text(cmd, bare=True))


def thread_list(spec):
    """'1,2' -> [1, 2]; 'all' -> 1..cpu_count. 0 means every core (the binaries' own default)."""
    if spec == "all":
        return list(range(1, (os.cpu_count() or 1) + 1))
    return [int(t) for t in spec.split(",") if t.strip()]


def median(xs):
    return statistics.median(xs)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def ensure_model(slm, path, preset, dtype=None):
    """Generates build/bench/PRESET-DTYPE.slm once (deterministic generator; kept between runs)."""
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    cmd = [slm, "gen", "model", "--preset", preset, "-o", path]
    if dtype:
        cmd[5:5] = ["--dtype", dtype]
    subprocess.run(cmd, check=True, capture_output=True)
