#!/usr/bin/python3
"""slm key / packet (spec/packet.md): keys, the DSSE envelope checked independently with openssl, the
release statement re-derived with other slm commands, and verification: one test per tamper class,
each failing with the code section 7 assigns. Written from spec/ and the commands' --help alone.
Usage: test_packet.py SLM_BINARY SOURCE_DIR"""
import base64
import copy
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
import warnings

import jsonschema

SLM, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
EVAL = os.path.join(SOURCE, "conformance", "cases", "eval")
SCHEMAS = os.path.join(SOURCE, "spec", "schemas")
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT = "https://in-toto.io/Statement/v1"
RELEASE = "https://slm-conformance.invalid/release-packet/v1"
REVIEW = "https://slm-conformance.invalid/release-review/v1"
CHECKLIST = [
    "lineage: the parent digest and each adapter are the ones intended",
    "evidence: every set's gate passed, and its reasons are understood",
    "regressions: no case the parent passed fails in the descendant",
    "diagnostics: model, KV cache and scratch bytes fit the target",
    "rollback: the parent file named in rollback is at hand and verifies",
]
SET_DIGEST = "2fa6026167a1328760e63f35c261fc2ad23b446b5affb535dc66682522eaea4a"  # eval.md 8
PACKET_SCHEMA = json.load(open(os.path.join(SCHEMAS, "packet.schema.json")))
RELEASE_SCHEMA = {"$schema": PACKET_SCHEMA["$schema"], "$defs": PACKET_SCHEMA["$defs"], "$ref": "#/$defs/release_statement"}
REVIEW_SCHEMA = {"$schema": PACKET_SCHEMA["$schema"], "$defs": PACKET_SCHEMA["$defs"], "$ref": "#/$defs/review_statement"}
VERIFY_SCHEMA = json.load(open(os.path.join(SCHEMAS, "packet-verify.schema.json")))
# RFC 8032 section 7.1 TEST 1
RFC_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


# ---------------------------------------------------------------- helpers written from the spec
def run(*args, cwd=None):
    return subprocess.run([SLM, *args], capture_output=True, text=True, cwd=cwd)


def openssl(*args, cwd=None, input=None):
    return subprocess.run(["openssl", *args], capture_output=True, cwd=cwd, input=input)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def fsha(path):
    with open(path, "rb") as f:
        return sha(f.read())


def canon(obj):
    """eval.md 2: sorted keys, no whitespace, minimal escapes, UTF-8 (no floats occur)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def pae(t, p):
    t = t.encode() if isinstance(t, str) else t
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(p), p)


def b64(data):
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text, validate=True)


def pem_body(path):
    lines = open(path).read().strip().splitlines()
    return base64.b64decode("".join(line for line in lines if not line.startswith("-----")))


def raw_public(pub_pem):
    """the last 32 bytes of the DER SubjectPublicKeyInfo (RFC 8410)"""
    der = pem_body(pub_pem)
    assert der.startswith(bytes.fromhex("302a300506032b6570032100")), der.hex()
    return der[-32:]


def key_id(pub_pem):
    return sha(raw_public(pub_pem))


def pem(label, der):
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def ossl_sign(priv, data, tmp):
    src, sig = os.path.join(tmp, ".pae.bin"), os.path.join(tmp, ".sig.bin")
    open(src, "wb").write(data)
    r = openssl("pkeyutl", "-sign", "-rawin", "-inkey", priv, "-in", src, "-out", sig)
    assert r.returncode == 0, r.stderr
    out = open(sig, "rb").read()
    os.remove(src), os.remove(sig)
    return out


def ossl_verify(pub, data, signature, tmp):
    src, sig = os.path.join(tmp, ".vpae.bin"), os.path.join(tmp, ".vsig.bin")
    open(src, "wb").write(data)
    open(sig, "wb").write(signature)
    r = openssl("pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub, "-in", src, "-sigfile", sig)
    os.remove(src), os.remove(sig)
    return r.returncode == 0


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read())


def statement(envelope):
    return json.loads(unb64(envelope["payload"]))


def save(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


def snapshot(folder):
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            data = open(p, "rb").read() if stat.S_ISREG(st.st_mode) else os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
            out[os.path.relpath(p, folder)] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), data)
    return out


def flip(path, offset=None):
    data = bytearray(open(path, "rb").read())
    offset = len(data) // 2 if offset is None else offset
    data[offset] ^= 0x01
    open(path, "wb").write(data)


class Base(unittest.TestCase):
    """One folder of fixtures; every test that changes something works on a copy (clone)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="slm-packet-")
        cls.base = os.path.join(cls.tmp.name, "base")
        os.mkdir(cls.base)
        b = cls.base

        def ok(r, *codes):
            assert r.returncode in (codes or (0,)), r.stdout + r.stderr

        ok(run("gen", "model", "--program", os.path.join(EVAL, "hello-parent", "program.json"), "-o", "parent.slm", cwd=b))
        shutil.copy(os.path.join(EVAL, "hello-fix-sparse", "fix.asp"), b)
        shutil.copy(os.path.join(EVAL, "hello-fix-dense", "fix.adp"), b)
        shutil.copy(os.path.join(EVAL, "hello-parent", "set.jsonl"), b)
        lines = open(os.path.join(b, "set.jsonl")).read().splitlines()
        header = json.loads(lines[0])
        header["name"] = "hello2"
        open(os.path.join(b, "set2.jsonl"), "w").write("\n".join([json.dumps(header)] + lines[2:]) + "\n")
        # eval.md 4: the parent fails must-pass "sum"; the fix passes all three
        open(os.path.join(b, "policy.json"), "w").write('{"min_pass_percent": 50, "must_pass": ["sum"], "no_regression": true}\n')
        for k in ("k", "r", "x"):  # builder, reviewer, an untrusted key
            ok(run("key", "gen", "-o", k, cwd=b))
        ok(run("eval", "parent.slm", "set.jsonl", "--policy", "policy.json", "-o", "base.json", cwd=b), 1)
        ok(run("eval", "parent.slm", "set.jsonl", "--adapter", "fix.asp", "--policy", "policy.json", "--baseline", "base.json",
               "-o", "side.json", cwd=b))
        ok(run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--policy", "policy.json",
               "--key", "k", "-o", "p.json", cwd=b))
        ok(run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--policy", "policy.json",
               "--sidecar", "side.json", "--baseline", "base.json", "--key", "k", "-o", "ps.json", cwd=b))
        ok(run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.adp", "--eval", "set.jsonl", "--key", "k",
               "-o", "pd.json", cwd=b))
        ok(run("adapter", "apply", "--parent", "parent.slm", "fix.asp", "-o", "desc.slm", cwd=b))
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)  # the short-lived open(...).read() of fixtures

    def p(self, name, folder=None):
        return os.path.join(folder or self.base, name)

    def clone(self):
        type(self).n += 1
        d = os.path.join(self.tmp.name, "c%d" % self.n)
        shutil.copytree(self.base, d, symlinks=True)
        return d

    def pkt(self, name="p.json", folder=None):
        return load(self.p(name, folder))

    def stmt(self, name="p.json", folder=None):
        return statement(self.pkt(name, folder)["envelope"])

    def resign(self, packet, st, key="k", folder=None, raw=None):
        """re-encode st (canonically, or the bytes raw) and sign it with key, as a builder would"""
        folder = folder or self.base
        payload = raw if raw is not None else canon(st)
        sig = ossl_sign(self.p(key, folder), pae(PAYLOAD_TYPE, payload), folder)
        packet = copy.deepcopy(packet)
        packet["envelope"]["payload"] = b64(payload)
        packet["envelope"]["signatures"] = [{"keyid": key_id(self.p(key + ".pub", folder)), "sig": b64(sig)}]
        return packet

    def verify(self, path, *args, pubs=("k.pub",), cwd=None):
        """verify --json; the report is validated against the schema and the exit status against it"""
        argv = ["packet", "verify", path, *args]
        for k in pubs:
            argv += ["--pubkey", k]
        r = run(*argv, "--json", cwd=cwd or os.path.dirname(path))
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        rep = json.loads(r.stdout)
        jsonschema.validate(rep, VERIFY_SCHEMA)
        self.assertEqual(r.returncode == 0, rep["verified"], rep)
        self.assertEqual(rep["verified"], rep["code"] is None)
        failed = [c for c in rep["checks"] if not c["passed"]]
        self.assertEqual(rep["code"], failed[0]["code"] if failed else None, rep)  # the first failure's code
        return rep

    def assertFails(self, path, code, *args, pubs=("k.pub",)):
        rep = self.verify(path, *args, pubs=pubs)
        self.assertEqual(rep["code"], code, json.dumps(rep["checks"], indent=1))
        return rep


# ---------------------------------------------------------------- 2. keys
class Keys(Base):
    def test_key_gen_writes_a_0600_private_key_and_the_pub_beside_it(self):
        d = self.clone()
        r = run("key", "gen", "-o", "new", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(self.p("new", d)).st_mode), 0o600)
        self.assertTrue(open(self.p("new", d)).read().startswith("-----BEGIN PRIVATE KEY-----\n"))
        self.assertTrue(open(self.p("new.pub", d)).read().startswith("-----BEGIN PUBLIC KEY-----\n"))
        self.assertIn(key_id(self.p("new.pub", d)), r.stdout)  # the key id it reports

    def test_key_gen_never_writes_over_either_file(self):
        for existing in ("KEY", "KEY.pub", "dangling"):
            with self.subTest(existing=existing):
                d = self.clone()
                if existing == "dangling":
                    os.symlink("nowhere", self.p("KEY", d))
                else:
                    open(self.p(existing, d), "w").write("mine\n")
                before = snapshot(d)
                r = run("key", "gen", "-o", "KEY", cwd=d)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn("E_OUT_EXISTS", r.stderr)
                self.assertEqual(snapshot(d), before)

    def test_key_id_is_the_sha256_of_the_raw_public_key(self):
        envelope = self.pkt()["envelope"]
        kid = key_id(self.p("k.pub"))
        self.assertEqual([s["keyid"] for s in envelope["signatures"]], [kid])
        self.assertEqual(self.verify(self.p("p.json"))["signatures"], [{"keyid": kid, "trusted": True, "valid": True}])

    def test_rfc8032_test1_key_signs_and_has_the_spec_key_id(self):
        d = self.clone()
        open(self.p("rfc", d), "w").write(pem("PRIVATE KEY", bytes.fromhex("302e020100300506032b657004220420") + RFC_SECRET))
        open(self.p("rfc.pub", d), "w").write(pem("PUBLIC KEY", bytes.fromhex("302a300506032b6570032100") + RFC_PUBLIC))
        r = run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--key", "rfc",
                "-o", "rfc.json", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        env = self.pkt("rfc.json", d)["envelope"]
        self.assertEqual(env["signatures"][0]["keyid"], sha(RFC_PUBLIC))
        self.assertTrue(ossl_verify(self.p("rfc.pub", d), pae(PAYLOAD_TYPE, unb64(env["payload"])), unb64(env["signatures"][0]["sig"]), d))
        self.assertTrue(self.verify(self.p("rfc.json", d), pubs=("rfc.pub",))["verified"])

    def test_keys_interoperate_with_openssl(self):
        d = self.clone()
        self.assertEqual(openssl("pkey", "-in", "k", "-noout", cwd=d).returncode, 0)
        r = openssl("pkey", "-in", "k", "-pubout", cwd=d)
        self.assertEqual(r.stdout.decode(), open(self.p("k.pub", d)).read())  # KEY.pub is what openssl derives
        self.assertEqual(openssl("genpkey", "-algorithm", "ed25519", "-out", "o", cwd=d).returncode, 0)
        self.assertEqual(openssl("pkey", "-in", "o", "-pubout", "-out", "o.pub", cwd=d).returncode, 0)
        r = run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--key", "o",
                "-o", "po.json", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.pkt("po.json", d)["envelope"]["signatures"][0]["keyid"], key_id(self.p("o.pub", d)))
        self.assertTrue(self.verify(self.p("po.json", d), pubs=("o.pub",))["verified"])
        r = run("packet", "sign", "--key", "o", "--approve", "p.json", "-o", "pa.json", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(self.verify(self.p("pa.json", d), "--require-approval", pubs=("k.pub", "o.pub"))["verified"])

    def test_a_key_of_the_wrong_kind_is_E_PKT_KEY_and_nothing_is_written(self):
        d = self.clone()
        assert openssl("genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "rsa", cwd=d).returncode == 0
        assert openssl("pkey", "-in", "rsa", "-pubout", "-out", "rsa.pub", cwd=d).returncode == 0
        assert openssl("genpkey", "-algorithm", "x25519", "-out", "x25519", cwd=d).returncode == 0
        assert openssl("genpkey", "-algorithm", "ed448", "-out", "ed448", cwd=d).returncode == 0
        assert openssl("pkey", "-in", "ed448", "-pubout", "-out", "ed448.pub", cwd=d).returncode == 0
        open(self.p("garbage", d), "w").write("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        open(self.p("text", d), "w").write("hello\n")
        build = ["packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--key"]
        cases = {
            "build rsa": build + ["rsa", "-o", "new.json"],
            "build x25519": build + ["x25519", "-o", "new.json"],
            "build ed448": build + ["ed448", "-o", "new.json"],
            "build garbage": build + ["garbage", "-o", "new.json"],
            "build text": build + ["text", "-o", "new.json"],
            "build a public key": build + ["k.pub", "-o", "new.json"],
            "build over an existing output": build + ["rsa", "-o", "ps.json"],
            "sign a public key": ["packet", "sign", "--key", "r.pub", "--approve", "p.json", "-o", "new.json"],
            "sign rsa": ["packet", "sign", "--key", "rsa", "p.json", "-o", "new.json"],
            "verify a private key": ["packet", "verify", "p.json", "--pubkey", "k"],
            "verify rsa": ["packet", "verify", "p.json", "--pubkey", "rsa.pub"],
            "verify ed448": ["packet", "verify", "p.json", "--pubkey", "ed448.pub"],
            "verify garbage": ["packet", "verify", "p.json", "--pubkey", "garbage"],
        }
        for name, argv in cases.items():
            with self.subTest(name):
                before = snapshot(d)
                r = run(*argv, cwd=d)
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertIn("E_PKT_KEY", r.stdout + r.stderr)
                self.assertEqual(snapshot(d), before)


# ---------------------------------------------------------------- 3-5, 8. build
class Build(Base):
    def test_the_packet_file_has_the_shape_of_section_4(self):
        for name in ("p.json", "ps.json", "pd.json"):
            with self.subTest(name):
                pk = self.pkt(name)
                jsonschema.validate(pk, PACKET_SCHEMA)
                self.assertEqual(pk["slm_release_packet"], 1)
                self.assertEqual(pk["reviews"], [])
                env = pk["envelope"]
                self.assertEqual(env["payloadType"], PAYLOAD_TYPE)
                for text in [env["payload"]] + [s["sig"] for s in env["signatures"]]:
                    self.assertEqual(b64(unb64(text)), text)  # standard alphabet, padding, no line breaks
                self.assertEqual([len(unb64(s["sig"])) for s in env["signatures"]], [64])

    def test_the_signature_verifies_independently_over_pae(self):
        self.assertEqual(pae("http://example.com/HelloWorld", b"hello world"), b"DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        for name in ("p.json", "ps.json", "pd.json"):
            with self.subTest(name):
                env = self.pkt(name)["envelope"]
                payload, sig = unb64(env["payload"]), unb64(env["signatures"][0]["sig"])
                self.assertTrue(ossl_verify(self.p("k.pub"), pae(PAYLOAD_TYPE, payload), sig, self.tmp.name))
                self.assertFalse(ossl_verify(self.p("k.pub"), payload, sig, self.tmp.name))  # PAE, not the bare payload
                self.assertFalse(ossl_verify(self.p("r.pub"), pae(PAYLOAD_TYPE, payload), sig, self.tmp.name))

    def test_the_payload_is_a_canonical_statement(self):
        for name in ("p.json", "ps.json", "pd.json"):
            with self.subTest(name):
                payload = unb64(self.pkt(name)["envelope"]["payload"])
                st = json.loads(payload)
                self.assertEqual(canon(st), payload)
                jsonschema.validate(st, RELEASE_SCHEMA)
                self.assertEqual((st["_type"], st["predicateType"]), (STATEMENT, RELEASE))
                self.assertEqual(st["predicate"]["spec_version"], "1")

    def test_subjects_are_the_descendant_slm_adapter_apply_writes_then_each_adapter(self):
        st = self.stmt()
        desc = st["subject"][0]
        self.assertEqual(desc["digest"]["sha256"], fsha(self.p("desc.slm")))
        self.assertEqual(desc["name"], st["predicate"]["descendant"]["name"])
        self.assertEqual(desc["digest"]["sha256"], st["predicate"]["descendant"]["sha256"])
        self.assertEqual(st["subject"][1:], [{"name": "fix.asp", "digest": {"sha256": fsha(self.p("fix.asp"))}}])
        d = self.clone()
        self.assertEqual(run("adapter", "apply", "--parent", "parent.slm", "fix.adp", "-o", "dd.slm", cwd=d).returncode, 0)
        st = self.stmt("pd.json")
        self.assertEqual(st["subject"], [{"name": st["predicate"]["descendant"]["name"], "digest": {"sha256": fsha(self.p("dd.slm", d))}},
                                         {"name": "fix.adp", "digest": {"sha256": fsha(self.p("fix.adp"))}}])

    def test_parent_stack_descendant_and_lineage(self):
        pr = self.stmt()["predicate"]
        ident = json.loads(run("validate", "--json", "parent.slm", cwd=self.base).stdout)["identity"]
        self.assertEqual(pr["parent"], {"path": "parent.slm", "sha256": fsha(self.p("parent.slm")), "identity": ident})
        ins = json.loads(run("adapter", "inspect", "--json", "fix.asp", cwd=self.base).stdout)
        self.assertEqual(pr["stack"], [{"path": "fix.asp", "sha256": fsha(self.p("fix.asp")), "kind": "sparse",
                                        "content_digest": ins["adapter_digest"]}])
        d = self.clone()
        applied = json.loads(run("adapter", "apply", "--parent", "parent.slm", "fix.asp", "-o", "d2.slm", "--json", cwd=d).stdout)
        self.assertEqual(pr["descendant"]["identity"], applied["identity"])
        self.assertEqual(pr["descendant"]["file_bytes"], os.path.getsize(self.p("desc.slm")))
        self.assertEqual(pr["descendant"]["sha256"], fsha(self.p("desc.slm")))
        self.assertEqual(pr["lineage"], applied["lineage"])
        dense = self.stmt("pd.json")["predicate"]
        self.assertEqual([(s["path"], s["kind"]) for s in dense["stack"]], [("fix.adp", "dense")])

    def test_evidence_set_policy_sidecar_baseline_verdict(self):
        ev = self.stmt()["predicate"]["evidence"]
        self.assertEqual(len(ev), 1)
        e = ev[0]
        self.assertEqual(e["set"], {"path": "set.jsonl", "sha256": fsha(self.p("set.jsonl")), "name": "hello", "digest": SET_DIGEST,
                                    "cases": 3})
        self.assertEqual(e["policy"], {"path": "policy.json", "sha256": fsha(self.p("policy.json"))})
        side, base = load(self.p("side.json")), load(self.p("base.json"))
        R = e["sidecar"]["reproducible"]
        self.assertEqual(e["sidecar"]["reproducible_digest"], sha(canon(R)))
        self.assertNotIn("file", e["sidecar"])  # the eval ran: no sidecar file
        self.assertEqual(R, side["reproducible"])  # what slm eval writes for the same descendant, set, policy, baseline
        self.assertEqual(e["sidecar"]["reproducible_digest"], side["reproducible_digest"])
        self.assertEqual(e["verdict"], R["gate"])
        self.assertEqual(e["verdict"], {"passed": True, "reasons": []})
        # the recorded baseline (section 7 check 9) is the parent's sidecar
        self.assertEqual(e["baseline"]["reproducible"], base["reproducible"])
        self.assertEqual(e["baseline"]["reproducible_digest"], base["reproducible_digest"])
        self.assertEqual(R["baseline"], base["reproducible_digest"])

    def test_without_a_policy_the_default_applies_and_policy_is_null(self):
        e = self.stmt("pd.json")["predicate"]["evidence"][0]
        self.assertIsNone(e["policy"])
        self.assertEqual(e["sidecar"]["reproducible"]["policy"],
                         {"min_pass_percent": 100, "must_pass": [], "no_regression": True, "max_model_bytes": None,
                          "max_kv_cache_bytes": None, "max_scratch_bytes": None})

    def test_the_scorecard_is_slm_scorecards(self):
        d = self.clone()
        self.assertEqual(run("scorecard", "side.json", "-o", "card.json", cwd=d).returncode, 0)
        self.assertEqual(self.stmt()["predicate"]["scorecard"], load(self.p("card.json", d)))

    def test_several_sets_in_the_order_given(self):
        d = self.clone()
        r = run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set2.jsonl", "--eval", "set.jsonl",
                "--key", "k", "-o", "two.json", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        pr = self.stmt("two.json", d)["predicate"]
        self.assertEqual([e["set"]["name"] for e in pr["evidence"]], ["hello2", "hello"])
        self.assertEqual([row["set"] for row in pr["scorecard"]["rows"]], ["hello2", "hello"])
        self.assertEqual([row["sidecar"] for row in pr["scorecard"]["rows"]],
                         [e["sidecar"]["reproducible_digest"] for e in pr["evidence"]])
        self.assertTrue(self.verify(self.p("two.json", d), "--rerun")["verified"])

    def test_diagnostics(self):
        pr = self.stmt()["predicate"]
        dg, res = pr["diagnostics"], pr["evidence"][0]["sidecar"]["reproducible"]["resources"]
        self.assertEqual(dg["model_bytes"], os.path.getsize(self.p("desc.slm")))
        self.assertEqual((dg["model_bytes"], dg["kv_cache_bytes"], dg["scratch_bytes"]),
                         (res["model_bytes"], res["kv_cache_bytes"], res["scratch_bytes"]))
        self.assertEqual(dg["tensors_by_dtype"], {"f32": pr["descendant"]["identity"]["tensor_count"], "q8_0": 0, "q4_0": 0})
        self.assertEqual(dg["adapter_count"], 1)

    def test_rollback(self):
        pr = self.stmt()["predicate"]
        self.assertEqual(pr["rollback"], {"parent_digest": pr["lineage"]["parent_digest"], "parent_sha256": fsha(self.p("parent.slm")),
                                          "parent_path": "parent.slm", "stack_begins_after": 0,
                                          "command": "slm validate --digest parent.slm"})
        self.assertEqual(pr["rollback"]["parent_digest"], pr["parent"]["identity"]["content_digest"])
        self.assertEqual(run(*pr["rollback"]["command"].split()[1:], cwd=self.base).returncode, 0)  # it proves the parent intact

    def test_review_checklist(self):
        self.assertEqual(self.stmt()["predicate"]["review"], {"required": True, "checklist": CHECKLIST, "decisions": "reviews"})

    def test_builds_are_deterministic(self):
        d = self.clone()
        for name, extra in (("p.json", []), ("ps.json", ["--sidecar", "side.json", "--baseline", "base.json"])):
            with self.subTest(name):
                r = run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--policy", "policy.json",
                        *extra, "--key", "k", "-o", "again.json", cwd=d)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(open(self.p("again.json", d), "rb").read(), open(self.p(name, d), "rb").read())

    def test_with_given_sidecars(self):
        e, e_run = self.stmt("ps.json")["predicate"]["evidence"][0], self.stmt()["predicate"]["evidence"][0]
        self.assertEqual(e["sidecar"]["file"], {"path": "side.json", "sha256": fsha(self.p("side.json"))})
        self.assertEqual(e["sidecar"]["reproducible"], e_run["sidecar"]["reproducible"])
        self.assertEqual({k: v for k, v in e.items() if k != "sidecar"}, {k: v for k, v in e_run.items() if k != "sidecar"})
        self.assertTrue(self.verify(self.p("ps.json"))["verified"])

    def test_a_wrong_sidecar_is_refused_by_build_and_nothing_is_written(self):
        d = self.clone()
        assert run("eval", "parent.slm", "set.jsonl", "--adapter", "fix.asp", "-o", "nopolicy.json", cwd=d).returncode == 0
        assert run("eval", "parent.slm", "set2.jsonl", "--adapter", "fix.asp", "--policy", "policy.json", "-o", "set2side.json",
                   cwd=d).returncode == 0
        side = load(self.p("side.json", d))
        side["reproducible"]["results"][0]["tokens"][0] += 1
        save(self.p("forged.json", d), side)
        cases = {"the parent's sidecar": ["base.json"], "another policy": ["nopolicy.json"], "another set": ["set2side.json"],
                 "digest mismatch": ["forged.json"]}
        for name, files in cases.items():
            with self.subTest(name):
                before = snapshot(d)
                r = run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--policy",
                        "policy.json", "--sidecar", *files, "--baseline", "base.json", "--key", "k", "-o", "ps.json", cwd=d)
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertRegex(r.stderr, "E_PKT_SIDECAR|E_EVAL_SIDECAR")
                self.assertEqual(snapshot(d), before)

    def test_paths_are_relative_to_the_packet_folder_whatever_the_working_directory(self):
        d = self.clone()
        r = run("packet", "build", "--parent", self.p("parent.slm", d), "--adapter", self.p("fix.asp", d), "--eval",
                self.p("set.jsonl", d), "--policy", self.p("policy.json", d), "--key", self.p("k", d), "-o", self.p("abs.json", d), cwd="/")
        self.assertEqual(r.returncode, 0, r.stderr)
        pr = self.stmt("abs.json", d)["predicate"]
        self.assertEqual((pr["parent"]["path"], pr["stack"][0]["path"], pr["evidence"][0]["set"]["path"],
                          pr["evidence"][0]["policy"]["path"], pr["rollback"]["parent_path"]),
                         ("parent.slm", "fix.asp", "set.jsonl", "policy.json", "parent.slm"))
        r = run("packet", "verify", self.p("abs.json", d), "--pubkey", self.p("k.pub", d), cwd="/")
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_build_never_writes_a_packet_whose_paths_leave_its_folder(self):
        """section 1: such a packet is E_PKT_FORMAT, so build must refuse it (or name files verify accepts)"""
        d = self.clone()
        os.mkdir(self.p("out", d))
        r = run("packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--key", "k",
                "-o", "out/p.json", cwd=d)
        if r.returncode == 0:
            rep = self.verify(self.p("out/p.json", d), pubs=(self.p("k.pub", d),))
            self.assertTrue(rep["verified"], "build wrote a packet its verify rejects: %s" % json.dumps(rep["checks"]))
        else:
            self.assertFalse(os.path.exists(self.p("out/p.json", d)))


# ---------------------------------------------------------------- 7. verify
class Verify(Base):
    def test_an_intact_packet_verifies(self):
        for name in ("p.json", "ps.json", "pd.json"):
            with self.subTest(name):
                r = run("packet", "verify", name, "--pubkey", "k.pub", cwd=self.base)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                rep = self.verify(self.p(name))
                self.assertTrue(rep["verified"])
                self.assertEqual(rep["packet_digest"], sha(unb64(self.pkt(name)["envelope"]["payload"])))
                self.assertTrue(all(c["passed"] for c in rep["checks"]))
                codes = [c["code"] for c in rep["checks"]]
                self.assertEqual(codes, ["E_PKT_FORMAT", "E_PKT_SIGNATURE", "E_PKT_REVIEW", "E_PKT_PARENT", "E_PKT_ADAPTER",
                                         "E_PKT_DESCENDANT", "E_PKT_SET", "E_PKT_POLICY", "E_PKT_SIDECAR", "E_PKT_VERDICT"])
                rerun = self.verify(self.p(name), "--rerun")
                self.assertTrue(rerun["verified"])
                self.assertEqual([c["code"] for c in rerun["checks"]], codes + ["E_PKT_RERUN"])

    def test_verify_finds_the_files_from_any_working_directory(self):
        r = run("packet", "verify", self.p("p.json"), "--pubkey", self.p("k.pub"), cwd="/")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_errors_of_the_command_itself_exit_2(self):
        for argv in (["packet", "verify", "missing.json", "--pubkey", "k.pub"], ["packet", "verify", "p.json", "--pubkey", "missing.pub"],
                     ["packet", "verify", "p.json"]):
            with self.subTest(argv):
                self.assertEqual(run(*argv, cwd=self.base).returncode, 2)

    # -- files named by the packet: one test per class, each with its code
    def tamper_file(self, packet, name, code, offset=None):
        d = self.clone()
        flip(self.p(name, d), offset)
        rep = self.assertFails(self.p(packet, d), code)
        self.assertEqual(len(rep["checks"]), 10, "every check runs")
        return rep

    def test_a_flipped_byte_in_the_parent_is_E_PKT_PARENT(self):
        self.tamper_file("p.json", "parent.slm", "E_PKT_PARENT")
        self.tamper_file("p.json", "parent.slm", "E_PKT_PARENT", offset=os.path.getsize(self.p("parent.slm")) - 1)

    def test_a_flipped_byte_in_an_adapter_is_E_PKT_ADAPTER(self):
        self.tamper_file("p.json", "fix.asp", "E_PKT_ADAPTER")
        self.tamper_file("pd.json", "fix.adp", "E_PKT_ADAPTER")

    def test_a_flipped_byte_in_an_eval_set_is_E_PKT_SET(self):
        self.tamper_file("p.json", "set.jsonl", "E_PKT_SET")
        self.tamper_file("p.json", "set.jsonl", "E_PKT_SET", offset=30)  # in the description: same set digest, other file

    def test_a_flipped_byte_in_a_policy_is_E_PKT_POLICY(self):
        self.tamper_file("p.json", "policy.json", "E_PKT_POLICY", offset=open(self.p("policy.json"), "rb").read().index(b"50"))

    def test_a_flipped_byte_in_a_sidecar_file_is_E_PKT_SIDECAR(self):
        data = open(self.p("side.json"), "rb").read()
        self.tamper_file("ps.json", "side.json", "E_PKT_SIDECAR", offset=data.index(b'"measured"') + 3)
        self.tamper_file("ps.json", "side.json", "E_PKT_SIDECAR", offset=data.index(b'"reproducible_digest"') + 25)

    def test_a_missing_file_fails_its_check(self):
        for name, packet, code in (("parent.slm", "p.json", "E_PKT_PARENT"), ("fix.asp", "p.json", "E_PKT_ADAPTER"),
                                   ("set.jsonl", "p.json", "E_PKT_SET"), ("policy.json", "p.json", "E_PKT_POLICY"),
                                   ("side.json", "ps.json", "E_PKT_SIDECAR")):
            with self.subTest(name):
                d = self.clone()
                os.remove(self.p(name, d))
                self.assertFails(self.p(packet, d), code)

    # -- the payload and its signatures
    def test_an_edited_payload_fails_the_signature(self):
        d = self.clone()
        pk = self.pkt(folder=d)
        st = statement(pk["envelope"])
        st["predicate"]["diagnostics"]["kv_cache_bytes"] += 1
        pk["envelope"]["payload"] = b64(canon(st))
        save(self.p("e.json", d), pk)
        rep = self.assertFails(self.p("e.json", d), "E_PKT_SIGNATURE")
        self.assertEqual(rep["signatures"], [{"keyid": key_id(self.p("k.pub")), "trusted": True, "valid": False}])

    def test_a_payload_that_no_longer_parses_is_E_PKT_FORMAT(self):
        d = self.clone()
        pk = self.pkt(folder=d)
        pk["envelope"]["payload"] = b64(unb64(pk["envelope"]["payload"])[:-1])
        save(self.p("e.json", d), pk)
        self.assertFails(self.p("e.json", d), "E_PKT_FORMAT")

    def test_the_wrong_public_key_is_E_PKT_SIGNATURE(self):
        rep = self.assertFails(self.p("p.json"), "E_PKT_SIGNATURE", pubs=("r.pub",))
        self.assertEqual(rep["signatures"], [{"keyid": key_id(self.p("k.pub")), "trusted": False, "valid": False}] if not
                         rep["signatures"][0]["valid"] else rep["signatures"])
        self.assertFalse(rep["signatures"][0]["trusted"])

    def test_a_signature_under_another_keyid_is_not_counted(self):
        d = self.clone()
        pk = self.pkt(folder=d)
        pk["envelope"]["signatures"][0]["keyid"] = key_id(self.p("r.pub", d))
        save(self.p("e.json", d), pk)
        self.assertFails(self.p("e.json", d), "E_PKT_SIGNATURE", pubs=("k.pub", "r.pub"))

    def test_signatures_by_other_keys_are_listed_not_counted(self):
        d = self.clone()
        self.assertEqual(run("packet", "sign", "--key", "x", "p.json", "-o", "px.json", cwd=d).returncode, 0)
        rep = self.verify(self.p("px.json", d))
        self.assertTrue(rep["verified"])
        self.assertEqual(sorted((s["keyid"], s["trusted"]) for s in rep["signatures"]),
                         sorted([(key_id(self.p("k.pub")), True), (key_id(self.p("x.pub")), False)]))
        pk = self.pkt("px.json", d)
        pk["envelope"]["signatures"] = [s for s in pk["envelope"]["signatures"] if s["keyid"] == key_id(self.p("x.pub"))]
        save(self.p("only-x.json", d), pk)
        self.assertFails(self.p("only-x.json", d), "E_PKT_SIGNATURE")

    def test_a_non_canonical_payload_is_E_PKT_FORMAT_even_when_signed(self):
        d = self.clone()
        pk = self.pkt(folder=d)
        st = statement(pk["envelope"])
        save(self.p("e.json", d), self.resign(pk, st, folder=d, raw=json.dumps(st, indent=1, sort_keys=True).encode()))
        self.assertFails(self.p("e.json", d), "E_PKT_FORMAT")
        save(self.p("ok.json", d), self.resign(pk, st, folder=d))  # the helper re-signs the same statement: still verified
        self.assertTrue(self.verify(self.p("ok.json", d))["verified"])

    # -- every predicate field class, re-signed by the trusted key: the content checks must catch it
    def edits(self):
        def R(pr):
            return pr["evidence"][0]["sidecar"]["reproducible"]

        def reseal(pr):  # a consistent sidecar digest and scorecard for an edited R
            e = pr["evidence"][0]
            e["sidecar"]["reproducible_digest"] = sha(canon(R(pr)))
            pr["scorecard"]["rows"][0]["sidecar"] = e["sidecar"]["reproducible_digest"]

        def bump_hex(h):
            return ("0" if h[0] != "0" else "1") + h[1:]

        def gate_failed(pr):
            r = R(pr)
            r["results"][2]["passed"] = False
            r["totals"] = {"cases": 3, "passed": 2, "failed": 1}
            reseal(pr)
            pr["scorecard"]["rows"][0]["passed"] = 2

        def r_gate(pr):
            R(pr)["gate"] = {"passed": False, "reasons": ["pass rate 3/3 below 50%"]}
            reseal(pr)

        def r_identity(pr):
            R(pr)["model"]["identity"]["parameter_count"] += 1
            reseal(pr)

        def r_lineage(pr):
            R(pr)["model"]["lineage"]["parent_digest"] = bump_hex(R(pr)["model"]["lineage"]["parent_digest"])
            reseal(pr)

        def r_set(pr):
            R(pr)["set"]["name"] = "hellp"
            reseal(pr)

        def r_policy(pr):
            R(pr)["policy"]["min_pass_percent"] = 40
            reseal(pr)

        def subject(f):
            def g(st):
                f(st)
            g.statement = True
            return g

        return {
            # parent identity (check 4)
            "parent.identity": ("E_PKT_PARENT", lambda pr: pr["parent"]["identity"].__setitem__("parameter_count", 1)),
            "parent.identity.digest": ("E_PKT_PARENT", lambda pr: pr["parent"]["identity"].__setitem__(
                "content_digest", bump_hex(pr["parent"]["identity"]["content_digest"]))),
            "parent.sha256": ("E_PKT_PARENT", lambda pr: pr["parent"].__setitem__("sha256", bump_hex(pr["parent"]["sha256"]))),
            # stack entry (check 5)
            "stack.kind": ("E_PKT_ADAPTER", lambda pr: pr["stack"][0].__setitem__("kind", "dense")),
            "stack.content_digest": ("E_PKT_ADAPTER", lambda pr: pr["stack"][0].__setitem__(
                "content_digest", bump_hex(pr["stack"][0]["content_digest"]))),
            "stack.sha256": ("E_PKT_ADAPTER", lambda pr: pr["stack"][0].__setitem__("sha256", bump_hex(pr["stack"][0]["sha256"]))),
            # descendant and subjects (check 6)
            "descendant.sha256": ("E_PKT_DESCENDANT", lambda pr: pr["descendant"].__setitem__("sha256", bump_hex(pr["descendant"]["sha256"]))),
            "descendant.file_bytes": ("E_PKT_DESCENDANT", lambda pr: pr["descendant"].__setitem__("file_bytes", pr["descendant"]["file_bytes"] + 1)),
            "descendant.identity": ("E_PKT_DESCENDANT", lambda pr: pr["descendant"]["identity"].__setitem__("flags", 0)),
            "subject.descendant": ("E_PKT_DESCENDANT", subject(lambda st: st["subject"][0]["digest"].__setitem__(
                "sha256", bump_hex(st["subject"][0]["digest"]["sha256"])))),
            "subject.extra": ("E_PKT_DESCENDANT", subject(lambda st: st["subject"].append(
                {"name": "set.jsonl", "digest": {"sha256": fsha(self.p("set.jsonl"))}}))),
            "subject.missing-adapter": ("E_PKT_DESCENDANT", subject(lambda st: st["subject"].pop())),
            "subject.adapter-digest": ("E_PKT_DESCENDANT", subject(lambda st: st["subject"][1]["digest"].__setitem__(
                "sha256", bump_hex(st["subject"][1]["digest"]["sha256"])))),
            # lineage (check 6)
            "lineage.step": ("E_PKT_DESCENDANT", lambda pr: pr["lineage"]["steps"][0].__setitem__(
                "descendant_digest", bump_hex(pr["lineage"]["steps"][0]["descendant_digest"]))),
            "lineage.parent": ("E_PKT_DESCENDANT", lambda pr: pr["lineage"].__setitem__("parent_digest", bump_hex(pr["lineage"]["parent_digest"]))),
            "lineage.kind": ("E_PKT_DESCENDANT", lambda pr: pr["lineage"]["steps"][0].__setitem__("kind", "dense")),
            # evidence: set (check 7), policy (8), sidecar digest and R (check 8)
            "evidence.set.digest": ("E_PKT_SET", lambda pr: pr["evidence"][0]["set"].__setitem__("digest", bump_hex(SET_DIGEST))),
            "evidence.set.cases": ("E_PKT_SET", lambda pr: pr["evidence"][0]["set"].__setitem__("cases", 4)),
            "evidence.set.name": ("E_PKT_SET", lambda pr: pr["evidence"][0]["set"].__setitem__("name", "hellp")),
            "evidence.set.sha256": ("E_PKT_SET", lambda pr: pr["evidence"][0]["set"].__setitem__(
                "sha256", bump_hex(pr["evidence"][0]["set"]["sha256"]))),
            "evidence.policy.sha256": ("E_PKT_POLICY", lambda pr: pr["evidence"][0]["policy"].__setitem__(
                "sha256", bump_hex(pr["evidence"][0]["policy"]["sha256"]))),
            "evidence.sidecar.digest": ("E_PKT_SIDECAR", lambda pr: pr["evidence"][0]["sidecar"].__setitem__(
                "reproducible_digest", bump_hex(pr["evidence"][0]["sidecar"]["reproducible_digest"]))),
            "evidence.sidecar.R-without-digest": ("E_PKT_SIDECAR", lambda pr: R(pr)["results"][0].__setitem__("output", "x")),
            "evidence.sidecar.R.identity": ("E_PKT_SIDECAR", r_identity),
            "evidence.sidecar.R.lineage": ("E_PKT_SIDECAR", r_lineage),
            "evidence.sidecar.R.set": ("E_PKT_SIDECAR", r_set),
            "evidence.sidecar.R.policy": ("E_PKT_SIDECAR", r_policy),
            # verdict, scorecard, diagnostics (check 9)
            "verdict.passed": ("E_PKT_VERDICT", lambda pr: pr["evidence"][0]["verdict"].__setitem__("passed", False)),
            "verdict.reasons": ("E_PKT_VERDICT", lambda pr: pr["evidence"][0]["verdict"]["reasons"].append("must-pass case sum failed")),
            "verdict.R.gate": ("E_PKT_VERDICT", r_gate),
            "verdict.R.results": ("E_PKT_VERDICT", gate_failed),
            "scorecard.passed": ("E_PKT_VERDICT", lambda pr: pr["scorecard"]["rows"][0].__setitem__("passed", 2)),
            "scorecard.gate": ("E_PKT_VERDICT", lambda pr: pr["scorecard"]["rows"][0].__setitem__("gate", False)),
            "scorecard.sidecar": ("E_PKT_VERDICT", lambda pr: pr["scorecard"]["rows"][0].__setitem__(
                "sidecar", bump_hex(pr["scorecard"]["rows"][0]["sidecar"]))),
            "scorecard.extra-row": ("E_PKT_VERDICT", lambda pr: pr["scorecard"]["rows"].append(dict(pr["scorecard"]["rows"][0]))),
            "diagnostics.kv_cache_bytes": ("E_PKT_VERDICT", lambda pr: pr["diagnostics"].__setitem__("kv_cache_bytes", 1)),
            "diagnostics.scratch_bytes": ("E_PKT_VERDICT", lambda pr: pr["diagnostics"].__setitem__("scratch_bytes", 1)),
            "diagnostics.model_bytes": ("E_PKT_VERDICT", lambda pr: pr["diagnostics"].__setitem__("model_bytes", 1)),
            "diagnostics.tensors_by_dtype": ("E_PKT_VERDICT", lambda pr: pr["diagnostics"]["tensors_by_dtype"].__setitem__("q8_0", 1)),
            "diagnostics.adapter_count": ("E_PKT_VERDICT", lambda pr: pr["diagnostics"].__setitem__("adapter_count", 2)),
            # the statement's form (check 1)
            "format._type": ("E_PKT_FORMAT", subject(lambda st: st.__setitem__("_type", "https://in-toto.io/Statement/v0.1"))),
            "format.predicateType": ("E_PKT_FORMAT", subject(lambda st: st.__setitem__("predicateType", REVIEW))),
            "format.missing-field": ("E_PKT_FORMAT", lambda pr: pr.pop("diagnostics")),
            "format.wrong-type": ("E_PKT_FORMAT", lambda pr: pr["descendant"].__setitem__("file_bytes", "1450432")),
            "format.wrong-type-cases": ("E_PKT_FORMAT", lambda pr: pr["evidence"][0]["set"].__setitem__("cases", "3")),
            "format.wrong-type-steps": ("E_PKT_FORMAT", lambda pr: pr["lineage"].__setitem__("steps", "x")),
            "format.wrong-type-stack": ("E_PKT_FORMAT", lambda pr: pr.__setitem__("stack", 5)),
            "format.absolute-path": ("E_PKT_FORMAT", lambda pr: pr["parent"].__setitem__("path", self.p("parent.slm"))),
            "format.dotdot-path": ("E_PKT_FORMAT", lambda pr: pr["evidence"][0]["set"].__setitem__(
                "path", "../" + os.path.basename(self.base) + "/set.jsonl")),
            "format.spec_version": ("E_PKT_FORMAT", lambda pr: pr.__setitem__("spec_version", "2")),
        }

    def edited(self, d, edit, name="p.json"):
        pk = self.pkt(name, d)
        st = statement(pk["envelope"])
        if getattr(edit, "statement", False):
            edit(st)
        else:
            edit(st["predicate"])
        out = self.p("edited.json", d)
        save(out, self.resign(pk, st, folder=d))
        return out

    def test_every_predicate_field_class_edited_and_re_signed_fails_with_its_code(self):
        for name, (code, edit) in self.edits().items():
            with self.subTest(name):
                d = self.clone()
                path = self.edited(d, edit)
                rep = self.verify(path)
                self.assertTrue(rep["checks"][1]["passed"] or code == "E_PKT_FORMAT", "re-signed: the signature passes")
                self.assertEqual(rep["code"], code, json.dumps([c for c in rep["checks"] if not c["passed"]]))

    def test_a_path_through_a_symbolic_link_out_of_the_folder_is_E_PKT_FORMAT(self):
        d = self.clone()
        outside = os.path.join(self.tmp.name, "outside-%d" % self.n)
        os.mkdir(outside)
        shutil.move(self.p("parent.slm", d), os.path.join(outside, "parent.slm"))
        os.symlink(outside, self.p("lnk", d))
        path = self.edited(d, lambda pr: [pr["parent"].__setitem__("path", "lnk/parent.slm"),
                                          pr["rollback"].__setitem__("parent_path", "lnk/parent.slm"),
                                          pr["rollback"].__setitem__("command", "slm validate --digest lnk/parent.slm")])
        self.assertFails(path, "E_PKT_FORMAT")

    def test_unassigned_predicate_fields_edited_and_re_signed_are_still_caught(self):
        """rollback, review and the evidence's baseline: section 7 gives no check; every claim must be re-derivable (intro)"""
        def bump(pr, *keys):
            o = pr
            for k in keys[:-1]:
                o = o[k]
            o[keys[-1]] = ("0" if o[keys[-1]][0] != "0" else "1") + o[keys[-1]][1:]

        edits = {
            "rollback.parent_digest": lambda pr: bump(pr, "rollback", "parent_digest"),
            "rollback.parent_sha256": lambda pr: bump(pr, "rollback", "parent_sha256"),
            "rollback.parent_path": lambda pr: pr["rollback"].__setitem__("parent_path", "set.jsonl"),
            "rollback.command": lambda pr: pr["rollback"].__setitem__("command", "rm -rf ."),
            "rollback.stack_begins_after": lambda pr: pr["rollback"].__setitem__("stack_begins_after", 1),
            "review.checklist": lambda pr: pr["review"].__setitem__("checklist", []),
            "review.required": lambda pr: pr["review"].__setitem__("required", False),
            "evidence.baseline.digest": lambda pr: bump(pr, "evidence", 0, "baseline", "reproducible_digest"),
            "evidence.empty": lambda pr: [pr.__setitem__("evidence", []), pr["scorecard"].__setitem__("rows", [])],
        }
        for name, edit in edits.items():
            with self.subTest(name):
                d = self.clone()
                rep = self.verify(self.edited(d, edit))
                self.assertFalse(rep["verified"], "an edited, re-signed %s verifies" % name)

    def test_fabricated_results_are_caught_only_by_rerun(self):
        d = self.clone()

        def fabricate(pr):
            e = pr["evidence"][0]
            e["sidecar"]["reproducible"]["results"][0]["tokens"][0] += 1
            e["sidecar"]["reproducible_digest"] = sha(canon(e["sidecar"]["reproducible"]))
            pr["scorecard"]["rows"][0]["sidecar"] = e["sidecar"]["reproducible_digest"]

        path = self.edited(d, fabricate)
        self.assertTrue(self.verify(path)["verified"])
        self.assertFails(path, "E_PKT_RERUN", "--rerun")

    # -- malformed files (check 1)
    def test_malformed_packet_files_are_E_PKT_FORMAT(self):
        pk = self.pkt()
        payload = pk["envelope"]["payload"]

        def with_env(**kw):
            q = copy.deepcopy(pk)
            q["envelope"].update(kw)
            return json.dumps(q)

        cases = {
            "not JSON": "{\"slm_release_packet\": 1,",
            "not an object": json.dumps([pk]),
            "version 2": json.dumps({**pk, "slm_release_packet": 2}),
            "no reviews": json.dumps({"slm_release_packet": 1, "envelope": pk["envelope"]}),
            "no envelope": json.dumps({"slm_release_packet": 1, "reviews": []}),
            "payloadType": with_env(payloadType="application/json"),
            "bad base64": with_env(payload="!!" + payload[2:]),
            "base64 with a line break": with_env(payload=payload[:76] + "\n" + payload[76:]),
            "base64 url alphabet": with_env(payload="-_" + payload[2:]),
            "base64 without padding": with_env(payload=payload.rstrip("=")),
            "payload not a statement": with_env(payload=b64(b"[1,2,3]")),
        }
        self.assertTrue(payload.endswith("="), "the fixture's payload needs padding")
        for name, text in cases.items():
            with self.subTest(name):
                d = self.clone()
                open(self.p("bad.json", d), "w").write(text)
                self.assertFails(self.p("bad.json", d), "E_PKT_FORMAT")

    # -- reviews (section 6, check 3)
    def review(self, d, key, decision, src="p.json", out=None, note="n"):
        out = out or "%s-%s.json" % (key, decision)
        r = run("packet", "sign", "--key", key, "--" + decision, "--note", note, src, "-o", out, cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        return self.p(out, d)

    def test_an_approval_is_a_signed_review_statement_naming_the_packet(self):
        d = self.clone()
        path = self.review(d, "r", "approve", note="looks good ✓")
        pk, orig = load(path), self.pkt(folder=d)
        jsonschema.validate(pk, PACKET_SCHEMA)
        self.assertEqual(pk["envelope"], orig["envelope"])
        self.assertEqual(len(pk["reviews"]), 1)
        env = pk["reviews"][0]
        payload = unb64(env["payload"])
        st = json.loads(payload)
        self.assertEqual(canon(st), payload)
        jsonschema.validate(st, REVIEW_SCHEMA)
        digest = sha(unb64(orig["envelope"]["payload"]))
        self.assertEqual(st, {"_type": STATEMENT, "predicateType": REVIEW,
                              "subject": [{"name": "release-packet", "digest": {"sha256": digest}}],
                              "predicate": {"decision": "approve", "note": "looks good ✓"}})
        self.assertEqual(env["payloadType"], PAYLOAD_TYPE)
        self.assertEqual([s["keyid"] for s in env["signatures"]], [key_id(self.p("r.pub"))])
        self.assertTrue(ossl_verify(self.p("r.pub"), pae(PAYLOAD_TYPE, payload), unb64(env["signatures"][0]["sig"]), d))
        rep = self.verify(path, "--require-approval", pubs=("k.pub", "r.pub"))
        self.assertTrue(rep["verified"], rep)
        self.assertEqual(rep["packet_digest"], digest)
        self.assertEqual(rep["reviews"], [{"keyid": key_id(self.p("r.pub")), "decision": "approve", "note": "looks good ✓", "valid": True}])

    def test_a_rejection_fails_only_with_require_approval(self):
        d = self.clone()
        path = self.review(d, "r", "reject")
        self.assertTrue(self.verify(path, pubs=("k.pub", "r.pub"))["verified"])
        self.assertFails(path, "E_PKT_REVIEW", "--require-approval", pubs=("k.pub", "r.pub"))
        both = self.review(d, "k", "approve", src=os.path.basename(path), out="both.json")
        self.assertEqual(len(load(both)["reviews"]), 2)
        self.assertFails(both, "E_PKT_REVIEW", "--require-approval", pubs=("k.pub", "r.pub"))

    def test_require_approval_without_a_review_is_E_PKT_REVIEW(self):
        self.assertFails(self.p("p.json"), "E_PKT_REVIEW", "--require-approval", pubs=("k.pub", "r.pub"))

    def test_a_review_moved_onto_another_packet_is_E_PKT_REVIEW(self):
        d = self.clone()
        approved = load(self.review(d, "r", "approve"))
        other = self.pkt("pd.json", d)
        other["reviews"] = approved["reviews"]
        save(self.p("moved.json", d), other)
        self.assertFails(self.p("moved.json", d), "E_PKT_REVIEW", pubs=("k.pub", "r.pub"))

    def test_a_review_by_an_untrusted_key_is_E_PKT_REVIEW(self):
        d = self.clone()
        path = self.review(d, "x", "approve")
        self.assertFails(path, "E_PKT_REVIEW", pubs=("k.pub", "r.pub"))
        self.assertFails(path, "E_PKT_REVIEW", "--require-approval", pubs=("k.pub", "r.pub"))

    def test_an_edited_or_malformed_review_is_E_PKT_REVIEW(self):
        d = self.clone()
        pk = load(self.review(d, "r", "reject"))
        st = json.loads(unb64(pk["reviews"][0]["payload"]))
        st["predicate"]["decision"] = "approve"  # forged: not re-signed
        q = copy.deepcopy(pk)
        q["reviews"][0]["payload"] = b64(canon(st))
        save(self.p("forged.json", d), q)
        self.assertFails(self.p("forged.json", d), "E_PKT_REVIEW", pubs=("k.pub", "r.pub"))
        self.assertFails(self.p("forged.json", d), "E_PKT_REVIEW", "--require-approval", pubs=("k.pub", "r.pub"))
        st["predicate"]["decision"] = "maybe"  # re-signed by the reviewer, but not a decision
        payload = canon(st)
        q["reviews"][0]["payload"] = b64(payload)
        q["reviews"][0]["signatures"][0]["sig"] = b64(ossl_sign(self.p("r", d), pae(PAYLOAD_TYPE, payload), d))
        save(self.p("maybe.json", d), q)
        self.assertFails(self.p("maybe.json", d), "E_PKT_REVIEW", pubs=("k.pub", "r.pub"))


# ---------------------------------------------------------------- 8. sign and show, and failed commands
class Commands(Base):
    def test_sign_without_a_decision_adds_a_signature_to_the_same_payload(self):
        d = self.clone()
        r = run("packet", "sign", "--key", "r", "p.json", "-o", "p2.json", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        pk, orig = self.pkt("p2.json", d), self.pkt(folder=d)
        self.assertEqual(pk["envelope"]["payload"], orig["envelope"]["payload"])
        self.assertEqual(pk["reviews"], [])
        self.assertEqual(pk["envelope"]["signatures"][0], orig["envelope"]["signatures"][0])
        self.assertEqual([s["keyid"] for s in pk["envelope"]["signatures"]], [key_id(self.p("k.pub")), key_id(self.p("r.pub"))])
        m = pae(PAYLOAD_TYPE, unb64(pk["envelope"]["payload"]))
        for s, pub in zip(pk["envelope"]["signatures"], ("k.pub", "r.pub")):
            self.assertTrue(ossl_verify(self.p(pub, d), m, unb64(s["sig"]), d))
        rep = self.verify(self.p("p2.json", d), pubs=("r.pub",))
        self.assertTrue(rep["verified"])
        self.assertEqual(rep["packet_digest"], self.verify(self.p("p.json", d))["packet_digest"])  # unchanged by signatures

    def test_sign_never_writes_over_its_input(self):
        d = self.clone()
        os.link(self.p("p.json", d), self.p("hard.json", d))
        os.symlink("p.json", self.p("soft.json", d))
        for out in ("p.json", "./p.json", "hard.json", "soft.json", self.p("p.json", d)):
            for extra in ([], ["--approve"]):
                with self.subTest(out=out, extra=extra):
                    before = snapshot(d)
                    r = run("packet", "sign", "--key", "r", *extra, "p.json", "-o", out, cwd=d)
                    self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                    self.assertIn("E_OUT_IS_INPUT", r.stderr)
                    self.assertEqual(snapshot(d), before)

    def test_sign_refuses_approve_and_reject_together(self):
        d = self.clone()
        before = snapshot(d)
        r = run("packet", "sign", "--key", "r", "--approve", "--reject", "p.json", "-o", "both.json", cwd=d)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(snapshot(d), before)

    def test_show_writes_markdown_and_a_self_contained_html_page(self):
        d = self.clone()
        assert run("packet", "sign", "--key", "r", "--approve", "--note", "fine", "p.json", "-o", "pa.json", cwd=d).returncode == 0
        r = run("packet", "show", "pa.json", "-o", "out.md", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        md, html = open(self.p("out.md", d)).read(), open(self.p("out.html", d)).read()
        st = self.stmt("pa.json", d)
        digest = sha(unb64(self.pkt("pa.json", d)["envelope"]["payload"]))
        for text in (md, html):
            self.assertIn(digest, text)
            self.assertIn(key_id(self.p("k.pub")), text)  # the signatures
            self.assertIn("hello", text)  # the gate table
            self.assertIn(str(st["predicate"]["diagnostics"]["kv_cache_bytes"]), text)
        self.assertRegex(html, r"(?s)<svg\b.*</svg>")
        stripped = re.sub(r"""xmlns(:\w+)?\s*=\s*(['"])[^'"]*\2""", "", html)  # namespace names are not fetched
        self.assertNotRegex(stripped, r"(?i)(https?:|ftp:)?//[a-z0-9.-]+\.[a-z]{2,}", "an external URL")
        self.assertNotRegex(stripped, r"(?i)<(link|script|img|iframe|object|embed)\b[^>]*\b(src|href)\s*=")
        self.assertNotRegex(stripped, r"(?i)@import|url\(\s*['\"]?(?!#)")
        # section 8: the page holds the scorecard (rows of eval.md 7: the sidecar's reproducible digest)
        self.assertIn(st["predicate"]["scorecard"]["rows"][0]["sidecar"][:12], html, "the scorecard is missing from OUT.html")

    def test_show_of_a_malformed_statement_fails_cleanly(self):
        d = self.clone()
        for name, edit in (("steps", lambda pr: pr["lineage"].__setitem__("steps", "x")),
                           ("stack", lambda pr: pr.__setitem__("stack", 5))):
            with self.subTest(name):
                pk = self.pkt(folder=d)
                st = statement(pk["envelope"])
                edit(st["predicate"])
                save(self.p("m.json", d), self.resign(pk, st, folder=d))
                before = snapshot(d)
                r = run("packet", "show", "m.json", "-o", "m.md", cwd=d)
                self.assertIn(r.returncode, (1, 2), r.stderr)  # a rejection, never a crash
                self.assertIn("E_PKT_FORMAT", r.stderr)
                self.assertEqual(snapshot(d), before)

    def test_failed_commands_leave_every_file_unchanged(self):
        d = self.clone()
        open(self.p("bad.json", d), "w").write("not json\n")
        open(self.p("out.md", d), "w").write("old\n")
        open(self.p("out.html", d), "w").write("old\n")
        flipped = self.clone()
        flip(self.p("parent.slm", flipped))
        argvs = [
            ["packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--key", "k.pub", "-o", "p.json"],
            ["packet", "build", "--parent", "parent.slm", "--adapter", "fix.adp", "fix.asp", "--eval", "set.jsonl", "--key", "k", "-o", "p.json"],
            ["packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "missing.jsonl", "--key", "k", "-o", "p.json"],
            ["packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--sidecar", "base.json", "--key", "k",
             "-o", "p.json"],
            ["packet", "build", "--parent", "parent.slm", "--adapter", "fix.asp", "--eval", "set.jsonl", "--key", "k", "-o", "parent.slm"],
            ["packet", "sign", "--key", "r", "--approve", "bad.json", "-o", "ps.json"],
            ["packet", "show", "bad.json", "-o", "out.md"],
            ["packet", "verify", "bad.json", "--pubkey", "k.pub"],
            ["key", "gen", "-o", "k"],
        ]
        for argv in argvs:
            with self.subTest(" ".join(argv)):
                before = snapshot(d)
                r = run(*argv, cwd=d)
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertEqual(snapshot(d), before)
        with self.subTest("verify of a tampered parent"):
            before = snapshot(flipped)
            self.assertEqual(run("packet", "verify", "p.json", "--pubkey", "k.pub", "--rerun", cwd=flipped).returncode, 1)
            self.assertEqual(snapshot(flipped), before)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
