#!/usr/bin/env python3
"""Scale-out of `slm conform` (spec/protocol.md section 8): --jobs N gives the reports of --jobs 1,
the merge of --shard K/N runs gives the reports of the whole run, byte for byte but for timings, and
a merge of folders that are not one run's shards is refused and leaves every file as it was.
Usage: test_scaleout.py BUILD_BIN_DIR SOURCE_DIR"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BIN, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SLM = os.path.join(BIN, "slm")
CASES = os.path.join(SOURCE, "conformance", "cases")
FAKE = os.path.join(SOURCE, "conformance", "tests", "fake_runtime.py")
PY = "/usr/bin/python3"
REPORTS = ("results.jsonl", "summary.md", "index.html", "junit.xml")
# A runtime that crashes on every 7th request (by seq) and writes a line to stderr for each: failures,
# restarts and per-case stderr in every report, the same at any job count or shard.
CRASHY = f"cmd:{PY} {FAKE} {SLM} --crash-every 7"


def conform(runtime, report, *extra, cases=CASES):
    # A generous timeout: a timeout under ctest -j load would make equal runs differ, which is not what is tested.
    cmd = [SLM, "conform", "--runtime", runtime, "--cases", cases, "--report", report, "--no-progress", "--timeout", "120", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def merge(out, *shards, extra=(), cases=CASES):
    cmd = [SLM, "conform", "merge", "-o", out, "--cases", cases, *extra, *shards]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def without_timings(name, text):
    """A report with its timings blanked: what must be equal between equivalent runs."""
    if name == "results.jsonl":
        lines = []
        for line in text.splitlines():
            j = json.loads(line)
            for key in ("started", "finished", "milliseconds"):
                j.pop(key, None)
            lines.append(json.dumps(j))
        return "\n".join(lines)
    text = TIMESTAMP.sub("TIME", text)
    if name == "index.html":
        text = re.sub(r'<td class="time">[^<]*</td>', '<td class="time"></td>', text)
    if name == "junit.xml":
        text = re.sub(r' time="[0-9.]*"', "", text)
    return text


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def digest_tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


class ScaleOut(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def assert_same_reports(self, a, b):
        for name in REPORTS:
            self.assertEqual(without_timings(name, read(os.path.join(a, name))),
                             without_timings(name, read(os.path.join(b, name))), name)

    def run_shards(self, runtime, n, prefix, *extra):
        dirs = []
        for k in range(1, n + 1):
            d = self.path(f"{prefix}{k}")
            r = conform(runtime, d, "--shard", f"{k}/{n}", *extra)
            self.assertIn(r.returncode, (0, 1), r.stderr)
            dirs.append(d)
        return dirs

    def test_jobs_give_the_reports_of_one_job(self):
        for runtime, jobs, extra in ((CRASHY, 3, ()), ("ref", 3, ()), (f"oneshot:{SLM} validate --json", 2, ("--only", "header/*"))):
            with self.subTest(runtime=runtime.split()[0], jobs=jobs):
                one, many = self.path("one"), self.path("many")
                r1 = conform(runtime, one, "--jobs", "1", *extra)
                rn = conform(runtime, many, "--jobs", str(jobs), *extra)
                self.assertEqual(r1.returncode, rn.returncode, rn.stderr)
                self.assertEqual(r1.stdout.splitlines()[-1], rn.stdout.splitlines()[-1])
                self.assertEqual(r1.stderr, rn.stderr, "the per-case lines come in case order")
                self.assert_same_reports(one, many)
        results = [json.loads(line) for line in read(os.path.join(self.path("one"), "results.jsonl")).splitlines()]
        self.assertEqual(results[-1]["type"], "footer")

    def test_fail_fast_with_jobs_stops_where_one_job_stops(self):
        one, many = self.path("one"), self.path("many")
        conform(CRASHY, one, "--fail-fast", "--jobs", "1")
        conform(CRASHY, many, "--fail-fast", "--jobs", "3")
        self.assert_same_reports(one, many)
        cases = [json.loads(line) for line in read(os.path.join(many, "results.jsonl")).splitlines()[1:-1]]
        self.assertEqual(len(cases), 7)
        self.assertEqual(cases[-1]["outcome"], "crash")

    def test_a_runtime_that_never_starts_is_reported_as_with_one_job(self):
        one, many = self.path("one"), self.path("many")
        conform("cmd:/nonexistent/runtime", one, "--only", "header/*", "--jobs", "1")
        conform("cmd:/nonexistent/runtime", many, "--only", "header/*", "--jobs", "4")
        self.assert_same_reports(one, many)

    def test_three_shards_merged_are_the_whole_run(self):
        whole = self.path("whole")
        r = conform(CRASHY, whole, "--jobs", "2")
        self.assertEqual(r.returncode, 1)
        shards = self.run_shards(CRASHY, 3, "shard", "--jobs", "2")
        sizes = [len(read(os.path.join(d, "results.jsonl")).splitlines()) - 2 for d in shards]
        total = len(read(os.path.join(whole, "results.jsonl")).splitlines()) - 2
        self.assertIn(f"shard 2/3 of {total} selected cases", read(os.path.join(shards[1], "summary.md")))
        self.assertIn(f"shard 2/3 of {total} selected cases", read(os.path.join(shards[1], "index.html")))
        self.assertLessEqual(max(sizes) - min(sizes), 1)
        out = self.path("merged")
        m = merge(out, shards[2], shards[0], shards[1])  # in any order
        self.assertEqual(m.returncode, 1, m.stderr)
        self.assertEqual(m.stdout.splitlines()[-1], r.stdout.splitlines()[-1])
        self.assert_same_reports(whole, out)
        # case for case, in order, with every field
        merged = [json.loads(line) for line in read(os.path.join(out, "results.jsonl")).splitlines()]
        unsharded = [json.loads(line) for line in read(os.path.join(whole, "results.jsonl")).splitlines()]
        self.assertEqual([c.get("id") for c in merged], [c.get("id") for c in unsharded])
        self.assertNotIn("shard", merged[0])
        # a selection sharded: --only applies first, then the shards split what it selected
        whole_only = self.path("whole-only")
        conform("ref", whole_only, "--only", "tensors/*", "--only", "eval/*")
        shards = self.run_shards("ref", 2, "only", "--only", "tensors/*", "--only", "eval/*")
        self.assertEqual(merge(self.path("merged-only"), *shards).returncode, 0)
        self.assert_same_reports(whole_only, self.path("merged-only"))

    def test_bad_merges_are_refused(self):
        shards = self.run_shards("ref", 3, "s", "--only", "header/*")
        other_runtime = self.run_shards(f"cmd:{SLM} protocol", 3, "p", "--only", "header/*")
        other_selection = self.run_shards("ref", 3, "o", "--only", "tensors/*")
        whole = self.path("whole")
        conform("ref", whole, "--only", "header/*")
        truncated = self.path("truncated")  # shard 3 with a case line lost, as a --fail-fast run would lose it
        shutil.copytree(shards[2], truncated)
        with open(os.path.join(truncated, "results.jsonl")) as f:
            lines = f.readlines()
        with open(os.path.join(truncated, "results.jsonl"), "w") as f:
            f.writelines(lines[:1] + lines[2:])
        tree = self.path("tree")
        shutil.copytree(CASES, tree)
        with open(os.path.join(tree, "header", "bad-magic", "expected.json"), "a") as f:
            f.write("\n")  # the same cases, another tree
        other_tree = self.path("other-tree")
        conform("ref", other_tree, "--only", "header/*", "--shard", "1/3", cases=tree)
        s1, s2, s3 = shards
        refusals = {
            "missing": ([s1, s2], "E_REPORT_SHARDS", "shard 3/3 missing"),
            "twice": ([s1, s2, s2, s3], "E_REPORT_SHARDS", "are both shard 2/3"),
            "whole run": ([whole], "E_REPORT_SHARDS", "holds a whole run"),
            "other runtime": ([s1, other_runtime[1], s3], "E_REPORT_SHARDS", "another runtime"),
            "other selection": ([s1, s2, other_selection[2]], "E_REPORT_SHARDS", "another selection of cases"),
            "truncated": ([s1, s2, truncated], "E_REPORT_SHARDS", "a truncated or --fail-fast run"),
            "other tree": ([other_tree, s2, s3], "E_REPORT_SHARDS", "another case tree"),
            "not a report": ([s1, s2, self.tmp], "E_IO_READ", "cannot read"),
        }
        before = digest_tree(self.tmp)
        for what, (inputs, code, says) in refusals.items():
            with self.subTest(what):
                out = self.path("out")
                r = merge(out, *inputs)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(code, r.stderr)
                self.assertIn(says, r.stderr)
                self.assertFalse(os.path.exists(out), "a refused merge writes nothing")
        # the tree a merge loads must be the shards' tree too
        r = merge(self.path("out"), s1, s2, s3, cases=tree)
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not the case tree the shards ran", r.stderr)
        # never over an input: the output folder is a shard's
        r = merge(s2, s1, s2, s3)
        self.assertEqual(r.returncode, 2)
        self.assertIn("E_OUT_IS_INPUT", r.stderr)
        self.assertEqual(digest_tree(self.tmp), before, "a refused merge leaves every file as it was")
        # a truncated results.jsonl is malformed, not a shard
        with open(os.path.join(s3, "results.jsonl")) as f:
            lines = f.readlines()
        with open(os.path.join(s3, "results.jsonl"), "w") as f:
            f.writelines(lines[:-1])
        r = merge(self.path("out"), s1, s2, s3)
        self.assertEqual(r.returncode, 2)
        self.assertIn("E_ARG_VALUE", r.stderr)
        self.assertIn("no footer", r.stderr)
        # and conform's own options do not slip into a merge
        r = subprocess.run([SLM, "conform", "--jobs", "2", "merge", "-o", self.path("out"), s1], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not of merge", r.stderr)

    def test_require_level_judges_only_the_levels_up_to_it(self):
        # --flip-flags answers every acceptance with a wrong identity: L1 and L2 pass, L3 fails
        flips = f"cmd:{PY} {FAKE} {SLM} --flip-flags"
        for level, status in (("L1", 0), ("L2", 0), ("L3", 1), ("L5", 1)):
            with self.subTest(level=level):
                r = conform(flips, self.path(level), "--only", "valid/*", "--require-level", level)
                self.assertEqual(r.returncode, status, r.stdout)
                footer = json.loads(read(os.path.join(self.path(level), "results.jsonl")).splitlines()[-1])
                self.assertEqual(footer["exit_status"], 1, "the footer says whether every case passed")
        self.assertEqual(conform(flips, self.path("none"), "--only", "valid/*").returncode, 1)
        shards = self.run_shards(flips, 2, "lv", "--only", "valid/*")
        self.assertEqual(merge(self.path("m2"), *shards, extra=("--require-level", "L2")).returncode, 0)
        self.assertEqual(merge(self.path("m3"), *shards, extra=("--require-level", "L3")).returncode, 1)

    def test_usage_errors(self):
        for args in (["--shard", "0/3"], ["--shard", "4/3"], ["--shard", "1"], ["--shard", "1/x"], ["--jobs", "257"],
                     ["--jobs", "-1"], ["--require-level", "L6"], ["--require-level", "3"]):
            with self.subTest(args=args):
                r = conform("ref", self.path("r"), *args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("E_ARG_VALUE", r.stderr)
        r = conform("ref", self.path("r"), "--only", "header/bad-magic", "--shard", "2/2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no case of the 1 selected falls in this shard", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
