"""Rule traceability, one place: which rules spec/errors.def and the spec text define, which cases
target them, and which rules no case can reach (with the test that covers each instead). Used by
conformance/tests/test_traceability.py (the checks) and scripts/reports-index (the front page)."""
import json
import os
import re

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


def spec_text(source):
    text = ""
    spec_dir = os.path.join(source, "spec")
    for name in sorted(os.listdir(spec_dir)):
        if name.endswith(".md"):
            with open(os.path.join(spec_dir, name)) as f:
                text += f.read()
    return text


def errors_def(source):
    rows = {}
    with open(os.path.join(source, "spec", "errors.def")) as f:
        for line in f:
            m = re.match(r'^SLM_ERROR\((\w+),\s*(\w+),\s*"([^"]+)"', line)
            if m:
                rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def cases(source):
    cases_dir = os.path.join(source, "conformance", "cases")
    with open(os.path.join(cases_dir, "manifest.json")) as f:
        ids = [c["id"] for c in json.load(f)["cases"]]
    out = {}
    for i in ids:
        with open(os.path.join(cases_dir, i, "expected.json")) as f:
            out[i] = json.load(f)
    return out


def coverage(source):
    """Per rule family: rules defined, rules a rejection case (or, for RT- rules, any case) targets,
    and rules covered by a named test instead of a case."""
    codes, all_cases = errors_def(source), cases(source)
    slm_rules = {rule for _, (_, rule) in codes.items()}
    rt_rules = set(re.findall(r"\*\*(RT-[A-Z]+-\d{3})\*\*", spec_text(source)))
    targeted = {c["expect"]["rule"] for c in all_cases.values() if c["expect"]["outcome"] == "reject"}
    targeted |= {r for c in all_cases.values() for r in c["rules"] if r.startswith("RT-")}
    elsewhere = set(NOT_FILE_TESTABLE) | set(RT_TESTED_ELSEWHERE)
    rows = {}
    for rule in sorted(slm_rules | rt_rules):
        family = rule.rsplit("-", 1)[0]
        row = rows.setdefault(family, {"rules": 0, "case": 0, "elsewhere": 0, "none": []})
        row["rules"] += 1
        if rule in targeted:
            row["case"] += 1
        elif rule in elsewhere:
            row["elsewhere"] += 1
        else:
            row["none"].append(rule)
    return rows, len(all_cases)
