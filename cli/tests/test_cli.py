#!/usr/bin/python3
"""End-to-end tests of the `slm` command: exit statuses, JSON outputs against spec/schemas/, and
that a failed write leaves existing files alone. Usage: test_cli.py SLM_BINARY SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SLM, SOURCE = sys.argv[1], sys.argv[2]

try:
    import jsonschema
except ImportError:  # scripts/install-deps installs python3-jsonschema; without it schema checks are skipped
    jsonschema = None


def slm(*args):
    return subprocess.run([SLM, *args], capture_output=True, text=True)


def load_schema(name):
    with open(os.path.join(SOURCE, "spec", "schemas", name)) as f:
        return json.load(f)


def check_schema(instance, name):
    if jsonschema is None:
        return
    schemas = {s["$id"]: s for s in (load_schema("validate-result.schema.json"), load_schema("inspect.schema.json"))}
    schema = load_schema(name)
    resolver = jsonschema.RefResolver(schema["$id"], schema, store=schemas)
    jsonschema.Draft202012Validator(schema, resolver=resolver).validate(instance)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "tiny.slm")
        r = slm("gen", "model", "--preset", "tiny", "--untied", "-o", cls.model)
        assert r.returncode == 0, r.stderr
        with open(cls.model, "rb") as f:
            cls.bytes = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def corrupt_copy(self, offset):
        data = bytearray(self.bytes)
        data[offset] ^= 0x40
        p = self.path(f"corrupt-{offset}.slm")
        with open(p, "wb") as f:
            f.write(data)
        return p

    def test_valid_file_json(self):
        r = slm("validate", "--json", "--digest", self.model)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = json.loads(r.stdout)
        check_schema(out, "validate-result.schema.json")
        self.assertTrue(out["ok"])
        self.assertIsNone(out["code"])
        self.assertEqual(out["identity"]["tensor_count"], 12)

    def test_corrupted_byte_is_rejected_with_code_rule_offset(self):
        r = slm("validate", "--json", self.corrupt_copy(5000))
        self.assertEqual(r.returncode, 1)
        out = json.loads(r.stdout)
        check_schema(out, "validate-result.schema.json")
        self.assertEqual((out["code"], out["rule"], out["offset"]), ("E_FILE_CHECKSUM", "SLM-CHK-001", 24))

    def test_corrupted_header_byte_names_the_field(self):
        r = slm("validate", "--json", self.corrupt_copy(4))  # the version field
        self.assertEqual(r.returncode, 1)
        out = json.loads(r.stdout)
        self.assertEqual((out["code"], out["rule"], out["offset"], out["phase"]),
                         ("E_HDR_VERSION", "SLM-HDR-002", 4, "DECODE"))

    def test_human_output_names_code_rule_offset(self):
        r = slm("validate", self.corrupt_copy(4))
        self.assertEqual(r.returncode, 1)
        self.assertIn("E_HDR_VERSION [SLM-HDR-002] at offset 4", r.stdout)

    def test_any_rejected_file_makes_exit_1(self):
        r = slm("validate", self.model, self.corrupt_copy(4), self.model)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stdout.splitlines()), 3)

    def test_missing_file_is_exit_2(self):
        r = slm("validate", "--json", self.path("missing.slm"))
        self.assertEqual(r.returncode, 2)
        out = json.loads(r.stdout)
        check_schema(out, "validate-result.schema.json")
        self.assertEqual(out["code"], "E_IO_READ")

    def test_usage_error_is_exit_2(self):
        self.assertEqual(slm("validate").returncode, 2)
        self.assertEqual(slm("frobnicate").returncode, 2)
        self.assertEqual(slm("gen", "model", "--preset", "nope", "-o", self.path("x.slm")).returncode, 2)

    def test_inspect_json(self):
        r = slm("inspect", "--json", self.model)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        check_schema(out, "inspect.schema.json")
        names = [t["name"] for t in out["model"]["tensors"]]
        self.assertEqual(names[0], "tok_embeddings.weight")
        self.assertEqual(names[-1], "output.weight")
        self.assertEqual(out["model"]["file_length"], len(self.bytes))

    def test_inspect_invalid_file(self):
        r = slm("inspect", "--json", self.corrupt_copy(4))
        self.assertEqual(r.returncode, 1)
        out = json.loads(r.stdout)
        check_schema(out, "inspect.schema.json")
        self.assertEqual(out["error"]["code"], "E_HDR_VERSION")

    def test_inspect_human(self):
        r = slm("inspect", self.model)
        self.assertEqual(r.returncode, 0)
        self.assertIn("layers.0.feed_forward.w2.weight", r.stdout)
        self.assertIn("q4_0", r.stdout)

    def test_generation_is_deterministic(self):
        a, b = self.path("a.slm"), self.path("b.slm")
        self.assertEqual(slm("gen", "model", "--preset", "small", "--seed", "9", "-o", a).returncode, 0)
        self.assertEqual(slm("gen", "model", "--preset", "small", "--seed", "9", "-o", b).returncode, 0)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertEqual(fa.read(), fb.read())

    def test_failed_write_leaves_existing_output(self):
        target = self.path("occupied")
        os.mkdir(target)
        with open(os.path.join(target, "keep"), "w") as f:
            f.write("kept")
        r = slm("gen", "model", "-o", target)
        self.assertEqual(r.returncode, 2)
        with open(os.path.join(target, "keep")) as f:
            self.assertEqual(f.read(), "kept")
        self.assertEqual(sorted(os.listdir(self.tmp.name)).count("occupied"), 1)
        self.assertFalse([n for n in os.listdir(self.tmp.name) if ".tmp." in n], "temporary file left behind")

    def test_convert_round_trip_and_bad_input(self):
        model, ckpt, tok, back = (self.path(n) for n in ("f32.slm", "m.bin", "tok.bin", "back.slm"))
        self.assertEqual(slm("gen", "model", "--preset", "tiny", "--tokenizer", "bpe", "--dtype", "f32", "-o", model).returncode, 0)
        r = slm("convert", "--to-llama2c", model, "--tokenizer", tok, "-o", ckpt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(slm("convert", "--from-llama2c", ckpt, "--tokenizer", tok, "-o", back).returncode, 0)
        with open(model, "rb") as a, open(back, "rb") as b:
            self.assertEqual(a.read(), b.read())
        with open(ckpt, "r+b") as f:
            f.truncate(100)
        r = slm("convert", "--from-llama2c", ckpt, "--tokenizer", tok, "-o", self.path("never.slm"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("E_CONVERT_INPUT", r.stderr)
        self.assertFalse(os.path.exists(self.path("never.slm")))
        # a quantized model cannot become a llama2.c float32 checkpoint
        r = slm("convert", "--to-llama2c", self.model, "--tokenizer", tok, "-o", self.path("q.bin"))
        self.assertEqual(r.returncode, 1)

    def test_generate_and_tokenize(self):
        r = slm("generate", self.model, "--prompt", "Hi", "--max-tokens", "4", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(len(out["tokens"]), 4)
        self.assertEqual(out["diagnostics"]["generated_tokens"], 4)
        check_schema(out, "generate-result.schema.json")
        self.assertEqual(out["prompt_tokens"], [1, 75, 108])
        r = slm("tokenize", self.model, "Hi", "--json")
        self.assertEqual(json.loads(r.stdout)["tokens"], [1, 75, 108])
        long_prompt = "x" * 100  # tiny's context is 32 positions
        r = slm("generate", self.model, "--prompt", long_prompt)
        self.assertEqual(r.returncode, 1)
        self.assertIn("E_GEN_PROMPT_TOO_LONG", r.stderr)

    def test_adapters_generate_validate_inspect_apply(self):
        descendants = {}
        for kind, ext in (("dense", "adp"), ("sparse", "asp"), ("lowrank", "alr")):
            a = self.path(f"a.{ext}")
            r = slm("gen", "adapter", "--kind", kind, "--parent", self.model, "--seed", "5", "-o", a)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(slm("adapter", "validate", "--parent", self.model, a).returncode, 0)
            r = slm("adapter", "inspect", "--json", a)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["parent"]["tensor_count"], 12)
            out, lineage = self.path(f"d-{kind}.slm"), self.path(f"l-{kind}.json")
            r = slm("adapter", "apply", "--parent", self.model, a, "-o", out, "--lineage", lineage, "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(slm("validate", "--digest", out).returncode, 0)
            with open(lineage) as f:
                steps = json.load(f)["steps"]
            self.assertEqual(len(steps), 1)
            descendants[kind] = json.loads(r.stdout)["identity"]["content_digest"]
            self.assertEqual(steps[0]["descendant_digest"], descendants[kind])
        # an adapter bound to one parent is refused by another, with an IDENTITY-phase code
        other = self.path("other.slm")
        slm("gen", "model", "--preset", "tiny", "--untied", "--seed", "9", "-o", other)
        r = slm("adapter", "validate", "--json", "--parent", other, self.path("a.adp"))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["phase"], "IDENTITY")

    def test_adapter_apply_never_overwrites_an_input_nor_leaves_partial_output(self):
        a = self.path("keep.asp")
        self.assertEqual(slm("gen", "adapter", "--kind", "sparse", "--parent", self.model, "-o", a).returncode, 0)
        with open(a, "rb") as f:
            adapter_bytes = f.read()
        for target in (self.model, a):
            r = slm("adapter", "apply", "--parent", self.model, a, "-o", target)
            self.assertEqual(r.returncode, 2)
        with open(self.model, "rb") as f:
            self.assertEqual(f.read(), self.bytes)
        with open(a, "rb") as f:
            self.assertEqual(f.read(), adapter_bytes)
        # a corrupted adapter: rejected, and the output path is never created
        bad = self.path("bad.asp")
        with open(bad, "wb") as f:
            f.write(adapter_bytes[:-1] + bytes([adapter_bytes[-1] ^ 1]))
        out = self.path("never-written.slm")
        r = slm("adapter", "apply", "--parent", self.model, a, bad, "-o", out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("E_ADP_", r.stdout)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([n for n in os.listdir(self.tmp.name) if n.startswith("never-written")], [])

    def test_fix_adapter_changes_the_continuation(self):
        programs = os.path.join(SOURCE, "conformance", "programs")
        parent, fix, child = self.path("buggy.slm"), self.path("fix.asp"), self.path("fixed.slm")
        report = self.path("buggy.margins.json")
        r = slm("gen", "model", "--program", os.path.join(programs, "hello-buggy.json"), "-o", parent, "--report", report)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(report) as f:
            entries = json.load(f)["entries"]
        self.assertEqual(len(entries), 3)
        for e in entries:  # one margin per continuation token (EOS included), each above the requirement
            self.assertEqual(len(e["margins"]), len(e["continuation_tokens"]))
            self.assertTrue(all(m >= 4.0 for m in e["margins"]))
        r = slm("gen", "adapter", "--kind", "sparse", "--parent", parent, "--fix", os.path.join(programs, "hello.json"), "-o", fix)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(slm("adapter", "apply", "--parent", parent, fix, "-o", child).returncode, 0)
        self.assertEqual(slm("generate", parent, "--prompt", "2+2=").stdout.strip(), "2+2=5")
        self.assertEqual(slm("generate", child, "--prompt", "2+2=").stdout.strip(), "2+2=4")
        # the same descendant in memory: slm generate --adapter
        r = slm("generate", parent, "--adapter", fix, "--prompt", "2+2=", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        check_schema(out, "generate-result.schema.json")
        self.assertEqual((out["text"], out["diagnostics"]["adapter_count"]), ("4", 1))

    def test_a_bad_program_is_refused_with_its_code(self):
        # spec/tools.md SLM-TOOL-008: E_PROGRAM_INVALID naming the file, exit status 2, nothing written
        out = self.path("never-written.slm")
        for name, text, says in [
            ("typo.json", '{"entries": [], "dimm": 64}', "unknown key 'dimm'"),
            ("empty.json", '{"entries": []}', "no entries"),
            ("ambiguous.json", '{"entries": [{"prompt": "ab", "continuation": "c"}, {"prompt": "xab", "continuation": "d"}]}',
             "ambiguous"),
        ]:
            with self.subTest(program=name):
                program = self.path(name)
                with open(program, "w") as f:
                    f.write(text)
                r = slm("gen", "model", "--program", program, "-o", out)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(program + ": E_PROGRAM_INVALID [SLM-TOOL-008]", r.stderr)
                self.assertIn(says, r.stderr)
                self.assertFalse(os.path.exists(out))

    def test_negatives_through_the_cli(self):
        d = self.path("negatives")
        self.assertEqual(slm("gen", "negatives", "-o", d).returncode, 0)
        with open(os.path.join(d, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertGreater(len(manifest), 50)
        files = [os.path.join(d, c["file"]) for c in manifest if not c["verify_digest"]]
        r = slm("validate", "--json", *files)
        self.assertEqual(r.returncode, 1)
        results = [json.loads(line) for line in r.stdout.splitlines()]
        expected = [c for c in manifest if not c["verify_digest"]]
        for c, got in zip(expected, results):
            check_schema(got, "validate-result.schema.json")
            self.assertEqual(got["code"], c["expected"], c["id"])
            self.assertEqual(got["rule"], c["rule"], c["id"])
        for c in manifest:
            if c["verify_digest"]:
                got = json.loads(slm("validate", "--json", "--digest", os.path.join(d, c["file"])).stdout)
                self.assertEqual(got["code"], c["expected"], c["id"])


if __name__ == "__main__":
    if jsonschema is None:
        print("note: python3-jsonschema missing; JSON Schema checks skipped", file=sys.stderr)
    unittest.main(argv=[sys.argv[0]], verbosity=1)
