#!/usr/bin/python3
"""slm eval / gate / scorecard (spec/eval.md): the breeding story end to end, exit statuses, and the
codes SLM-EVAL-002..004; the independent port (conformance/tests/eval_port.py, written from
spec/eval.md alone) gives the same set digest. Usage: test_eval.py SLM_BINARY SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SLM, SOURCE = sys.argv[1], sys.argv[2]
PROGRAMS = os.path.join(SOURCE, "conformance", "programs")
SET = os.path.join(SOURCE, "conformance", "cases", "eval", "hello-parent", "set.jsonl")
sys.path.insert(0, os.path.join(SOURCE, "conformance", "tests"))
import eval_port  # noqa: E402


def slm(*args):
    return subprocess.run([SLM, *args], capture_output=True, text=True)


class Eval(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.parent, cls.fix = cls.f("parent.slm"), cls.f("fix.asp")
        assert slm("gen", "model", "--program", os.path.join(PROGRAMS, "hello-buggy.json"), "-o", cls.parent).returncode == 0
        assert slm("gen", "adapter", "--kind", "sparse", "--parent", cls.parent, "--fix", os.path.join(PROGRAMS, "hello.json"),
                   "-o", cls.fix).returncode == 0

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def f(cls, name):
        return os.path.join(cls.tmp.name, name)

    def test_breeding_story(self):
        r = slm("eval", self.parent, SET, "-o", self.f("p.json"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("must-pass case sum failed", r.stdout)
        r = slm("eval", self.parent, SET, "--adapter", self.fix, "--baseline", self.f("p.json"), "-o", self.f("c.json"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        child = json.load(open(self.f("c.json")))
        self.assertEqual(child["reproducible"]["baseline"], json.load(open(self.f("p.json")))["reproducible_digest"])
        self.assertEqual(len(child["reproducible"]["model"]["adapters"]), 1)
        self.assertEqual(slm("gate", self.f("c.json")).returncode, 0)
        self.assertEqual(slm("gate", self.f("p.json")).returncode, 1)
        r = slm("scorecard", self.f("p.json"), self.f("c.json"), "-o", self.f("card.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.load(open(self.f("card.json")))["rows"]
        self.assertEqual([(x["passed"], x["gate"]) for x in rows], [(2, False), (3, True)])
        self.assertTrue(os.path.exists(self.f("card.md")))
        # the port written from the spec alone computes the same set digest
        self.assertEqual(eval_port.parse_set(open(SET, "rb").read())["digest"], child["reproducible"]["set"]["digest"])

    def test_the_reproducible_part_does_not_depend_on_the_run(self):
        for name in ("a.json", "b.json"):
            self.assertEqual(slm("eval", self.parent, SET, "-o", self.f(name)).returncode, 1)
        a, b = (json.load(open(self.f(n))) for n in ("a.json", "b.json"))
        self.assertEqual(a["reproducible"], b["reproducible"])
        self.assertEqual(a["reproducible_digest"], b["reproducible_digest"])

    def test_an_edited_sidecar_is_refused(self):  # SLM-EVAL-004
        self.assertEqual(slm("eval", self.parent, SET, "-o", self.f("e.json")).returncode, 1)
        s = json.load(open(self.f("e.json")))
        s["reproducible"]["gate"]["passed"] = True
        json.dump(s, open(self.f("edited.json"), "w"))
        r = slm("gate", self.f("edited.json"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("E_EVAL_SIDECAR", r.stderr)

    def test_a_bad_policy_is_refused(self):  # SLM-EVAL-002
        for text in ('{"min_pass": 50}', '{"must_pass": ["nope"]}', '{"min_pass_percent": 101}', '{"a": 1, "a": 2}'):
            with self.subTest(policy=text):
                open(self.f("policy.json"), "w").write(text)
                r = slm("eval", self.parent, SET, "--policy", self.f("policy.json"), "-o", self.f("x.json"))
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("E_EVAL_POLICY", r.stderr)
                self.assertFalse(os.path.exists(self.f("x.json")))
        # slm gate under another policy: 2/3 clears 60%, the must-pass sum still fails
        self.assertEqual(slm("eval", self.parent, SET, "-o", self.f("g.json")).returncode, 1)
        open(self.f("policy.json"), "w").write('{"min_pass_percent": 60}')
        r = slm("gate", self.f("g.json"), "--policy", self.f("policy.json"))
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("pass rate", r.stdout)
        self.assertIn("must-pass case sum failed", r.stdout)

    def test_a_baseline_of_another_set_is_refused(self):  # SLM-EVAL-003
        other = self.f("other.jsonl")
        open(other, "w").write('{"slm_eval": 1, "name": "other"}\n{"id": "x", "prompt": "Hello", "expected": ", world!"}\n')
        self.assertEqual(slm("eval", self.parent, other, "-o", self.f("o.json")).returncode, 0)
        r = slm("eval", self.parent, SET, "--baseline", self.f("o.json"), "-o", self.f("y.json"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("E_EVAL_BASELINE", r.stderr)

    def test_eval_never_writes_over_an_input(self):
        r = slm("eval", self.parent, SET, "-o", SET)
        self.assertEqual(r.returncode, 2)
        self.assertIn("E_OUT_IS_INPUT", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
