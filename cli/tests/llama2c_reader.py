"""An independent reader of llama2.c's files and a port of run.c's `encode` and `decode`, written
from llama2.c's run.c, not from our code: the llama2.c interop test and the tokenize goldens' check
(conformance/tests/test_tokenize_goldens.py) both use it. Checked more strictly than run.c checks."""
import struct

F32_MIN_SCORE = struct.unpack("<f", struct.pack("<f", -1e10))[0]  # run.c: float best_score = -1e10


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
