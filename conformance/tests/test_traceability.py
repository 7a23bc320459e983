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

SOURCE = os.path.abspath(sys.argv[1])
CASES = os.path.join(SOURCE, "conformance", "cases")

# Rules no input file can trigger, and where they are tested instead.
NOT_FILE_TESTABLE = {
    "SLM-EVAL-002": "policy files: cli.eval test_a_bad_policy_is_refused (the harness sends no policy yet)",
    "SLM-EVAL-003": "a baseline of another set: cli.eval test_a_baseline_of_another_set_is_refused",
    "SLM-EVAL-004": "an edited sidecar: cli.eval test_an_edited_sidecar_is_refused",
    "SLM-LIM-007": "address space of the runtime: reference test Load.RefusesFileBeyondAddressSpace",
    "SLM-IO-002": "output write failures: reference tests OutputSet.*, tests/hostile (disk full, kill between outputs)",
    "SLM-TOOL-001": "an output that is an input: OutputSet.RefusesAnOutputThatIsAnInput, tests/hostile",
    "SLM-TOOL-002": "two outputs that are one file: OutputSet.RefusesTwoOutputsThatAreOneFile, tests/hostile",
    "SLM-TOOL-003": "an output into a missing directory: OutputSet.RefusesAMissingDirectoryAndSpecialFiles, tests/hostile",
    "SLM-TOOL-004": "an output that is not a regular file: OutputSet.RefusesAMissingDirectoryAndSpecialFiles, tests/hostile",
    "SLM-TOOL-005": "an output that must be new: OutputSet.MustBeNewRefusesAnExistingFileOrLink",
    "SLM-TOOL-006": "strict arguments: tests/hostile, cli/args.cpp",
    "SLM-TOOL-007": "generator memory budget: tests/hostile, Recipe.* in reference/tests",
    "SLM-TOOL-008": "program files: tests/hostile",
    "SLM-HAR-001": "a broken case tree: test_harness.py test_a_broken_case_is_errored_and_the_run_goes_on",
    "SLM-HAR-002": "malformed protocol lines: test_harness.py test_the_reference_speaker_answers_every_line",
    "SLM-HAR-003": "report folders that are not one run's shards: test_scaleout.py test_bad_merges_are_refused",
    "SLM-CNV-001": "llama2.c conversion input, not an .slm file: reference tests in test_tokenizer.cpp",
    "SLM-ABI-001": "raw ABI calls with stray pointers: wasm/tests/abi.test.mjs",
    "SLM-ABI-002": "unknown runtime handles: wasm/tests/abi.test.mjs",
    "SLM-ABI-003": "calls out of order: wasm/tests/abi.test.mjs",
    "SLM-ABI-004": "scalar arguments out of range: wasm/tests/abi.test.mjs",
    "SLM-ABI-005": "memory that cannot grow: wasm/tests/abi.test.mjs",
    "SLM-PKT-001": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-002": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-003": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-004": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-005": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-006": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-007": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-008": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-009": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-010": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-011": "release packets: cli/tests/test_packet.py",
    "SLM-PKT-012": "release packets: cli/tests/test_packet.py",
}


# Runtime rules (RT-) that no tokenize or generate case can observe, and where they are tested instead.
RT_TESTED_ELSEWHERE = {
    "RT-GEN-002": "KV cache equals recomputation, internal to a runtime: Generate.KvCacheEqualsRecomputation",
    "RT-CNV-001": "llama2.c tokenizer import: Llama2cVocabulary.*, cli tests",
    "RT-CNV-002": "llama2.c tokenizer export: Llama2cVocabulary.*, cli tests",
    "RT-ADP-006": "all or nothing, internal to a runtime: AdapterStack.FailedSecondAdapterLeavesModelBitIdentical",
    "RT-ADP-008": "rollback, internal to a runtime: AdapterApply.ApplyThenRollbackIsIdentity, AdapterStack.RollbackRestoresTheParentBytes",
    "RT-ADP-009": "the canonical adapter writer: AdapterWriter.DecodeWriteRoundTrip",
    "RT-ABI-001": "all or nothing at the ABI: wasm/tests/abi.test.mjs",
    "RT-ABI-002": "block ownership of slm_load: wasm/tests/abi.test.mjs",
    "RT-ABI-003": "result lifetime: wasm/tests/abi.test.mjs",
    "RT-ABI-004": "streaming equals whole generation: wasm/tests/abi.test.mjs",
    "RT-ABI-005": "the WASM build reproduces every case: slm conform --runtime wasm: in make wasm-check",
}


def spec_text():
    text = ""
    spec_dir = os.path.join(SOURCE, "spec")
    for name in sorted(os.listdir(spec_dir)):
        if name.endswith(".md"):
            with open(os.path.join(spec_dir, name)) as f:
                text += f.read()
    return text


def errors_def():
    rows = {}
    with open(os.path.join(SOURCE, "spec", "errors.def")) as f:
        for line in f:
            m = re.match(r'^SLM_ERROR\((\w+),\s*(\w+),\s*"([^"]+)"', line)
            if m:
                rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def cases():
    with open(os.path.join(CASES, "manifest.json")) as f:
        ids = [c["id"] for c in json.load(f)["cases"]]
    out = {}
    for i in ids:
        with open(os.path.join(CASES, i, "expected.json")) as f:
            out[i] = json.load(f)
    return out


class Traceability(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codes = errors_def()
        cls.rules = {rule: code for code, (_, rule) in cls.codes.items()}
        cls.cases = cases()
        cls.rt_rules = set(re.findall(r"\*\*(RT-[A-Z]+-\d{3})\*\*", spec_text()))

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
