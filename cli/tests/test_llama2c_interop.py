#!/usr/bin/python3
"""llama2.c interop of our own BPE presets: `slm convert --to-llama2c` writes a checkpoint and a
tokenizer.bin that llama2.c's run.c can read and encode with. Neither llama2.c nor our importer is
used: this file has its own reader of the llama2.c layout (the checkpoint's Config header and
weight sizes, tokenizer.bin's records) and its own port of run.c's `encode` and `decode`
(dummy prefix " " looked up in the vocabulary, one lookup per UTF-8 code point with byte fallback
+3, then the greedy merge of the best-scoring pair). On the synthetic vocabulary no piece contains a
byte piece's name `<0xHH>` and no merge can spell a special piece, so the two deliberate differences
of spec/runtime-tokenizer.md section 4 (D1, D2) cannot show: llama2.c's ids must equal
`slm tokenize`'s, with and without BOS. Usage: test_llama2c_interop.py SLM_BINARY SOURCE_DIR"""
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama2c_reader import Llama2cReader  # noqa: E402

SLM, SOURCE = sys.argv[1], sys.argv[2]

# Texts that exercise merges, spaces, byte fallback, multi-byte and invalid UTF-8, special-looking
# and byte-piece-looking text. No NUL (llama2.c takes C strings) and no leading '-' (an option).
TEXTS = [
    b"the rain in spain stays",
    b"Once upon a time.",
    b"  two  spaces ",
    b" leading",
    b"hello\nworld",
    "Z\u00fcrich 2026!".encode(),
    "caf\u00e9 \u20ac \U0001F600 tea".encode(),
    b"a\x80\xff\xfe",
    b"\x80\x80ab",
    b"<s> and </s> and <unk>",
    b"<0x41> is not A",
    b"x",
]

# (arguments of `slm gen model`, what it covers)
PRESETS = [
    (["--preset", "tiny", "--tokenizer", "bpe", "--dtype", "f32"], "300 pieces: the single characters and 14 merges"),
    (["--preset", "small"], "512 pieces: merges of two characters"),
    (["--preset", "small", "--vocab", "21000", "--untied"], "merges of three characters, unshared classifier"),
]

def slm(*args):
    return subprocess.run([SLM, *args], capture_output=True)


class Llama2cInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def export(self, name, gen_args):
        model, ckpt, tok = self.path(name + ".slm"), self.path(name + ".ckpt"), self.path(name + ".tokenizer.bin")
        r = slm("gen", "model", *gen_args, "-o", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = slm("convert", "--to-llama2c", model, "--tokenizer", tok, "-o", ckpt)
        self.assertEqual(r.returncode, 0, r.stderr)
        return model, Llama2cReader(ckpt, tok)

    def slm_tokenize(self, model, text, bos):
        r = slm("tokenize", model, text, *([] if bos else ["--no-bos"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        return [int(x) for x in r.stdout.split()]

    def test_exported_bpe_presets_encode_in_llama2c_as_in_slm(self):
        for i, (gen_args, what) in enumerate(PRESETS):
            with self.subTest(preset=" ".join(gen_args), covers=what):
                model, reader = self.export(f"preset{i}", gen_args)
                self.assertTrue(reader.checkpoint_size_ok, f"checkpoint size {reader.checkpoint_sizes}")
                self.assertEqual(reader.trailing_bytes, 0, "tokenizer.bin has bytes after piece vocab_size - 1")
                self.assertEqual(reader.max_token_length, max(len(p) for p in reader.vocab))
                self.assertEqual(reader.vocab[1:3], [b"<s>", b"</s>"])
                self.assertEqual(reader.vocab[3:259], [b"<0x%02X>" % b for b in range(256)])
                space = reader.str_lookup(b" ")
                self.assertGreaterEqual(space, 259, "no normal piece ' ': run.c's dummy prefix would be -1")
                merges = 0
                for text in TEXTS:
                    for bos in (False, True):
                        ids, failures = reader.encode(text, bos, False)
                        self.assertEqual(failures, [], text)
                        self.assertTrue(all(0 <= t < reader.vocab_size for t in ids), (text, ids))
                        self.assertEqual(ids, self.slm_tokenize(model, text, bos), (text, bos))
                        merges += sum(1 for t in ids if len(reader.vocab[t]) > 1 and t >= 259)
                        if bos:  # run.c prints the tokens after BOS: the text again
                            self.assertEqual(reader.decode(ids[0], ids[1:]), text)
                self.assertGreater(merges, 0, "no text merged: the merge loop was not exercised")
                self.assertEqual(reader.encode(b"", True, True)[0], [1, 2])

    def test_convert_refuses_a_vocabulary_llama2c_cannot_encode_with(self):
        # vocab 259: the byte pieces only, no normal piece " " for run.c's dummy prefix
        model, ckpt, tok = self.path("bare.slm"), self.path("bare.ckpt"), self.path("bare.bin")
        r = slm("gen", "model", "--preset", "small", "--vocab", "259", "-o", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(slm("validate", model).returncode, 0)  # a valid SLM file all the same
        r = slm("convert", "--to-llama2c", model, "--tokenizer", tok, "-o", ckpt)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"E_CONVERT_INPUT", r.stderr)
        self.assertIn(b"SLM-CNV-001", r.stderr)
        self.assertFalse(os.path.exists(ckpt) or os.path.exists(tok), "nothing is written")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
