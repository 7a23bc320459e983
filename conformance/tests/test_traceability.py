#!/usr/bin/python3
"""Traceability between spec/errors.def, the spec text and the case tree:
  - every case's expected.json follows spec/schemas/case.schema.json (when python3-jsonschema is there)
  - every case cites only rules that errors.def defines, and a rejection's rule matches its code
  - every rule of errors.def is the target of at least one rejection case, except the few that no
    input file can trigger, each named below with the test that covers it instead
Usage: test_traceability.py SOURCE_DIR"""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from traceability import NOT_FILE_TESTABLE, RT_TESTED_ELSEWHERE, cases, errors_def, spec_text  # noqa: E402

SOURCE = os.path.abspath(sys.argv[1])
CASES = os.path.join(SOURCE, "conformance", "cases")

class Traceability(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codes = errors_def(SOURCE)
        cls.rules = {rule: code for code, (_, rule) in cls.codes.items()}
        cls.cases = cases(SOURCE)
        cls.rt_rules = set(re.findall(r"\*\*(RT-[A-Z]+-\d{3})\*\*", spec_text(SOURCE)))

    def test_manifest_lists_every_case_folder(self):
        found = set()
        for root, _, files in os.walk(CASES):
            if "expected.json" in files:
                found.add(os.path.relpath(root, CASES))
        self.assertEqual(found, set(self.cases))

    def test_cases_follow_the_schema(self):
        try:
            import jsonschema
        except ImportError:
            self.skipTest("python3-jsonschema is not installed")
        schemas = {}
        for name in ("case.schema.json", "validate-result.schema.json", "eval-sidecar.schema.json"):
            with open(os.path.join(SOURCE, "spec", "schemas", name)) as f:
                s = json.load(f)
                schemas[s["$id"]] = s
        case_schema = schemas["https://slm-conformance.invalid/schemas/case.schema.json"]
        resolver = jsonschema.RefResolver(case_schema["$id"], case_schema, store=schemas)
        validator = jsonschema.Draft202012Validator(case_schema, resolver=resolver)
        for case_id, case in self.cases.items():
            errors = [e.message for e in validator.iter_errors(case)]
            self.assertEqual(errors, [], case_id)
            self.assertEqual(case["id"], case_id)

    def test_cases_cite_existing_rules(self):
        for case_id, case in self.cases.items():
            self.assertTrue(case["rules"], f"{case_id} cites no rule")
            for rule in case["rules"]:
                known = self.rt_rules if rule.startswith("RT-") else self.rules
                self.assertIn(rule, known, f"{case_id} cites unknown rule {rule}")
            expect = case["expect"]
            if expect["outcome"] == "reject":
                for code in expect["codes"]:
                    self.assertIn(code, self.codes, case_id)
                phase, rule = self.codes[expect["codes"][0]]
                self.assertEqual(expect["rule"], rule, case_id)
                self.assertEqual(expect["phase"], phase, case_id)
                self.assertIn(rule, case["rules"], case_id)

    def test_every_rule_has_a_rejection_case(self):
        targeted = {c["expect"]["rule"] for c in self.cases.values() if c["expect"]["outcome"] == "reject"}
        missing = sorted(r for r in self.rules if r not in targeted and r not in NOT_FILE_TESTABLE)
        self.assertEqual(missing, [], "rules without a case that a runtime skipping them would fail")
        for rule in NOT_FILE_TESTABLE:
            self.assertIn(rule, self.rules)

    def test_every_runtime_rule_has_a_case(self):
        cited = {r for c in self.cases.values() for r in c["rules"] if r.startswith("RT-")}
        missing = sorted(r for r in self.rt_rules if r not in cited and r not in RT_TESTED_ELSEWHERE)
        self.assertEqual(missing, [], "runtime rules without a tokenize or generate case")
        for rule in RT_TESTED_ELSEWHERE:
            self.assertIn(rule, self.rt_rules)

    def test_every_rule_is_defined_in_the_spec(self):
        text = ""
        spec_dir = os.path.join(SOURCE, "spec")
        for name in os.listdir(spec_dir):
            if name.endswith(".md"):
                with open(os.path.join(spec_dir, name)) as f:
                    text += f.read()
        defined = set(re.findall(r"\*\*(SLM-[A-Z]+-\d{3})\*\*", text))
        self.assertEqual(sorted(set(self.rules) - defined), [], "rules in errors.def without a **RULE** in spec/")
        self.assertEqual(sorted(defined - set(self.rules)), [], "rules in spec/ without a row in errors.def")

    def test_both_outcomes_and_every_phase_are_covered(self):
        outcomes = {c["expect"]["outcome"] for c in self.cases.values()}
        self.assertEqual(outcomes, {"accept", "reject"})
        phases = {c["expect"]["phase"] for c in self.cases.values() if c["expect"]["outcome"] == "reject"}
        self.assertTrue({"DECODE", "VALIDATE", "LIMIT", "RUNTIME"} <= phases, phases)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=1)
