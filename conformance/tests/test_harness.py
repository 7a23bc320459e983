#!/usr/bin/env python3
"""End-to-end tests of `slm conform`: the reference passes through every connector; misbehaving
runtimes are reported case by case and never stop the run; a reference with one check switched off
fails exactly the cases of that check; the committed cases equal what the generators write.
Usage: test_harness.py BUILD_BIN_DIR SOURCE_DIR"""
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BIN, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SLM = os.path.join(BIN, "slm")
CASES = os.path.join(SOURCE, "conformance", "cases")
FAKE = os.path.join(SOURCE, "conformance", "tests", "fake_runtime.py")
PY = sys.executable


def conform(runtime, report, *extra):
    cmd = [SLM, "conform", "--runtime", runtime, "--cases", CASES, "--report", report, "--no-progress", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def results(report):
    with open(os.path.join(report, "results.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    assert lines[0]["type"] == "header" and lines[-1]["type"] == "footer", "truncated results.jsonl"
    return {c["id"]: c for c in lines[1:-1]}


def manifest():
    with open(os.path.join(CASES, "manifest.json")) as f:
        return json.load(f)["cases"]


def case_op(case_id):
    with open(os.path.join(CASES, case_id, "expected.json")) as f:
        return json.load(f)["op"]


def expected(case_id):
    with open(os.path.join(CASES, case_id, "expected.json")) as f:
        return json.load(f)


def expected_codes():
    codes = {}
    for c in manifest():
        with open(os.path.join(CASES, c["id"], "expected.json")) as f:
            e = json.load(f)["expect"]
        codes[c["id"]] = e.get("codes", [])
    return codes


class Harness(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def report(self, name):
        return os.path.join(self.tmp, name)

    def assert_all_pass(self, runtime, only_validate=False):
        r = conform(runtime, self.report("r"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        res = results(self.report("r"))
        self.assertEqual(len(res), len(manifest()))
        for case_id, c in res.items():
            want = "skipped" if only_validate and case_op(case_id) != "validate" else "pass"
            self.assertEqual(c["outcome"], want, case_id)
        for name in ("results.jsonl", "summary.md", "index.html", "junit.xml"):
            self.assertGreater(os.path.getsize(os.path.join(self.report("r"), name)), 0, name)

    def test_reference_in_process(self):
        self.assert_all_pass("ref")

    def test_reference_over_a_pipe(self):
        self.assert_all_pass(f"cmd:{SLM} protocol")

    def test_reference_answers_follow_the_protocol_schema(self):
        # Every line `slm protocol` writes for every case (all five operations) is a valid hello or
        # answer of spec/schemas/protocol.schema.json, and every request the harness would send is too.
        try:
            import jsonschema
        except ImportError:
            self.skipTest("python3-jsonschema is not installed")
        store = {}
        for name in ("protocol.schema.json", "validate-result.schema.json"):
            with open(os.path.join(SOURCE, "spec", "schemas", name)) as f:
                schema = json.load(f)
                store[schema["$id"]] = schema
        protocol = store["https://slm-conformance.invalid/schemas/protocol.schema.json"]
        validator = jsonschema.Draft202012Validator(protocol, resolver=jsonschema.RefResolver(protocol["$id"], protocol, store=store))
        requests = []
        for seq, c in enumerate(manifest(), start=1):
            e = expected(c["id"])
            case_dir = os.path.join(CASES, c["id"])
            path = os.path.join(case_dir, e["input"].get("file") or e["input"].get("absent") or "")
            if "file" not in e["input"] and "absent" not in e["input"]:
                continue  # materialised inputs are covered by the other tests
            req = {"seq": seq, "op": e["op"], "path": path}
            if e["op"] == "validate":
                req["verify_digest"] = e["options"]["verify_digest"]
            req.update(e.get("request", {}))
            if "parent" in e:
                if "file" not in e["parent"]:
                    continue
                req["parent"] = os.path.join(case_dir, e["parent"]["file"])
                req["stack"] = [os.path.join(case_dir, s.get("file") or s["absent"]) for s in e.get("stack", [])]
            requests.append(req)
        self.assertGreater(len(requests), 120)
        lines = [json.dumps(r) for r in requests] + [json.dumps({"op": "bye"})]
        out = subprocess.run([SLM, "protocol"], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=600)
        answers = [json.loads(line) for line in out.stdout.splitlines()]
        self.assertEqual(len(answers), len(requests) + 1)  # the hello, then one answer each
        for line in answers + requests:
            errors = [err.message for err in validator.iter_errors(line)]
            self.assertEqual(errors, [], json.dumps(line)[:200])

    def test_reference_one_shot(self):
        # one-shot mode only validates: the other operations' cases are skipped
        self.assert_all_pass(f"oneshot:{SLM} validate --json", only_validate=True)

    def test_runtime_crashing_on_every_10th_case(self):
        r = conform(f"cmd:{PY} {FAKE} {SLM} --crash-every 10", self.report("r"))
        self.assertEqual(r.returncode, 1)
        res = list(results(self.report("r")).values())
        self.assertEqual(len(res), len(manifest()))
        # seq restarts at no particular value per process, but the runner numbers requests globally
        crashed = [i for i, c in enumerate(res) if c["outcome"] == "crash"]
        self.assertEqual(crashed, [i for i in range(len(res)) if (i + 1) % 10 == 0])
        self.assertTrue(all(c["outcome"] == "pass" for i, c in enumerate(res) if i not in crashed))
        self.assertIn("fake runtime: request", res[crashed[0]]["stderr"])

    def test_runtime_that_hangs(self):
        r = conform(f"cmd:{PY} {FAKE} {SLM} --hang-every 4", self.report("r"), "--only", "header/*", "--timeout", "1")
        self.assertEqual(r.returncode, 1)
        res = list(results(self.report("r")).values())
        self.assertEqual([c["outcome"] for c in res].count("timeout"), len(res) // 4)
        self.assertTrue(all(c["outcome"] in ("pass", "timeout") for c in res))

    def test_runtime_printing_garbage(self):
        r = conform(f"cmd:{PY} {FAKE} {SLM} --garbage-every 3", self.report("r"), "--only", "tensors/*")
        self.assertEqual(r.returncode, 1)
        res = list(results(self.report("r")).values())
        garbage = [c for c in res if c["outcome"] == "garbage"]
        self.assertEqual(len(garbage), len(res) // 3)
        self.assertIn("not a JSON object", garbage[0]["reason"])

    def test_runtime_echoing_wrong_seq(self):
        r = conform(f"cmd:{PY} {FAKE} {SLM} --wrong-seq", self.report("r"), "--only", "header/*")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(all(c["outcome"] == "garbage" for c in results(self.report("r")).values()))

    def test_answer_fields_of_the_wrong_type(self):
        # corpus/regressions/protocol/status-not-a-string.json: once an uncaught exception in the runner
        r = conform(f"cmd:{PY} {FAKE} {SLM} --status-not-text", self.report("r"), "--only", "header/*")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(all(c["outcome"] == "garbage" for c in results(self.report("r")).values()))

    def test_runtime_that_never_says_hello(self):
        r = conform(f"cmd:{PY} {FAKE} {SLM} --no-hello", self.report("r"), "--only", "header/*", "--timeout", "1")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(all(c["outcome"] == "crash" for c in results(self.report("r")).values()))

    def test_missing_runtime_binary(self):
        r = conform("oneshot:/nonexistent/runtime", self.report("r"), "--only", "header/*")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(all(c["outcome"] == "crash" for c in results(self.report("r")).values()))

    def test_wasm_connector_without_a_module_crashes_each_case(self):
        # the speaker starts, but the module cannot be read: no hello, so every case is a crash
        r = conform("wasm:/nonexistent/slm.wasm", self.report("r"), "--only", "header/*")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(all(c["outcome"] == "crash" for c in results(self.report("r")).values()))

    def test_wasm_connector_without_its_speaker_is_a_usage_error(self):
        env = dict(os.environ, SLM_WASM_SPEAKER="/nonexistent/speaker.mjs")
        cmd = [SLM, "conform", "--runtime", "wasm:x.wasm", "--cases", CASES, "--report", "", "--no-progress"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("SLM_WASM_SPEAKER", r.stderr)

    def test_skip_list_flags_cases_that_pass(self):
        skip = os.path.join(self.tmp, "skip.txt")
        with open(skip, "w") as f:
            f.write("# known failures\nheader/bad-magic\ntensors/*\n")
        r = conform(f"cmd:{PY} {FAKE} {SLM} --crash-every 2", self.report("r"), "--skip", skip)
        res = results(self.report("r"))
        self.assertTrue(res["header/bad-magic"]["skiplisted"])
        skipped = [c for c in res.values() if c["skiplisted"]]
        self.assertTrue(all(c["outcome"] in ("skipped", "pass") for c in skipped))
        self.assertTrue(all(c["unexpected_pass"] == (c["outcome"] == "pass") for c in skipped))
        with open(os.path.join(self.report("r"), "summary.md")) as f:
            self.assertIn("unexpected pass", f.read().lower())

    # ---- A harness that survives its inputs (hostile tester's findings) ----

    def copy_cases(self, only_prefixes):
        """A private case tree with the cases whose id starts with one of the prefixes."""
        tree = os.path.join(self.tmp, "cases")
        keep = [c for c in manifest() if c["id"].startswith(tuple(only_prefixes))]
        for c in keep:
            shutil.copytree(os.path.join(CASES, c["id"]), os.path.join(tree, c["id"]))
        with open(os.path.join(tree, "manifest.json"), "w") as f:
            json.dump({"cases": keep}, f)
        return tree, [c["id"] for c in keep]

    def edit_case(self, tree, case_id, edit):
        path = os.path.join(tree, case_id, "expected.json")
        with open(path) as f:
            e = json.load(f)
        edit(e)
        with open(path, "w") as f:
            json.dump(e, f)

    def test_a_broken_case_is_errored_and_the_run_goes_on(self):
        tree, ids = self.copy_cases(["header/"])
        self.edit_case(tree, ids[0], lambda e: e["input"].update(sha256="00" * 32))
        self.edit_case(tree, ids[1], lambda e: e.update(input={"generate": {"preset": "tiny", "layers": 100000000}, "sha256": "00"}))
        self.edit_case(tree, ids[2], lambda e: e.update(input={"generate": {"preset": "tiny", "layers": "two"}, "sha256": "00"}))
        self.edit_case(tree, ids[3], lambda e: e.update(input={"file": "../../../../../../etc/passwd", "sha256": "00"}))
        self.edit_case(tree, ids[4], lambda e: e.update(input={"file": "/etc/passwd", "sha256": "00"}))
        os.symlink("/etc/passwd", os.path.join(tree, ids[5], "outside.slm"))
        self.edit_case(tree, ids[5], lambda e: e.update(input={"file": "outside.slm", "sha256": "00"}))
        r = subprocess.run([SLM, "conform", "--runtime", "ref", "--cases", tree, "--report", self.report("r"), "--no-progress"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 1, r.stderr)
        res = results(self.report("r"))
        self.assertEqual(len(res), len(ids))
        for broken in ids[:6]:
            self.assertEqual(res[broken]["outcome"], "errored", broken)
            self.assertIn("case cannot be loaded", res[broken]["reason"])
        for k in (3, 4, 5):
            self.assertIn("outside the case tree" if k != 4 else "absolute path", res[ids[k]]["reason"])
        self.assertIn("E_LIMIT_HPARAM", res[ids[1]]["reason"])
        self.assertTrue(all(res[i]["outcome"] == "pass" for i in ids[6:]))
        self.assertIn("6 errored", r.stdout)
        # a broken case outside --only does not matter at all
        r = subprocess.run([SLM, "conform", "--runtime", "ref", "--cases", tree, "--report", "", "--no-progress",
                            "--only", ids[7]], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_skip_list_must_be_a_small_regular_file(self):
        for bad in ("/dev/zero", self.tmp):
            r = conform("ref", self.report("r"), "--skip", bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("not a regular file", r.stderr)
        big = os.path.join(self.tmp, "big.txt")
        with open(big, "w") as f:
            f.write("x\n" * (1 << 20))
        self.assertEqual(conform("ref", self.report("r"), "--skip", big).returncode, 2)

    def test_hostile_hello_name_is_bounded_and_escaped(self):
        name = "\u001b]0;pwn\u0007" + "n" * 260
        r = conform(f"cmd:{PY} {FAKE} {SLM} --name '{name}'", os.path.join(self.tmp, "rep", "{runtime}"), "--only", "header/*")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("\x1b", r.stdout + r.stderr)
        self.assertNotIn("\x07", r.stdout + r.stderr)
        self.assertIn("\\x1b]0;pwn\\x07", r.stdout)
        folders = os.listdir(os.path.join(self.tmp, "rep"))
        self.assertEqual(len(folders), 1)
        self.assertLessEqual(len(folders[0]), 64)

    def test_one_shot_exit_statuses_are_what_they_are(self):
        script = os.path.join(self.tmp, "exit255.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nexit 255\n")
        os.chmod(script, 0o755)
        r = conform(f"oneshot:{script}", self.report("r"), "--only", "header/bad-magic")
        self.assertEqual(r.returncode, 1)
        reason = results(self.report("r"))["header/bad-magic"]["reason"]
        self.assertIn("exited with status 255", reason)
        self.assertNotIn("signal", reason)
        # the runner's own /bin/sh -c is the process that dies here, so the signal is the runtime's
        conform("oneshot:kill -SEGV $$", self.report("r2"), "--only", "header/bad-magic")
        self.assertIn("killed by signal 11 (SIGSEGV)", results(self.report("r2"))["header/bad-magic"]["reason"])

    def test_no_process_started_by_a_run_outlives_it(self):
        marker = f"slm-harness-daemon-{os.getpid()}"
        for mode in ("cmd", "crash"):
            extra = "--crash-every 2" if mode == "crash" else ""
            conform(f"cmd:{PY} {FAKE} {SLM} --daemon {marker} {extra}", self.report(mode), "--only", "header/*")
        left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
        for pid in left:
            os.kill(int(pid), 9)
        self.assertEqual(left, [], "processes left running by the runtime")

    def test_the_reference_speaker_answers_every_line(self):
        bad_lines = [
            b'{"seq": 1, "op": "validate", "path": "\\ud800"}',  # a lone surrogate
            b'{"seq": 2, "op": "validate", "path": "\xff\xfe"}',  # invalid UTF-8
            b'{"seq": 3, "op": "generate", "path": "m.slm", "temperature": NaN}',
            b'{"op": "validate", "path": "x"}',  # no seq
            b'{"seq": -4, "op": "validate", "path": "x"}',
            b'{"seq": 5, "op": "generate", "path": "m.slm", "max_tokens": "5"}',
            b'{"seq": 6, "op": "apply_adapter", "path": "a", "parent": "p", "stack": "notalist"}',
            b'{"seq": 7, "op": "validate", "path": "' + b"x" * (1 << 20) + b'"}',
            b'not json at all',
            b'{"seq": 8, "op": "no_such_op", "path": "x"}',
        ]
        data = b"\n".join(bad_lines) + b'\n{"op": "bye"}\n'
        out = subprocess.run([SLM, "protocol"], input=data, capture_output=True, timeout=60).stdout.decode().splitlines()
        self.assertEqual(json.loads(out[0])["type"], "hello")
        answers = [json.loads(line) for line in out[1:]]
        self.assertEqual(len(answers), len(bad_lines), out)
        for answer in answers:
            self.assertEqual(answer["status"], "errored", answer)
            self.assertTrue(answer["message"])
        self.assertEqual([a["seq"] for a in answers], [None, None, None, None, None, 5, 6, None, None, 8])

    # ---- What a runtime's author reads (issue 11, item 5) ----

    def test_a_runtime_that_errors_on_every_case_is_not_called_failing(self):
        r = conform(f"cmd:{PY} {FAKE} {SLM} --errored", self.report("r"), "--only", "header/*")
        self.assertEqual(r.returncode, 1)
        n = len([c for c in manifest() if c["id"].startswith("header/")])
        self.assertIn(f"conform: 0 passed, 0 failed, {n} errored, 0 skipped", r.stdout)
        with open(os.path.join(self.report("r"), "summary.md")) as f:
            self.assertIn(f"0 passed, 0 failed, {n} errored, 0 skipped", f.read())
        with open(os.path.join(self.report("r"), "index.html")) as f:
            self.assertIn(f"{n} errored", f.read())
        with open(os.path.join(self.report("r"), "junit.xml")) as f:
            self.assertIn(f'errors="{n}"', f.read())

    def test_mismatches_name_the_field_and_both_values(self):
        conform(f"cmd:{PY} {FAKE} {SLM} --flip-flags", self.report("r"), "--only", "valid/tiny*")
        reason = next(iter(results(self.report("r")).values()))["reason"]
        self.assertRegex(reason, r"^identity\.flags is \d+, expected \d+$")
        conform(f"cmd:{PY} {FAKE} {SLM} --drop-last-token", self.report("t"), "--only", "generate/programmed-byte-f32")
        reason = results(self.report("t"))["generate/programmed-byte-f32"]["reason"]
        want = len(expected("generate/programmed-byte-f32")["expect"]["tokens"])
        self.assertIn(f"got {want - 1} ids, expected {want}", reason)
        self.assertIn(f"equal up to index {want - 1}, where one list ends", reason)

    def test_repeated_only_no_progress_verbose_and_fail_fast(self):
        r = conform("ref", self.report("r"), "--only", "header/bad-magic", "--only", "tensors/*")
        self.assertEqual(r.returncode, 0, r.stderr)
        ids = set(results(self.report("r")))
        self.assertIn("header/bad-magic", ids)
        self.assertTrue(all(i == "header/bad-magic" or i.startswith("tensors/") for i in ids))
        self.assertGreater(len(ids), 2)
        r = conform(f"cmd:{PY} {FAKE} {SLM} --crash-every 2", self.report("f"), "--only", "header/*")
        self.assertIn("CRASH header/", r.stderr, "--no-progress hides the progress bar, never the results")
        r = conform("ref", self.report("v"), "--only", "header/*", "-v")
        self.assertEqual(r.stderr.count("PASS header/"), len(results(self.report("v"))))
        r = conform(f"cmd:{PY} {FAKE} {SLM} --crash-every 2", self.report("ff"), "--only", "header/*", "--fail-fast")
        res = list(results(self.report("ff")).values())
        self.assertEqual([c["outcome"] for c in res], ["pass", "crash"])

    def test_a_wrong_failing_step_fails(self):
        # A binding failure at step 2, and unreadable files: each fails its own step (1 the input).
        steps = {"adapters/stack-second-bound-to-parent": 2, "adapters/apply-input-unreadable": 1,
                 "adapters/apply-stack-unreadable": 2}
        conform(f"cmd:{PY} {FAKE} {SLM} --wrong-step", self.report("r"), *[a for c in steps for a in ("--only", c)])
        res = results(self.report("r"))
        for case, step in steps.items():
            self.assertEqual(expected(case)["expect"]["step"], step)
            self.assertEqual(res[case]["outcome"], "fail")
            self.assertEqual(res[case]["reason"], f"step {step + 1}, expected {step}")

    def test_an_offset_where_the_code_has_none_fails_l3(self):
        # protocol.md 3: offset is null exactly when the spec assigns none; such cases say "offset": null.
        cases = ["io/missing-file", "generate/prompt-too-long", "eval/set-absent", "adapters/apply-input-unreadable"]
        for case in cases:
            self.assertIsNone(expected(case)["expect"]["offset"], case)
        conform(f"cmd:{PY} {FAKE} {SLM} --offset-always", self.report("o"), *[a for c in cases for a in ("--only", c)])
        res = results(self.report("o"))
        for case in cases:
            self.assertEqual(res[case]["outcome"], "fail", case)
            self.assertTrue(res[case]["reason"].startswith("offset 0 reported, expected null"), res[case]["reason"])

    def test_a_wrong_sidecar_field_fails_with_the_field_named(self):
        # L5: the reproducible part is judged field by field; the message names the first difference.
        expect = {"output": "results[sum].output is \"4!\", expected \"4\"",
                  "set-digest": "set.digest is \"" + "0" * 64,
                  "gate": "gate.passed is false, expected true"}
        for tamper, says in expect.items():
            with self.subTest(tamper=tamper):
                conform(f"cmd:{PY} {FAKE} {SLM} --tamper-eval {tamper}", self.report(tamper), "--only", "eval/hello-fix-sparse")
                res = results(self.report(tamper))["eval/hello-fix-sparse"]
                self.assertEqual(res["outcome"], "fail")
                self.assertTrue(res["reason"].startswith(says), res["reason"])

    def test_each_spec_reading_has_a_case_that_tells_it_apart(self):
        # Misreadings an outside implementer met (issue 11), each injected into an otherwise correct
        # runtime: exactly the case written for it fails.
        speaker = os.path.join(BIN, "slm_faulty_speaker")
        readings = [
            (f"cmd:env SLM_FAULTS=rmsnorm-reciprocal {speaker}", "generate/*", "generate/random-greedy-rmsnorm-dim48"),
            (f"cmd:env SLM_FAULTS=asp-a28-per-pair {speaker}", "adapters/*", "adapters/sparse/range-before-nonfinite"),
            (f"cmd:{PY} {FAKE} {SLM} --generate-on-nonempty-prompt", "adapters/*", "adapters/fix-sparse-empty-prompt"),
        ]
        for i, (runtime, only, case) in enumerate(readings):
            with self.subTest(case=case):
                r = conform(runtime, self.report(f"m{i}"), "--only", only)
                self.assertEqual(r.returncode, 1, r.stdout)
                failing = {c for c, v in results(self.report(f"m{i}")).items() if v["outcome"] != "pass"}
                self.assertEqual(failing, {case})

    def test_requests_carry_the_case_id_and_stderr_stays_per_case(self):
        conform(f"cmd:{PY} {FAKE} {SLM}", self.report("r"), "--only", "header/*")
        for case_id, c in results(self.report("r")).items():
            self.assertIn(f"of case {case_id}", c["stderr"])

    def test_rerun_failed_runs_only_what_did_not_pass(self):
        conform(f"cmd:{PY} {FAKE} {SLM} --crash-every 3", self.report("first"), "--only", "header/*")
        failed = {i for i, c in results(self.report("first")).items() if c["outcome"] != "pass"}
        self.assertTrue(failed)
        r = conform("ref", self.report("again"), "--rerun-failed", self.report("first"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(set(results(self.report("again"))), failed)
        self.assertEqual(conform("ref", self.report("x"), "--rerun-failed", self.report("again")).returncode, 2)

    def test_timeouts_scale_with_the_input(self):
        # 1 s per answer against a 0.5 s timeout: a small case times out, a 60 MB one gets 8 periods
        r = conform(f"cmd:{PY} {FAKE} {SLM} --sleep 1", self.report("r"), "--only", "header/bad-magic",
                    "--only", "valid/stories15m", "--timeout", "0.5")
        res = results(self.report("r"))
        self.assertEqual(res["header/bad-magic"]["outcome"], "timeout")
        self.assertEqual(res["valid/stories15m"]["outcome"], "pass", res["valid/stories15m"]["reason"])

    def test_usage_errors(self):
        self.assertEqual(conform("bogus:x", self.report("r")).returncode, 2)
        self.assertEqual(conform("ref", self.report("r"), "--only", "no/such/*").returncode, 2)

    def test_broken_builds_fail_exactly_their_rule(self):
        # Each variant switches one check off; the suite must notice that check and nothing else.
        codes = expected_codes()
        for check in ("E_TENSOR_OVERLAP", "E_TOK_DUPLICATE", "E_HDR_RESERVED", "E_ID_LAYOUT_CHECKSUM", "E_ADP_PARENT_DIGEST",
                      "E_ADP_SPARSE_ORDER"):
            with self.subTest(check=check):
                runtime = f"cmd:env SLM_DISABLE_CHECKS={check} {os.path.join(BIN, 'slm_faulty_speaker')}"
                r = conform(runtime, self.report(check))
                self.assertEqual(r.returncode, 1)
                failing = {i for i, c in results(self.report(check)).items() if c["outcome"] != "pass"}
                targeted = {i for i, c in codes.items() if check in c}
                self.assertTrue(targeted, check)
                self.assertEqual(failing, targeted)

    def test_broken_forward_passes_fail_the_goldens(self):
        # Plausible runtime bugs: GPT-NeoX RoPE pairing, a wrong GQA head mapping. Every programmed
        # golden must catch each; no validate or tokenize case may be affected.
        for fault in ("rope-halves", "gqa-modulo"):
            with self.subTest(fault=fault):
                runtime = f"cmd:env SLM_FAULTS={fault} {os.path.join(BIN, 'slm_faulty_speaker')}"
                r = conform(runtime, self.report(fault))
                self.assertEqual(r.returncode, 1)
                res = results(self.report(fault))
                failing = {i for i, c in res.items() if c["outcome"] != "pass"}
                generating = {i for i in res if case_op(i) in ("generate", "eval") or "request" in expected(i)}
                self.assertTrue(failing <= generating, failing - generating)
                programmed = {i for i in res if i.startswith("generate/programmed-")}
                self.assertTrue(programmed and programmed <= failing, programmed - failing)
                self.assertTrue(all(res[i]["outcome"] == "fail" for i in failing))

    def test_logits_are_judged_within_the_stated_tolerance(self):
        fake = f"cmd:{PY} {FAKE} {SLM}"
        not_bit_exact = os.path.join(SOURCE, "conformance", "skiplists", "not-bit-exact.txt")
        r = conform(f"{fake} --skew-logits 0.0001", self.report("small"), "--only", "generate/*", "--skip", not_bit_exact)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = conform(f"{fake} --skew-logits 0.01", self.report("large"), "--only", "generate/programmed-*")
        self.assertEqual(r.returncode, 1)
        res = results(self.report("large"))
        self.assertTrue(all(c["outcome"] == "fail" and "logit" in c["reason"] for c in res.values()), res)
        r = conform(f"{fake} --flip-last-token", self.report("flip"), "--only", "generate/programmed-*")
        self.assertEqual(r.returncode, 1)
        res = results(self.report("flip"))
        self.assertTrue(all(c["outcome"] == "fail" and "tokens differ" in c["reason"] for c in res.values()), res)

    def test_every_logit_is_judged_and_bit_exact_cases_judge_the_digest(self):
        fake = f"cmd:{PY} {FAKE} {SLM}"
        # one wrong logit far from the top 8: caught by the whole-vector comparison
        conform(f"{fake} --skew-smallest 0.5", self.report("low"), "--only", "generate/programmed-*")
        res = results(self.report("low"))
        self.assertTrue(all(c["outcome"] == "fail" and "logit of token" in c["reason"] for c in res.values()), res)
        # one ulp on one logit: within every tolerance, so it passes, except where bit-exactness is the point
        conform(f"{fake} --nudge-ulp", self.report("ulp"), "--only", "generate/*")
        res = results(self.report("ulp"))
        tagged = {i for i in res if "bit-exact" in expected(i).get("tags", [])}
        self.assertTrue(tagged)
        for case_id, c in res.items():
            if case_id in tagged:
                self.assertEqual(c["outcome"], "fail", case_id)
                self.assertIn("XXH64", c["reason"])
            else:
                self.assertEqual(c["outcome"], "pass", (case_id, c["reason"]))

    def test_example_python_validator(self):
        # The worked third-party integration (examples/python-validator) implements only part of the
        # spec on purpose: the report must fail only cases of the rules it skips, and pass the rest.
        example = os.path.join(SOURCE, "examples", "python-validator", "slm_validate.py")
        skipped_rules = {"SLM-LIM-002", "SLM-LIM-003", "SLM-LIM-004", "SLM-DIR-011", "SLM-DIR-012", "SLM-PAD-001",
                         "SLM-HPA-001", "SLM-TOK-010", "SLM-TOK-011", "SLM-TOK-012", "SLM-TOK-013", "SLM-TOK-014",
                         "SLM-MOD-001", "SLM-MOD-002", "SLM-MOD-003", "SLM-MOD-004", "SLM-ID-001", "SLM-ID-002",
                         "SLM-ID-003", "SLM-DIG-001"}
        r = conform(f"oneshot:/usr/bin/python3 {example}", self.report("r"), "--timeout", "60")
        self.assertEqual(r.returncode, 1)
        res = results(self.report("r"))
        failing = {i: c for i, c in res.items() if c["outcome"] not in ("pass", "skipped")}
        self.assertTrue(all(c["outcome"] == "fail" for c in failing.values()), "crash, timeout or garbage")
        for case_id, c in failing.items():
            self.assertNotEqual(c["expected"], "accept", f"{case_id}: a valid file must not fail")
            self.assertTrue(skipped_rules & set(c["rules"]), f"{case_id} fails a rule the example implements")
        passing_rules = {r for c in res.values() if c["outcome"] == "pass" for r in c["rules"]}
        self.assertIn("SLM-CHK-001", passing_rules)
        self.assertGreater(len(res) - len(failing), len(res) // 2)

    def test_example_node_validator(self):
        # The second worked integration (examples/node-validator) speaks the protocol, validates
        # with the parser generated from spec/kaitai/ and runs every check of format.md 7.1 and
        # A1-A36 of adapters.md: every validate and validate_adapter case must pass (L1-L3), and
        # every other operation must be answered skipped, not failed, errored or crashed.
        example = os.path.join(SOURCE, "examples", "node-validator", "slm_validate.js")
        r = conform(f"cmd:node {example}", self.report("r"), "--timeout", "60")
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        res = results(self.report("r"))
        self.assertEqual(len(res), len(manifest()))
        implemented = {"validate", "validate_adapter"}
        for case_id, c in res.items():
            want = "pass" if case_op(case_id) in implemented else "skipped"
            self.assertEqual(c["outcome"], want, (case_id, c["reason"]))
        passed = [c for c in res.values() if c["outcome"] == "pass"]
        self.assertTrue(any("SLM-DIG-001" in c["rules"] for c in passed))
        self.assertTrue(any(c["rules"][0].startswith("SLM-ADP-") for c in passed))
        # With a file argument the same script is a one-shot runtime (protocol.md section 5).
        for case_id, status in (("valid/tiny-all-f32", 0), ("header/bad-magic", 1), ("io/missing-file", 2)):
            want = expected(case_id)
            model = os.path.join(CASES, case_id, want["input"].get("file") or want["input"]["absent"])
            one = subprocess.run(["node", example, "--digest", model], capture_output=True, text=True, timeout=60)
            self.assertEqual(one.returncode, status, (case_id, one.stderr))
            got = json.loads(one.stdout)
            if status == 0:
                self.assertEqual(got["identity"], want["expect"]["identity"], case_id)
            else:
                self.assertIn(got["code"], want["expect"]["codes"], case_id)
        # Its committed report says what this run says, for every case it has (cases added since
        # are new lines the next report will hold).
        committed = results(os.path.join(SOURCE, "reports", "examples", "node-validator"))
        for case_id, c in committed.items():
            if case_id in res:
                self.assertEqual(c["outcome"], res[case_id]["outcome"], f"committed report: {case_id}")

    def test_no_drift(self):
        # Regenerating the cases gives the committed bytes (hand-made cases are copied, not generated).
        out = os.path.join(self.tmp, "cases")
        shutil.copytree(os.path.join(CASES, "handmade"), os.path.join(out, "handmade"))
        r = subprocess.run([SLM, "gen", "cases", "-o", out], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        cmp = filecmp.dircmp(CASES, out)
        problems = []

        def walk(d, path):
            problems.extend(f"{path}{n}: differs" for n in d.diff_files)
            problems.extend(f"{path}{n}: only committed" for n in d.left_only)
            problems.extend(f"{path}{n}: only generated" for n in d.right_only)
            for name, sub in d.subdirs.items():
                walk(sub, f"{path}{name}/")

        filecmp.clear_cache()
        walk(cmp, "")
        # dircmp compares shallowly by default; compare every file's bytes to be sure
        for root, _, files in os.walk(out):
            for name in files:
                gen = os.path.join(root, name)
                committed = os.path.join(CASES, os.path.relpath(gen, out))
                if os.path.exists(committed) and not filecmp.cmp(gen, committed, shallow=False):
                    problems.append(os.path.relpath(gen, out) + ": bytes differ")
        self.assertEqual(problems, [], "regenerate with `slm gen cases -o conformance/cases`")

    def test_html_report_renders(self):
        if not shutil.which("chromium"):
            self.skipTest("chromium is not installed (scripts/install-deps installs it)")
        self.assertEqual(conform("ref", self.report("r")).returncode, 0)
        png = os.path.join(self.tmp, "report.png")
        r = subprocess.run([os.path.join(SOURCE, "scripts", "render-report-png"), self.report("r"), png],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
