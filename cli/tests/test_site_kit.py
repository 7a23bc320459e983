#!/usr/bin/env python3
"""slm site-kit: deterministic, under 10 MiB, every file listed with its digest, every JSON file valid
against its schema, the packet verified (re-run, approved), the tampered copy and the tampered adapter
refused with their codes, the parent's gate failing and the descendant's passing, an existing folder
refused and left alone. The kit's page is tested in Chromium by tests/site/test_site.py.
Usage: test_site_kit.py SLM SOURCE_DIR"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

import jsonschema

SLM, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])


def run(*args, cwd=None):
    return subprocess.run([SLM, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


class SiteKit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.wasm = os.path.join(cls.tmp.name, "stand-in.wasm")  # the page test ships the real module
        with open(cls.wasm, "wb") as f:
            f.write(b"\0asm\x01\0\0\0")
        cls.kit = os.path.join(cls.tmp.name, "kit")
        r = run("site-kit", "-o", cls.kit, "--wasm", cls.wasm)
        assert r.returncode == 0, r.stderr
        cls.files = tree(cls.kit)
        with open(os.path.join(cls.kit, "kit.json")) as f:
            cls.index = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_two_runs_give_byte_identical_trees(self):
        again = os.path.join(self.tmp.name, "again")
        self.assertEqual(run("site-kit", "-o", again, "--wasm", self.wasm).returncode, 0)
        self.assertEqual(tree(again), self.files)

    def test_the_kit_stays_under_10_mib(self):
        self.assertLess(sum(len(b) for b in self.files.values()), 10 << 20)

    def test_kit_json_lists_every_file_with_its_digest(self):
        listed = {f["path"]: f for f in self.index["files"]}
        self.assertEqual(set(listed) | {"kit.json"}, set(self.files))
        for path, f in listed.items():
            self.assertEqual(hashlib.sha256(self.files[path]).hexdigest(), f["sha256"], path)
            self.assertEqual(len(self.files[path]), f["bytes"], path)

    def test_every_json_file_follows_its_schema(self):
        schemas = {}
        for name, data in self.files.items():
            if name.startswith("schemas/"):
                s = json.loads(data)
                schemas[s["$id"]] = s
        entries = list(self.index["files"]) + [{"path": "kit.json", "schema": "schemas/site-kit.schema.json"}]
        checked = 0
        for f in entries:
            if f["path"].endswith(".jsonl"):  # JSON Lines: the schema is each line's
                schema = json.loads(self.files[f["schema"]])
                for line in self.files[f["path"]].decode().splitlines():
                    jsonschema.validate(json.loads(line), schema)
                checked += 1
            if f["path"].endswith(".json") and not f["path"].startswith("schemas/"):
                self.assertIsNotNone(f["schema"], f"{f['path']} has no schema")
                schema = json.loads(self.files[f["schema"]])
                resolver = jsonschema.RefResolver(schema["$id"], schema, store=schemas)
                jsonschema.validate(json.loads(self.files[f["path"]]), schema, resolver=resolver)
                checked += 1
        self.assertGreaterEqual(checked, 15)

    def test_the_packet_verifies_and_the_tampered_copy_does_not(self):
        keys = ["--pubkey", "keys/DEMO-builder.pub", "--pubkey", "keys/DEMO-reviewer.pub"]
        r = run("packet", "verify", "packet.json", *keys, "--rerun", "--require-approval", "--json", cwd=self.kit)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertTrue(json.loads(r.stdout)["verified"])
        r = run("packet", "verify", "packet.tampered.json", *keys, "--json", cwd=self.kit)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["code"], "E_PKT_SIGNATURE")
        self.assertEqual(json.loads(self.files["verify.tampered.json"])["code"], "E_PKT_SIGNATURE")
        self.assertTrue(json.loads(self.files["verify.json"])["verified"])

    def test_the_tampered_adapter_is_refused(self):
        r = run("adapter", "validate", "--parent", "packages/parent.slm", "adapters/fix-sparse.tampered.asp", "--json", cwd=self.kit)
        self.assertEqual(r.returncode, 1)
        self.assertIn("E_ADP_CHECKSUM", r.stdout)
        for a in ("fix-sparse.asp", "fix-dense.adp", "fix-low-rank.alr"):
            self.assertEqual(run("adapter", "validate", "--parent", "packages/parent.slm", "adapters/" + a, cwd=self.kit).returncode, 0, a)

    def test_the_parent_fails_its_gate_and_the_descendant_passes(self):
        parent = json.loads(self.files["evidence/parent.sidecar.json"])
        child = json.loads(self.files["evidence/descendant-sparse.sidecar.json"])
        self.assertFalse(parent["reproducible"]["gate"]["passed"])
        self.assertTrue(child["reproducible"]["gate"]["passed"])
        self.assertEqual(child["reproducible"]["baseline"], parent["reproducible_digest"])
        self.assertEqual(run("gate", "evidence/descendant-sparse.sidecar.json", "--baseline", "evidence/parent.sidecar.json",
                             cwd=self.kit).returncode, 0)

    def test_the_descendant_files_are_what_apply_writes(self):
        for kind, ext in (("sparse", "asp"), ("dense", "adp"), ("low-rank", "alr")):
            out = os.path.join(self.tmp.name, f"applied-{kind}.slm")
            r = run("adapter", "apply", "--parent", os.path.join(self.kit, "packages/parent.slm"),
                    os.path.join(self.kit, f"adapters/fix-{kind}.{ext}"), "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), self.files[f"packages/descendant-{kind}.slm"], kind)

    def test_an_existing_folder_is_refused_and_left_alone(self):
        existing = os.path.join(self.tmp.name, "existing")
        os.mkdir(existing)
        with open(os.path.join(existing, "keep.txt"), "w") as f:
            f.write("mine")
        r = run("site-kit", "-o", existing, "--wasm", self.wasm)
        self.assertEqual(r.returncode, 2)
        self.assertIn("E_OUT_EXISTS", r.stderr)
        self.assertEqual(os.listdir(existing), ["keep.txt"])
        self.assertFalse([n for n in os.listdir(self.tmp.name) if ".tmp." in n])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=1)
