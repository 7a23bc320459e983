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

F32_MIN_SCORE = struct.unpack("<f", struct.pack("<f", -1e10))[0]  # run.c: float best_score = -1e10


def slm(*args):
    return subprocess.run([SLM, *args], capture_output=True)


class Llama2cReader:
    """run.c's read_checkpoint + build_tokenizer, checked more strictly than run.c checks."""

    def __init__(self, checkpoint_path, tokenizer_path):
        with open(checkpoint_path, "rb") as f:
            ckpt = f.read()
        assert len(ckpt) >= 28, "checkpoint shorter than its Config header"
        (self.dim, self.hidden_dim, self.n_layers, self.n_heads, self.n_kv_heads, vocab,
         self.seq_len) = struct.unpack_from("<7i", ckpt, 0)
        self.shared_weights = vocab > 0
        self.vocab_size = abs(vocab)
        assert min(self.dim, self.hidden_dim, self.n_layers, self.n_heads, self.n_kv_heads, self.seq_len) > 0
        assert self.dim % self.n_heads == 0 and self.n_heads % self.n_kv_heads == 0
        head_size = self.dim // self.n_heads
        kv_dim = self.dim * self.n_kv_heads // self.n_heads
        L, d, h, v = self.n_layers, self.dim, self.hidden_dim, self.vocab_size
        # run.c's memory_map_weights, in order; freq_cis_real and _imag are still in the file.
        floats = (v * d + L * d + L * d * d + 2 * L * d * kv_dim + L * d * d + L * d + 3 * L * d * h + d
                  + 2 * self.seq_len * head_size // 2 + (0 if self.shared_weights else v * d))
        self.checkpoint_size_ok = len(ckpt) == 28 + 4 * floats
        self.checkpoint_sizes = (len(ckpt), 28 + 4 * floats)

        with open(tokenizer_path, "rb") as f:
            tok = f.read()
        (self.max_token_length,) = struct.unpack_from("<i", tok, 0)
        r = 4
        self.vocab, self.scores = [], []
        for i in range(self.vocab_size):
            assert len(tok) - r >= 8, f"tokenizer.bin ends inside the record of piece {i}"
            score, length = struct.unpack_from("<fi", tok, r)
            assert 0 < length <= self.max_token_length, f"piece {i} has length {length}"
            assert len(tok) - r - 8 >= length, f"tokenizer.bin ends inside the bytes of piece {i}"
            # run.c reads the bytes and NUL-terminates them: a piece is a C string
            self.vocab.append(tok[r + 8:r + 8 + length].split(b"\0")[0])
            self.scores.append(score)
            r += 8 + length
        self.trailing_bytes = len(tok) - r
        self.index = {}
        for i, piece in enumerate(self.vocab):  # run.c bsearches a sorted copy: a duplicate would be ambiguous
            assert piece not in self.index, f"piece {i} repeats piece {self.index[piece]}"
            self.index[piece] = i

    def str_lookup(self, s):
        return self.index.get(s, -1)

    def encode(self, text, bos, eos):
        """run.c encode(), step by step. Returns (tokens, failed lookups that run.c would use as ids)."""
        failures = []
        tokens = [1] if bos else []
        if text:
            dummy_prefix = self.str_lookup(b" ")
            if dummy_prefix == -1:
                failures.append("dummy prefix ' '")
            tokens.append(dummy_prefix)
        buf = b""
        for i, c in enumerate(text):
            if c & 0xC0 != 0x80:
                buf = b""  # a byte that is not a continuation byte starts a new code point
            buf += bytes([c])
            following = text[i + 1] if i + 1 < len(text) else 0
            if following & 0xC0 == 0x80 and len(buf) < 4:
                continue
            token = self.str_lookup(buf)
            if token != -1:
                tokens.append(token)
            else:
                tokens.extend(b + 3 for b in buf)  # byte fallback: <0x00> is id 3
            buf = b""
        while True:  # merge the best-scoring pair (the leftmost on ties) until none is left
            best_score, best_id, best_idx = F32_MIN_SCORE, -1, -1
            for i in range(len(tokens) - 1):
                if tokens[i] < 0 or tokens[i + 1] < 0:
                    failures.append(f"vocab[{min(tokens[i], tokens[i + 1])}] read in the merge loop")
                    return tokens, failures
                merged = self.str_lookup(self.vocab[tokens[i]] + self.vocab[tokens[i + 1]])
                if merged != -1 and self.scores[merged] > best_score:
                    best_score, best_id, best_idx = self.scores[merged], merged, i
            if best_idx == -1:
                break
            tokens[best_idx:best_idx + 2] = [best_id]
        if eos:
            tokens.append(2)
        return tokens, failures

    def decode(self, previous, tokens):
        """run.c decode(previous, token) of each token after its predecessor, as its generate loop
        prints them: after BOS (1) a piece loses its leading space; `<0xHH>` is the byte."""
        out = b""
        for token in tokens:
            piece = self.vocab[token]
            if previous == 1 and piece.startswith(b" "):
                piece = piece[1:]
            if (len(piece) == 6 and piece.startswith(b"<0x") and piece.endswith(b">")
                    and all(chr(c) in "0123456789ABCDEFabcdef" for c in piece[3:5])):
                piece = bytes([int(piece[3:5], 16)])
            out += piece
            previous = token
        return out


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
