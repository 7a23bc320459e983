#!/usr/bin/python3
"""slm eval / gate / scorecard (spec/eval.md): the breeding story end to end, exit statuses, and the
codes SLM-EVAL-002..004; the independent port (conformance/tests/eval_port.py, written from
spec/eval.md alone) gives the same set digest. Usage: test_eval.py SLM_BINARY SOURCE_DIR"""
import hashlib
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
        r = slm("gate", self.f("c.json"))  # judged against a baseline: judged again only against it
        self.assertEqual(r.returncode, 1)
        self.assertIn("E_EVAL_BASELINE", r.stderr)
        self.assertEqual(slm("gate", self.f("c.json"), "--baseline", self.f("p.json")).returncode, 0)
        r = slm("gate", self.f("c.json"), "--baseline", self.f("c.json"))
        self.assertIn("E_EVAL_BASELINE", r.stderr)
        self.assertIn("c.json: E_EVAL_BASELINE", r.stderr)  # the error names the baseline file
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

    def test_the_spec_port_agrees_with_every_committed_eval_case(self):
        # conformance/tests/eval_port.py was written from spec/eval.md alone: set digests, the
        # rejection line offsets and the gate verdicts must equal the reference's.
        root = os.path.join(SOURCE, "conformance", "cases", "eval")
        seen = 0
        for name in sorted(os.listdir(root)):
            with self.subTest(case=name):
                case = json.load(open(os.path.join(root, name, "expected.json")))
                if "absent" in case["set"]:
                    continue  # no set file: an I/O error, nothing for the port to read
                data = open(os.path.join(root, name, "set.jsonl"), "rb").read()
                expect = case["expect"]
                if expect["outcome"] == "reject" and expect["codes"] != ["E_EVAL_SET"]:
                    eval_port.parse_set(data)  # the set is fine; another input (a baseline) is refused
                    continue
                if expect["outcome"] == "reject":
                    with self.assertRaises(eval_port.EvalError) as err:
                        eval_port.parse_set(data)
                    self.assertEqual((err.exception.code, err.exception.offset), (expect["codes"][0], expect["offset"]))
                    continue
                parsed = eval_port.parse_set(data)
                sidecar = expect["sidecar"]
                self.assertEqual(parsed["digest"], sidecar["set"]["digest"])
                self.assertEqual(parsed["case_digests"], [r["case_digest"] for r in sidecar["results"]])
                ids = [c["id"] for c in parsed["cases"]]
                policy_text = b"{}"
                if "policy" in case:
                    policy_text = open(os.path.join(root, name, case["policy"]["file"]), "rb").read()
                policy = eval_port.parse_policy(policy_text, ids)
                baseline = None
                if "baseline" in case:
                    b = json.load(open(os.path.join(root, name, case["baseline"]["file"])))
                    baseline = [{"id": r["id"], "passed": r["passed"]} for r in b["reproducible"]["results"]]
                must = [c["id"] for c in parsed["cases"] if c["must_pass"]]
                results = [{"id": r["id"], "passed": r["passed"]} for r in sidecar["results"]]
                self.assertEqual(eval_port.gate(results, sidecar["resources"], policy, must, baseline), sidecar["gate"])
                seen += 1
        self.assertGreaterEqual(seen, 10)

    def test_the_set_digest_survives_reserialisation_and_sees_every_byte(self):
        # RT-EVAL-001 as a property: key order, spacing, escapes and defaults moved into the cases
        # keep the digest; any changed byte of a resolved case, or a reordering, changes it.
        lines = open(SET, encoding="utf-8").read().splitlines()
        header, cases = json.loads(lines[0]), [json.loads(x) for x in lines[1:]]
        defaults = header.pop("defaults", {})

        def digest(header_obj, case_objs, **dump):
            path = self.f("prop.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(json.dumps(x, **dump) for x in [header_obj] + case_objs) + "\n")
            out = self.f("prop.json")
            if os.path.exists(out):
                os.remove(out)
            self.assertIn(slm("eval", self.parent, path, "-o", out).returncode, (0, 1))
            return json.load(open(out))["reproducible"]["set"]["digest"]

        original = digest(dict(header, defaults=defaults), cases)
        moved = [dict(defaults, **c) for c in cases]  # defaults written into every case
        self.assertEqual(digest(header, moved), original)
        shuffled_keys = [dict(reversed(list(c.items()))) for c in cases]
        self.assertEqual(digest(dict(header, defaults=defaults), shuffled_keys, ensure_ascii=True, indent=None,
                                separators=(" ,  ", " :   ")), original)
        self.assertEqual(digest(dict(header, defaults=defaults, description="another description"), cases), original)
        for i, case in enumerate(cases):
            for key in ("prompt", "expected"):
                edited = [dict(c) for c in cases]
                edited[i][key] = case[key] + " "
                self.assertNotEqual(digest(dict(header, defaults=defaults), edited), original, (i, key))
        self.assertNotEqual(digest(dict(header, defaults=defaults), list(reversed(cases))), original)
        self.assertNotEqual(digest(dict(header, defaults=dict(defaults, max_tokens=17)), cases), original)

    def test_gate_of_a_sidecar_is_the_verdict_it_stores(self):
        for args, name in (([], "s1.json"), (["--adapter", self.fix], "s2.json")):
            r = slm("eval", self.parent, SET, *args, "-o", self.f(name))
            stored = json.load(open(self.f(name)))["reproducible"]["gate"]["passed"]
            self.assertEqual(r.returncode, 0 if stored else 1)
            self.assertEqual(slm("gate", self.f(name)).returncode, 0 if stored else 1)

    def test_sets_policies_sidecars_and_scorecards_follow_their_schemas(self):
        import jsonschema
        schemas_dir = os.path.join(SOURCE, "spec", "schemas")
        store = {}
        for name in os.listdir(schemas_dir):
            with open(os.path.join(schemas_dir, name)) as f:
                schema = json.load(f)
            store[schema["$id"]] = schema

        def validator(name):
            schema = store["https://slm-conformance.invalid/schemas/" + name]
            return jsonschema.Draft202012Validator(schema, resolver=jsonschema.RefResolver(schema["$id"], schema, store=store))

        line, policy, sidecar, card = (validator(n + ".schema.json") for n in ("eval-set-line", "eval-policy", "eval-sidecar", "eval-scorecard"))
        root = os.path.join(SOURCE, "conformance", "cases", "eval")
        checked = 0
        for name in sorted(os.listdir(root)):
            with open(os.path.join(root, name, "expected.json")) as f:
                case = json.load(f)
            if case["expect"]["outcome"] != "accept":
                continue
            with open(os.path.join(root, name, "set.jsonl"), encoding="utf-8") as f:
                for text in f.read().splitlines():
                    self.assertEqual(list(line.iter_errors(json.loads(text))), [], (name, text[:80]))
            for key, schema in (("policy", policy), ("baseline", sidecar)):
                if key in case:
                    with open(os.path.join(root, name, case[key]["file"])) as f:
                        self.assertEqual(list(schema.iter_errors(json.load(f))), [], (name, key))
            wrapped = {"slm_eval_sidecar": 1, "reproducible_digest": "0" * 64, "reproducible": case["expect"]["sidecar"], "measured": {}}
            self.assertEqual(list(sidecar.iter_errors(wrapped)), [], name)
            checked += 1
        self.assertGreaterEqual(checked, 10)
        self.assertEqual(slm("eval", self.parent, SET, "-o", self.f("sch.json")).returncode, 1)
        with open(self.f("sch.json")) as f:
            self.assertEqual(list(sidecar.iter_errors(json.load(f))), [])
        self.assertEqual(slm("scorecard", self.f("sch.json"), "-o", self.f("schcard.json")).returncode, 0)
        with open(self.f("schcard.json")) as f:
            self.assertEqual(list(card.iter_errors(json.load(f))), [])
        # a set line the reader rejects for its keys is rejected by the schema too
        self.assertNotEqual(list(line.iter_errors({"id": "a", "prompt": "x", "expected": "y", "expect": "y"})), [])

    def test_hostile_inputs_get_codes_never_crashes(self):
        deep = "[" * 100000 + "]" * 100000
        open(self.f("deep.jsonl"), "w").write(deep + "\n")
        r = slm("eval", self.parent, self.f("deep.jsonl"), "-o", self.f("h.json"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("E_EVAL_SET", r.stderr)
        open(self.f("deep-policy.json"), "w").write('{"must_pass": ' + deep + "}")
        r = slm("eval", self.parent, SET, "--policy", self.f("deep-policy.json"), "-o", self.f("h.json"))
        self.assertIn("deep-policy.json: E_EVAL_POLICY", r.stderr)
        self.assertEqual(slm("eval", self.parent, SET, "-o", self.f("base.json")).returncode, 1)
        sidecar = json.load(open(self.f("base.json")))

        def resealed(edit):
            s = json.loads(json.dumps(sidecar))
            edit(s["reproducible"])
            try:  # the digest made to match, so that only the content check can refuse it
                s["reproducible_digest"] = hashlib.sha256(eval_port.canonical_json(s["reproducible"])).hexdigest()
            except ValueError:
                pass  # no canonical form (a float, a negative number): the digest check refuses it
            path = self.f("edited-%d.json" % id(edit))
            json.dump(s, open(path, "w"))
            return path

        for name, edit in (("no policy", lambda r: r.pop("policy")),
                           ("a float", lambda r: r.__setitem__("baseline", 3.14)),
                           ("negative totals", lambda r: r["totals"].__setitem__("cases", -1)),
                           ("a result missing", lambda r: r["results"].pop()),
                           ("a bad set name", lambda r: r["set"].__setitem__("name", "x | y")),
                           ("deep", lambda r: r.__setitem__("extra", json.loads("[" * 70 + "]" * 70)))):
            with self.subTest(edit=name):
                path = resealed(edit)
                for cmd in (["gate", path], ["scorecard", path, "-o", self.f("card-h.json")]):
                    r = slm(*cmd)
                    self.assertEqual(r.returncode, 1, (cmd, r.stderr))
                    self.assertIn("E_EVAL_SIDECAR", r.stderr)
        # outputs are checked before any input is read
        r = slm("eval", self.parent, self.f("deep.jsonl"), "-o", self.f("missing/x.json"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("E_OUT_NO_DIRECTORY", r.stderr)
        for args in (["eval", self.parent, SET, SET, "-o", ""], ["eval", self.parent, SET, "--policy", "", "-o", self.f("e1.json")],
                     ["gate", self.f("base.json"), "--baseline", ""]):
            r = slm(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn("E_ARG_VALUE", r.stderr)

    def test_eval_never_writes_over_an_input(self):
        r = slm("eval", self.parent, SET, "-o", SET)
        self.assertEqual(r.returncode, 2)
        self.assertIn("E_OUT_IS_INPUT", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
