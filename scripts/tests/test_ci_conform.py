#!/usr/bin/env python3
"""The CI integration for runtime authors: action.yml and ci/gitlab/slm-conform.gitlab-ci.yml run
scripts/ci-conform, and nothing else. This test reads both files, checks that each declares exactly
the inputs it uses, then runs their own command lines (inputs substituted as GitHub and GitLab
would) against `slm protocol` and the example integration examples/python-validator: exit statuses,
report folders, sharded matrices merged, skip lists and level thresholds.
Usage: test_ci_conform.py BUILD_BIN_DIR SOURCE_DIR"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

BIN, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SLM = os.path.join(BIN, "slm")
SCRIPT = os.path.join(SOURCE, "scripts", "ci-conform")
VALIDATOR = f"oneshot:/usr/bin/python3 {os.path.join(SOURCE, 'examples', 'python-validator', 'slm_validate.py')}"
PROTOCOL = f"cmd:{SLM} protocol"
INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def load(path):
    with open(os.path.join(SOURCE, path)) as f:
        return yaml.safe_load(f)


def manifest_size():
    with open(os.path.join(SOURCE, "conformance", "cases", "manifest.json")) as f:
        return len(json.load(f)["cases"])


def results(report):
    with open(os.path.join(report, "results.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    assert lines[0]["type"] == "header" and lines[-1]["type"] == "footer"
    return lines[1:-1]


def script_options():
    """The options scripts/ci-conform documents in its usage."""
    with open(SCRIPT) as f:
        head = "".join(line for line in f if line.startswith("#"))
    return set(re.findall(r"(--[a-z][a-z-]*)", head))


def command_options(command):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", command))


ACTION = load("action.yml")
GITLAB = load("ci/gitlab/slm-conform.gitlab-ci.yml")


def action_run_step():
    steps = [s for s in ACTION["runs"]["steps"] if "run" in s]
    assert len(steps) == 1, "action.yml runs one command"
    return steps[0]


def gitlab_job(name):
    """A job of the template with `extends` resolved as GitLab does (variables merged, the rest replaced)."""
    job = dict(GITLAB[name])
    parent = job.pop("extends", None)
    if parent is None:
        return job
    resolved = gitlab_job(parent)
    variables = {**resolved.get("variables", {}), **job.get("variables", {})}
    resolved.update(job)
    resolved["variables"] = variables
    return resolved


def header_examples(path):
    """The YAML examples in a file's leading comment: each run of lines indented under '#   '."""
    blocks, current = [], []
    with open(os.path.join(SOURCE, path)) as f:
        for line in f:
            if line.startswith("#   "):
                current.append(line[4:])
                continue
            if current:
                blocks.append(yaml.safe_load("".join(current)))
                current = []
            if not line.startswith("#"):
                break
    return blocks


def walk(node):
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from walk(child)


class CiFiles(unittest.TestCase):
    """What the two files declare and run, read without running anything."""

    def test_the_examples_in_the_headers_use_only_what_the_files_declare(self):
        uses = [n for block in header_examples("action.yml") for n in walk(block)
                if isinstance(n, dict) and str(n.get("uses", "")).startswith("OWNER/slm-conformance-kit@")]
        self.assertGreaterEqual(len(uses), 3, "one job, a matrix job and its merge job")
        for step in uses:
            self.assertLessEqual(set(step["with"]), set(ACTION["inputs"]), step)
        self.assertTrue(any("shard" in step["with"] for step in uses) and any("merge" in step["with"] for step in uses))
        jobs = [n for block in header_examples("ci/gitlab/slm-conform.gitlab-ci.yml") for n in walk(block)
                if isinstance(n, dict) and "extends" in n]
        self.assertEqual({job["extends"] for job in jobs}, {".slm-conform", ".slm-conform-merge"})
        for job in jobs:
            self.assertLessEqual(set(job.get("variables", {})), set(gitlab_job(job["extends"])["variables"]), job)
        self.assertTrue(any("parallel" in job for job in jobs))

    def test_action_declares_exactly_the_inputs_it_uses(self):
        with open(os.path.join(SOURCE, "action.yml")) as f:
            used = set(INPUT.findall(f.read()))
        self.assertEqual(used, set(ACTION["inputs"]))
        self.assertEqual(ACTION["runs"]["using"], "composite")

    def test_action_runs_only_ci_conform_with_every_input(self):
        step = action_run_step()
        self.assertEqual(step["shell"], "bash")
        command = step["run"]
        self.assertTrue(command.startswith('"$GITHUB_ACTION_PATH/scripts/ci-conform" '), command)
        self.assertLessEqual(command_options(command), script_options())
        # every input reaches the script through the environment, and nothing else does
        env_of_input = {name: INPUT.fullmatch(value).group(1) for name, value in step["env"].items()}
        self.assertEqual(set(env_of_input.values()) | {"artifact-name"}, set(ACTION["inputs"]))
        self.assertEqual(set(re.findall(r"\$(SLM_CONFORM_\w+)", command)), set(env_of_input))
        self.assertNotIn("${{", command, "inputs are never pasted into the command line")
        upload = [s for s in ACTION["runs"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
        self.assertEqual(len(upload), 1)
        self.assertEqual(upload[0]["if"], "always()")
        self.assertEqual(upload[0]["with"]["path"], "${{ inputs.report }}")

    def test_gitlab_template_runs_the_actions_command(self):
        job = gitlab_job(".slm-conform")
        kit_line, command = job["script"]
        self.assertIn("git clone", kit_line)
        # one command line for both CI systems: only the kit's path is named differently
        self.assertEqual(command.replace("$SLM_KIT_DIR", "$GITHUB_ACTION_PATH"), action_run_step()["run"])
        used = set(re.findall(r"\$(SLM_CONFORM_\w+)", command))
        self.assertEqual(used, {v for v in job["variables"] if v.startswith("SLM_CONFORM_")})
        self.assertEqual(set(action_run_step()["env"]), used)
        self.assertEqual(job["artifacts"]["when"], "always")
        merge = gitlab_job(".slm-conform-merge")
        self.assertEqual(merge["script"], job["script"])
        self.assertTrue(merge["variables"]["SLM_CONFORM_MERGE"])


class CiRuns(unittest.TestCase):
    """The files' own command lines, run here."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.summary = os.path.join(self.tmp, "step-summary.md")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def base_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLM", "GITHUB_", "CI_"))}
        env["SLM_CONFORM_NO_BUILD"] = "1"  # a test never builds the kit: a missing slm fails instead
        return env

    def action(self, **given):
        """Runs action.yml's step with these inputs (underscores for dashes), as a GitHub runner would."""
        inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
        for key, value in given.items():
            name = key.replace("_", "-")
            self.assertIn(name, inputs)
            inputs[name] = value
        step = action_run_step()
        env = self.base_env()
        env.update({k: INPUT.sub(lambda m: inputs[m.group(1)], v) for k, v in step["env"].items()})
        env.update(GITHUB_ACTION_PATH=SOURCE, GITHUB_STEP_SUMMARY=self.summary)
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=self.tmp,
                              env=env, capture_output=True, text=True, timeout=900)

    def gitlab(self, name, variables, node=None):
        """Runs a job of the template's `script` lines, as a GitLab runner would (node: (index, total))."""
        job = gitlab_job(name)
        env = self.base_env()
        env.update(CI_PROJECT_DIR=self.tmp, CI_JOB_NAME_SLUG="conformance" + (f"-{node[0]}-{node[1]}" if node else ""))
        if node:
            env.update(CI_NODE_INDEX=str(node[0]), CI_NODE_TOTAL=str(node[1]))
        merged = {**job["variables"], **variables, "SLM_KIT_DIR": SOURCE}
        for key, value in merged.items():  # GitLab expands $VARIABLES in variables, in order
            env[key] = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), str(value))
        for line in job["script"]:
            r = subprocess.run(["bash", "-c", line], cwd=self.tmp, env=env, capture_output=True, text=True, timeout=900)
            if r.returncode != 0:
                return r
        return r

    def test_action_sharded_against_slm_protocol(self):
        for k in (1, 2, 3):
            r = self.action(runtime=PROTOCOL, slm=SLM, shard=f"{k}/3", report=f"shards/slm-conform-shard-{k}", jobs="2")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.action(merge="shards/*", slm=SLM, report="merged", require_level="L5")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        merged = results(os.path.join(self.tmp, "merged"))
        self.assertEqual(len(merged), manifest_size())
        self.assertTrue(all(c["outcome"] == "pass" for c in merged))
        with open(self.summary) as f:
            self.assertIn(f"**{manifest_size()} passed, 0 failed", f.read(), "summary.md in the job summary")

    def test_action_against_the_example_integration(self):
        # The example skips rules on purpose: the job fails, and its report says which cases.
        r = self.action(runtime=VALIDATOR, slm=SLM, timeout="60")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        report = os.path.join(self.tmp, "slm-conform-report")
        failing = [c["id"] for c in results(report) if c["outcome"] not in ("pass", "skipped")]
        self.assertTrue(failing)
        # its author's skip list turns the job green, and the report still lists them
        with open(os.path.join(self.tmp, "known-failures.txt"), "w") as f:
            f.write("# not implemented yet\n" + "\n".join(failing) + "\n")
        open(os.path.join(self.tmp, "empty.txt"), "w").close()
        r = self.action(runtime=VALIDATOR, slm=SLM, timeout="60", skip="empty.txt\nknown-failures.txt", jobs="2")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        skipped = {c["id"] for c in results(report) if c["skiplisted"]}
        self.assertEqual(skipped, set(failing))

    def test_gitlab_parallel_against_slm_protocol_then_merge(self):
        for k in (1, 2):
            r = self.gitlab(".slm-conform", {"SLM_CONFORM_RUNTIME": PROTOCOL, "SLM_CONFORM_SLM": SLM}, node=(k, 2))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(os.path.isfile(os.path.join(self.tmp, "slm-conform", f"conformance-{k}-2", "junit.xml")))
        r = self.gitlab(".slm-conform-merge", {"SLM_CONFORM_SLM": SLM, "SLM_CONFORM_REQUIRE_LEVEL": "L3"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(results(os.path.join(self.tmp, "slm-conform-merged"))), manifest_size())

    def test_gitlab_against_the_example_integration(self):
        # Without `parallel:` the shard is "/": every case runs. A threshold does not hide L1 failures.
        r = self.gitlab(".slm-conform", {"SLM_CONFORM_RUNTIME": VALIDATOR, "SLM_CONFORM_SLM": SLM,
                                         "SLM_CONFORM_TIMEOUT": "60", "SLM_CONFORM_REQUIRE_LEVEL": "L1"})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        res = results(os.path.join(self.tmp, "slm-conform", "conformance"))
        self.assertEqual(len(res), manifest_size())
        self.assertTrue(any(c["outcome"] == "fail" and c["levels"].get("L1") is False for c in res))

    def test_slm_is_found_in_the_environment_then_on_the_path(self):
        # With --slm empty, $SLM and then the PATH name the binary (a refused --require-level proves
        # it ran: the message is slm's own). Without any, the script would build; here it refuses.
        for env in ({"SLM": SLM}, {"PATH": BIN + os.pathsep + os.environ["PATH"]}):
            with self.subTest(env=list(env)):
                r = subprocess.run([SCRIPT, "--runtime", PROTOCOL, "--require-level", "L0", "--slm", ""], cwd=self.tmp,
                                   env={**self.base_env(), **env}, capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 2)
                self.assertIn("E_ARG_VALUE [SLM-TOOL-006]: --require-level: 'L0'", r.stderr)
        path = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if not os.path.exists(os.path.join(d, "slm")))
        r = subprocess.run([SCRIPT, "--runtime", PROTOCOL], cwd=self.tmp, env={**self.base_env(), "PATH": path},
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 2)
        self.assertIn("SLM_CONFORM_NO_BUILD is set", r.stderr)

    def test_refusals_exit_2(self):
        r = self.action(runtime=PROTOCOL, slm=SLM, require_level="L9")
        self.assertEqual(r.returncode, 2)
        self.assertIn("E_ARG_VALUE", r.stderr)
        r = self.action(merge="no-such-shards/*", slm=SLM)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no report folder matches", r.stderr)
        r = self.action(slm=SLM)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--runtime is empty", r.stderr)
        r = self.action(runtime=PROTOCOL, slm="/no/such/slm")
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
