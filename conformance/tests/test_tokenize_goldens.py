#!/usr/bin/python3
"""The tokenize goldens, checked from outside and shown to discriminate.

1. Every tokenize case on a generated BPE model is re-encoded by an independent port of llama2.c's
   run.c `encode` (cli/tests/llama2c_reader.py) on the model's vocabulary exported with
   `slm convert --to-llama2c`: its ids must equal the case's. (On these vocabularies no piece holds a
   byte piece's name and no text spells a special piece, so spec/runtime-tokenizer.md section 4's
   two differences from llama2.c cannot show.)
2. A small encoder written from runtime-tokenizer.md section 2 alone, with one switch per plausible
   misreading, must reproduce every case when correct, and each misreading must fail at least one
   `tokenize/merges-*` case: a runtime whose merge bookkeeping is subtly wrong cannot pass them.

Usage: test_tokenize_goldens.py SLM_BINARY SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SLM, SOURCE = sys.argv[1], sys.argv[2]
CASES = os.path.join(SOURCE, "conformance", "cases", "tokenize")
sys.path.insert(0, os.path.join(SOURCE, "cli", "tests"))
from llama2c_reader import Llama2cReader  # noqa: E402

RECIPE_FLAGS = {"preset": "--preset", "seed": "--seed", "tokenizer": "--tokenizer", "layers": "--layers",
                "dim": "--dim", "heads": "--heads", "kv_heads": "--kv-heads", "vocab": "--vocab"}


def load_cases():
    out = []
    for name in sorted(os.listdir(CASES)):
        with open(os.path.join(CASES, name, "expected.json")) as f:
            case = json.load(f)
        req = case["request"]
        text = bytes.fromhex(req["text_hex"]) if "text_hex" in req else req["text"].encode()
        out.append((case, text, req["add_bos"]))
    return out


def units(text, dummy):
    """runtime-tokenizer.md RT-TOK-002."""
    out = [b" "] if text and dummy else []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and text[j] & 0xC0 == 0x80 and j - i < 4:
            j += 1
        out.append(text[i:j])
        i = j
    return out


def units_by_lead_byte(text, dummy):
    """Misreading: a unit is as long as its lead byte announces (C3 41 would be one unit)."""
    out = [b" "] if text and dummy else []
    i = 0
    while i < len(text):
        c = text[i]
        n = 1 if c < 0xC0 else 2 if c < 0xE0 else 3 if c < 0xF0 else 4
        out.append(text[i:i + n])
        i += n
    return out


class SpecEncoder:
    """runtime-tokenizer.md section 2, with `misreading` switching one rule."""

    def __init__(self, vocab, scores, misreading=None):
        self.vocab, self.scores, self.misreading = vocab, scores, misreading
        self.index = {p: i for i, p in enumerate(vocab) if i >= 259}  # lookups see normal pieces only

    def bytes_of(self, t):
        return bytes([t - 3]) if 3 <= t < 259 else self.vocab[t]

    def encode(self, text, add_bos):
        m = self.misreading
        if m == "longest-match":  # the longest piece at each position instead of pair merges
            raw, ids, i = (b" " if text else b"") + text, [], 0
            while i < len(raw):
                for n in range(min(16, len(raw) - i), 0, -1):
                    if raw[i:i + n] in self.index:
                        ids.append(self.index[raw[i:i + n]])
                        i += n
                        break
                else:
                    ids.append(raw[i] + 3)
                    i += 1
            return ([1] if add_bos else []) + ids
        split = units_by_lead_byte if m == "units-by-lead-byte" else units
        ids = []
        for u in split(text, m != "no-dummy-prefix"):
            ids += [self.index[u]] if u in self.index else [b + 3 for b in u]
        while True:
            pairs = []
            for i in range(len(ids) - 1):
                if m != "byte-fallback-merges" and (ids[i] < 259 or ids[i + 1] < 259):
                    continue
                merged = self.index.get(self.bytes_of(ids[i]) + self.bytes_of(ids[i + 1]))
                if merged is not None:
                    pairs.append((self.scores[merged], i, merged))
            if not pairs:
                break
            key = {None: lambda p: (p[0], -p[1]),
                   "tie-rightmost": lambda p: (p[0], p[1]),
                   "tie-lowest-id": lambda p: (p[0], -p[2]),
                   "rank-by-id": lambda p: (-p[2],)}.get(m, lambda p: (p[0], -p[1]))
            _, i, merged = max(pairs, key=key)
            ids[i:i + 2] = [merged]
        return ([1] if add_bos else []) + ids


MISREADINGS = ["tie-rightmost", "tie-lowest-id", "rank-by-id", "longest-match", "byte-fallback-merges",
               "units-by-lead-byte", "no-dummy-prefix"]


class TokenizeGoldens(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cases = load_cases()
        cls.readers = {}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def reader(self, recipe):
        """The recipe's vocabulary as llama2.c files (an f32 model of the same vocabulary)."""
        key = json.dumps(recipe, sort_keys=True)
        if key not in self.readers:
            base = os.path.join(self.tmp.name, str(len(self.readers)))
            args = ["gen", "model", "-o", base + ".slm", "--dtype", "f32"]
            for k, v in recipe.items():
                if k in RECIPE_FLAGS:
                    args += [RECIPE_FLAGS[k], str(v)]
            r = subprocess.run([SLM, *args], capture_output=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = subprocess.run([SLM, "convert", "--to-llama2c", base + ".slm", "--tokenizer", base + ".bin", "-o", base + ".ckpt"],
                               capture_output=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.readers[key] = Llama2cReader(base + ".ckpt", base + ".bin")
        return self.readers[key]

    def bpe_cases(self):
        for case, text, add_bos in self.cases:
            recipe = case["input"].get("generate")
            if recipe and recipe.get("tokenizer", "bpe" if recipe["preset"] != "tiny" else "byte") != "byte":
                yield case, text, add_bos, self.reader(recipe)

    def test_there_are_enough_goldens(self):
        self.assertGreaterEqual(len(self.cases), 60)
        merges = [c for c, _, _ in self.cases if c["id"].startswith("tokenize/merges-")]
        self.assertGreaterEqual(len(merges), 40)

    def test_llama2c_encode_gives_every_golden(self):
        seen = 0
        for case, text, add_bos, reader in self.bpe_cases():
            with self.subTest(case=case["id"]):
                ids, failures = reader.encode(text, add_bos, False)
                self.assertEqual(failures, [])
                self.assertEqual(ids, case["expect"]["tokens"])
                seen += 1
        self.assertGreaterEqual(seen, 50)

    def test_the_merge_vocabulary_is_what_generators_md_says(self):
        reader = self.reader({"preset": "tiny", "seed": 5, "tokenizer": "bpe-merges"})
        self.assertEqual(reader.vocab_size, 4096)
        self.assertEqual(reader.vocab[259:262], [b" ", b"a", b"b"])
        self.assertEqual(reader.vocab[295:302], [b"aa", b"aaaa", b"a" * 8, b"a" * 16, b"HELLO", b" HELLO", b"QQ"])
        merges = reader.scores[302:]
        self.assertEqual(len(merges), 3794)
        ties = sum(1 for i in range(1, len(merges)) if merges[i] == merges[i - 1])
        self.assertGreater(ties, 2000, "scores tie in threes")

    def test_the_merge_vocabulary_follows_from_generators_md_alone(self):
        # generators.md 2.1, ported here: same pieces, same scores.
        mask = (1 << 64) - 1
        state = 2026

        def next64():
            nonlocal state
            state = (state + 0x9E3779B97F4A7C15) & mask
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
            return z ^ (z >> 31)

        units = [b" "] + [bytes([c]) for c in range(ord("a"), ord("z") + 1)] + [
            b"\n", b".", b",", b"'"] + [u.encode() for u in ("\u00e9", "\u20ac", "\u65e5", "\u672c", "\U0001F600")]
        chain = [b"a" * n for n in (2, 4, 8, 16)]
        pieces = units + chain + [b"HELLO", b" HELLO", b"QQ"]
        scores = [0.0] * len(units) + [10.0] * 4 + [20.0] * 3
        reachable, present, m = units + chain, set(pieces), 0

        def pick():
            r = next64()
            return units[(r >> 1) % len(units)] if r & 1 else reachable[(r >> 1) % len(reachable)]

        while 259 + len(pieces) < 4096:
            x = pick()
            y = pick()
            piece = x + y
            if len(piece) > 16 or piece in present or piece.strip(b"a") == b"":
                continue
            pieces.append(piece)
            scores.append(5.0 if m % 97 == 96 else -float(m // 3))
            present.add(piece)
            reachable.append(piece)
            m += 1
        reader = self.reader({"preset": "tiny", "seed": 5, "tokenizer": "bpe-merges"})
        self.assertEqual(reader.vocab[259:], pieces)
        self.assertEqual(reader.scores[259:], scores)

    def test_each_misreading_fails_a_merges_case(self):
        for misreading in [None] + MISREADINGS:
            with self.subTest(misreading=misreading):
                failing = []
                for case, text, add_bos, reader in self.bpe_cases():
                    enc = SpecEncoder(reader.vocab, reader.scores, misreading)
                    if enc.encode(text, add_bos) != case["expect"]["tokens"]:
                        failing.append(case["id"])
                if misreading is None:
                    self.assertEqual(failing, [], "the encoder written from the spec disagrees with the goldens")
                else:
                    self.assertTrue([i for i in failing if i.startswith("tokenize/merges-")],
                                    f"no merges case tells {misreading} apart")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
