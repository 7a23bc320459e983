#!/usr/bin/python3
"""Unit tests of tools/mutants/mutants.py: what it mutates, that the choice is deterministic, and that
the sample of `make test` and the equivalence list name mutants of the current sources."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutants  # noqa: E402

ROOT = mutants.ROOT


def all_candidates():
    with open(os.path.join(mutants.HERE, "chapters.json")) as f:
        chapters = json.load(f)["files"]
    out = []
    for rel in sorted(chapters):
        with open(os.path.join(ROOT, rel)) as f:
            out += mutants.candidates(rel, f.read())
    return out


class Mask(unittest.TestCase):
    def test_comments_strings_and_preprocessor_are_blanked(self):
        text = '#include <a>\nint x = 1; // a < b\nauto s = "c == d"; /* e && f */ char q = \'<\';\n'
        mask = mutants.code_mask(text)
        self.assertEqual(len(mask), len(text))
        self.assertNotIn("include", mask)
        for gone in ("a < b", "c == d", "e && f", "'<'"):
            self.assertNotIn(gone, mask)
        self.assertIn("int x = 1;", mask)

    def test_only_code_is_mutated(self):
        text = 'bool f(int a, int b) {  // a < b\n  if (a < b) return g(a, b);\n  return "x < y"[0] == 0;\n}\n'
        got = {(c["op"], c["after"]) for c in mutants.candidates("x.cpp", text)}
        self.assertIn(("relational", "if (a <= b) return g(a, b);"), got)
        self.assertIn(("dropped-check", "if (false) return g(a, b);"), got)
        self.assertIn(("early-return", "if (true) return g(a, b);"), got)
        self.assertIn(("swapped-args", "if (a < b) return g(b, a);"), got)
        self.assertIn(("relational", 'return "x < y"[0] != 0;'), got)
        self.assertFalse([c for c in mutants.candidates("x.cpp", text) if "x <= y" in c["after"]])

    def test_templates_and_shifts_are_not_comparisons(self):
        text = "auto v = static_cast<std::size_t>(x) >> 2;\nstd::vector<int> w;\n"
        self.assertFalse([c for c in mutants.candidates("x.cpp", text) if c["op"] == "relational"])

    def test_reduction_order(self):
        text = "float s = 0;\nfor (std::size_t i = 0; i < n; ++i) s += a[i];\nreturn (a + b) + c[1];\n"
        after = {c["after"] for c in mutants.candidates("x.cpp", text) if c["op"] == "reduction-order"}
        self.assertEqual(after, {"for (std::size_t i = n; i-- > 0;) s += a[i];", "return a + (b + c[1]);"})


class Coverage(unittest.TestCase):
    def test_a_mutant_counts_when_any_line_it_changes_ran(self):
        one = {"line": 10, "before": "if (a < b) return 1;"}
        two = {"line": 10, "before": "f(a,\n  b);"}
        self.assertTrue(mutants.covered(one, {10}))
        self.assertFalse(mutants.covered(one, {9, 11}))
        self.assertTrue(mutants.covered(two, {11}))
        self.assertFalse(mutants.covered(two, {12}))


class Score(unittest.TestCase):
    def test_only_spec_equivalent_survivors_leave_the_score(self):
        rows = ([{"outcome": "killed"}] * 18 + [{"outcome": "timeout"}] + [{"outcome": "survived"}]
                + [{"outcome": "equivalent", "kind": "platform"}, {"outcome": "equivalent", "kind": "unjudged"}]
                + [{"outcome": "equivalent", "kind": "equivalent"}, {"outcome": "equivalent", "kind": "message-only"}]
                + [{"outcome": "no-compile"}, {"outcome": "identical-object"}])
        s = mutants.score(rows)
        self.assertEqual((s["killed"], s["survived"], s["explained"], s["equivalent"], s["judged"]), (19, 1, 2, 2, 22))
        self.assertEqual(s["score"], round(19 / 22, 4))
        self.assertIsNone(mutants.score([{"outcome": "no-compile"}])["score"])


class Choice(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cands = all_candidates()

    def test_keys_are_unique(self):
        keys = [c["key"] for c in self.cands]
        self.assertEqual(len(keys), len(set(keys)))

    def test_selection_is_deterministic_and_seeded(self):
        a = [c["key"] for c in mutants.select(self.cands, 240, 16)]
        b = [c["key"] for c in mutants.select(all_candidates(), 240, 16)]
        c = [c["key"] for c in mutants.select(self.cands, 240, 17)]
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertGreaterEqual(len(a), 200)
        # a larger count chooses a superset (what --reuse relies on)
        self.assertLessEqual(set(a), {x["key"] for x in mutants.select(self.cands, 300, 16)})
        self.assertTrue({"reduction-order", "rounding", "swapped-args", "dropped-check", "early-return",
                         "relational", "logical", "constant"} <= {x["op"] for x in mutants.select(self.cands, 240, 16)})

    def test_sample_and_equivalents_name_current_mutants(self):
        keys = {c["key"] for c in self.cands}
        with open(os.path.join(mutants.HERE, "sample.txt")) as f:
            sample = [ln.split("#")[0].strip() for ln in f if ln.split("#")[0].strip()]
        self.assertGreaterEqual(len(sample), 15)
        self.assertEqual([k for k in sample if k not in keys], [])
        with open(os.path.join(mutants.HERE, "equivalent.json")) as f:
            equivalent = json.load(f)["mutants"]
        self.assertEqual([e["key"] for e in equivalent if e["key"] not in keys], [])
        self.assertTrue(all(e["reason"].strip() for e in equivalent))


if __name__ == "__main__":
    unittest.main()
