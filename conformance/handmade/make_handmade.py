#!/usr/bin/env python3
"""Hand-annotated SLM1 conformance cases, written from spec/format.md alone.

This script is a second, independent implementation of the SLM1 *writer* side of the format
(spec/format.md sections 2-8) in plain Python 3 (stdlib only).  It does not use, import or
mirror any code of reference/, generators/ or cli/.  XXH64 is implemented below from its
published algorithm (xxHash doc/xxhash_spec.md) and checked against the test vectors of
spec/format.md section 13.1 before anything is written.

It builds one minimal valid model and a few one-fault variants, and writes each as annotated
hex (conformance/cases/handmade/<name>/model.hex) plus expected.json.  The expected error code
and offset of every variant were derived by hand from the check order of spec section 7.1; they
are written down below as literals, next to the reasoning, and are NOT computed by running any
validator.

Regenerate with:  python3 conformance/handmade/make_handmade.py
"""

import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "conformance", "cases", "handmade")

# ---------------------------------------------------------------------------------------------
# XXH64 (seed 0 by default), from the published algorithm.
# ---------------------------------------------------------------------------------------------
M64 = (1 << 64) - 1
P1 = 0x9E3779B185EBCA87
P2 = 0xC2B2AE3D27D4EB4F
P3 = 0x165667B19E3779F9
P4 = 0x85EBCA77C2B2AE63
P5 = 0x27D4EB2F165667C5


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _round(acc, lane):
    acc = (acc + lane * P2) & M64
    acc = _rotl(acc, 31)
    return (acc * P1) & M64


def _merge(acc, val):
    acc ^= _round(0, val)
    return (acc * P1 + P4) & M64


def xxh64(data, seed=0):
    data = bytes(data)
    n = len(data)
    p = 0
    if n >= 32:
        v1 = (seed + P1 + P2) & M64
        v2 = (seed + P2) & M64
        v3 = seed & M64
        v4 = (seed - P1) & M64
        lanes = struct.unpack_from("<%dQ" % ((n // 32) * 4), data, 0)
        for k in range(0, len(lanes), 4):
            v1 = _round(v1, lanes[k])
            v2 = _round(v2, lanes[k + 1])
            v3 = _round(v3, lanes[k + 2])
            v4 = _round(v4, lanes[k + 3])
        p = (n // 32) * 32
        acc = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & M64
        acc = _merge(acc, v1)
        acc = _merge(acc, v2)
        acc = _merge(acc, v3)
        acc = _merge(acc, v4)
    else:
        acc = (seed + P5) & M64
    acc = (acc + n) & M64
    while n - p >= 8:
        (lane,) = struct.unpack_from("<Q", data, p)
        acc ^= _round(0, lane)
        acc = (_rotl(acc, 27) * P1 + P4) & M64
        p += 8
    if n - p >= 4:
        (lane,) = struct.unpack_from("<I", data, p)
        acc ^= (lane * P1) & M64
        acc = (_rotl(acc, 23) * P2 + P3) & M64
        p += 4
    while p < n:
        acc ^= (data[p] * P5) & M64
        acc = (_rotl(acc, 11) * P1) & M64
        p += 1
    acc ^= acc >> 33
    acc = (acc * P2) & M64
    acc ^= acc >> 29
    acc = (acc * P3) & M64
    acc ^= acc >> 32
    return acc


def self_test():
    """spec/format.md section 13.1 (XXH64 and SHA-256) and 13.4 (tokenizer checksum, f32 bits)."""
    vectors = [
        (b"", 0xEF46DB3751D8E999, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (b"a", 0xD24EC4F1A98C6E5B, "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
        (b"abc", 0x44BC2CF5AD770999, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (b"SLM1", 0x0E94CE2262CD8EFD, "9b9302c7f68243c0820323c39e62eebd5f4ae2d3d75fe83c53db09d6c3b44488"),
        (b"The quick brown fox jumps over the lazy dog", 0x0B242D361FDA71BC,
         "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
        (bytes(range(256)), 0x1FACBE8406CD904B, "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880"),
    ]
    for data, xx, sha in vectors:
        got = xxh64(data)
        assert got == xx, "XXH64(%r) = %016x, spec says %016x" % (data[:16], got, xx)
        assert hashlib.sha256(data).hexdigest() == sha
    # "Stored as a field, XXH64 0x0e94ce2262cd8efd is the bytes fd 8e cd 62 22 ce 94 0e."
    assert struct.pack("<Q", xxh64(b"SLM1")) == bytes.fromhex("fd8ecd6222ce940e")
    # 13.4: the BYTE tokenizer section (kind 1, flags 0, n_pieces 259, bos 1, eos 2, reserved 0)
    # has tokenizer_checksum e64e39eb71746317.
    assert xxh64(struct.pack("<6I", 1, 0, 259, 1, 2, 0)) == 0xE64E39EB71746317
    # 13.4: norm_eps "f32 0x3727c5ac ~ 1e-5 (the f32 nearest to 10^-5)", rope_theta 0x461c4000.
    assert struct.pack("<f", 1e-5) == struct.pack("<I", 0x3727C5AC)
    assert struct.pack("<f", 10000.0) == struct.pack("<I", 0x461C4000)


# ---------------------------------------------------------------------------------------------
# A file as a list of annotated items (fields, headings).  Offsets are computed when rendering,
# so a patch only has to replace a field's bytes; its comment follows automatically.
# ---------------------------------------------------------------------------------------------
def align64(x):
    return (x + 63) & ~63


class Field:
    def __init__(self, key, data, label, kind, note=""):
        self.key = key          # unique key, e.g. "hdr.magic", "dir.2.offset"
        self.data = bytes(data)
        self.label = label      # human name shown in the comment
        self.kind = kind        # how to show the value: u16 u32 u64 f32 hash digest ascii name pad data raw
        self.note = note        # extra text after the value
        self.fault = None       # text of "<-- FAULT: ..." when this field carries the fault


class Heading:
    def __init__(self, text):
        self.text = text


class File:
    def __init__(self):
        self.items = []

    def head(self, text):
        self.items.append(Heading(text))

    def add(self, key, data, label, kind, note=""):
        self.items.append(Field(key, data, label, kind, note))

    def fields(self):
        return [it for it in self.items if isinstance(it, Field)]

    def field(self, key):
        for it in self.fields():
            if it.key == key:
                return it
        raise KeyError(key)

    def offset(self, key):
        off = 0
        for it in self.fields():
            if it.key == key:
                return off
            off += len(it.data)
        raise KeyError(key)

    def set(self, key, data):
        f = self.field(key)
        assert len(data) == len(f.data), key
        f.data = bytes(data)

    def bytes(self):
        return b"".join(f.data for f in self.fields())

    def range_bytes(self, start, length):
        return self.bytes()[start:start + length]


U16 = lambda v: struct.pack("<H", v)
U32 = lambda v: struct.pack("<I", v)
U64 = lambda v: struct.pack("<Q", v)
F32 = lambda v: struct.pack("<f", v)


def show_value(f):
    d = f.data
    if f.kind == "u16":
        return "%d" % struct.unpack("<H", d)[0]
    if f.kind == "u32":
        v = struct.unpack("<I", d)[0]
        return "%d" % v if v < 0x10000 else "%d (0x%08x)" % (v, v)
    if f.kind == "u64":
        return "%d" % struct.unpack("<Q", d)[0]
    if f.kind == "hash":
        return "0x%016x" % struct.unpack("<Q", d)[0]
    if f.kind == "digest":
        return d.hex()
    if f.kind == "f32":
        bits = struct.unpack("<I", d)[0]
        return "%r (f32 bits 0x%08x)" % (struct.unpack("<f", d)[0], bits)
    if f.kind == "ascii":
        return "'" + "".join(chr(b) if 32 <= b < 127 else "\\x%02x" % b for b in d) + "'"
    if f.kind == "name":
        return "'" + d.rstrip(b"\0").decode("ascii", "replace") + "' + %d zero bytes" % (len(d) - len(d.rstrip(b"\0")))
    if f.kind in ("pad", "zeros"):
        nz = [i for i, b in enumerate(d) if b]
        return "%d zero bytes" % len(d) if not nz else "%d bytes, NOT all zero" % len(d)
    if f.kind == "data":
        return "%d bytes" % len(d)
    return d.hex()


def tokens(data):
    """Run-length tokens: a run of >= 4 equal bytes becomes XX*N."""
    out = []
    i = 0
    while i < len(data):
        j = i
        while j < len(data) and data[j] == data[i]:
            j += 1
        if j - i >= 4:
            out.append("%02x*%d" % (data[i], j - i))
        else:
            out.extend("%02x" % data[i] for _ in range(j - i))
        i = j
    return out


def render(fobj, title):
    lines = [l.rstrip() for l in title.splitlines()]
    lines.append("")
    off = 0
    for it in fobj.items:
        if isinstance(it, Heading):
            lines.append("")
            lines.append("# " + it.text)
            continue
        d = it.data
        comment = "@%d (0x%x) %s = %s" % (off, off, it.label, show_value(it))
        if it.kind == "pad":
            comment = "@%d (0x%x) PADDING [%d, %d): %s" % (off, off, off, off + len(d), show_value(it))
        if it.note:
            comment += "  " + it.note
        if it.fault:
            comment += "  <-- FAULT: " + it.fault
        toks = tokens(d)
        if len(toks) <= 32:
            lines.append(" ".join(toks).ljust(24) + "  # " + comment)
        else:
            lines.append("# " + comment)
            for k in range(0, len(toks), 16):
                lines.append(" ".join(toks[k:k + 16]))
        off += len(d)
    lines.append("")
    lines.append("# end of file: %d bytes" % off)
    return "\n".join(lines) + "\n"


def parse_hex(text):
    """Our own decoder of the annotated hex syntax (same grammar as the runner's)."""
    out = bytearray()
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        for tok in line.split():
            byte, _, rep = tok.partition("*")
            n = int(rep, 10) if rep else 1
            assert len(byte) == 2 and n >= 1, tok
            out += bytes([int(byte, 16)]) * n
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# The model, from spec sections 2-6 and 8.3.
# ---------------------------------------------------------------------------------------------
DTYPE_F32 = 0

HP = dict(vocab_size=259, dim=32, hidden_dim=32, n_layers=1, n_heads=2, n_kv_heads=1, max_seq_len=16,
          norm_eps=1e-5, rope_theta=10000.0)


def required_tensors(hp, untied=False):
    """Section 8.3: names and shapes in canonical directory order."""
    dim, hid, vocab = hp["dim"], hp["hidden_dim"], hp["vocab_size"]
    kv_dim = dim // hp["n_heads"] * hp["n_kv_heads"]
    t = [("tok_embeddings.weight", [vocab, dim])]
    for l in range(hp["n_layers"]):
        p = "layers.%d." % l
        t += [(p + "attention_norm.weight", [dim]),
              (p + "attention.wq.weight", [dim, dim]),
              (p + "attention.wk.weight", [kv_dim, dim]),
              (p + "attention.wv.weight", [kv_dim, dim]),
              (p + "attention.wo.weight", [dim, dim]),
              (p + "ffn_norm.weight", [dim]),
              (p + "feed_forward.w1.weight", [hid, dim]),
              (p + "feed_forward.w2.weight", [dim, hid]),
              (p + "feed_forward.w3.weight", [hid, dim])]
    t.append(("norm.weight", [dim]))
    if untied:
        t.append(("output.weight", [vocab, dim]))
    return t


def is_norm(name):
    return name.endswith("attention_norm.weight") or name.endswith("ffn_norm.weight") or name == "norm.weight"


def build_valid():
    hp = HP
    tensors = []
    for name, shape in required_tensors(hp):
        n = 1
        for d in shape:
            n *= d
        # every matrix f32 all-zero, norm weights f32 1.0
        data = F32(1.0) * n if is_norm(name) else bytes(4 * n)
        tensors.append(dict(name=name, shape=shape, n=n, data=data))

    # tokenizer section (section 5, BYTE): kind, flags, n_pieces, bos_id, eos_id, reserved
    tok = [("kind", 1, "BYTE"), ("flags", 0, "add_dummy_prefix off"), ("n_pieces", 259, ""),
           ("bos_id", 1, "<s>"), ("eos_id", 2, "</s>"), ("reserved", 0, "")]
    L = 24
    T = 256
    D = align64(T + L)
    N = len(tensors)
    data_offset = D + 128 * N
    rel = 0
    for t in tensors:
        t["offset"] = rel
        t["byte_size"] = 4 * t["n"]
        t["pad"] = align64(rel + t["byte_size"]) - (rel + t["byte_size"])
        rel = align64(rel + t["byte_size"])
    data_length = rel
    file_length = data_offset + data_length
    parameter_count = sum(t["n"] for t in tensors)

    f = File()
    f.head("==== header [0, 256) (spec section 3) ====")
    f.add("hdr.magic", b"SLM1", "magic", "ascii", "(SLM-HDR-001)")
    f.add("hdr.version", U32(1), "version", "u32", "(SLM-HDR-002)")
    f.add("hdr.header_length", U32(256), "header_length", "u32", "(SLM-HDR-004)")
    f.add("hdr.flags", U32(0), "flags", "u32", "(bit 0 untied_output = 0: tied output; SLM-HDR-007)")
    f.add("hdr.file_length", U64(file_length), "file_length", "u64", "(SLM-LIM-001, SLM-HDR-005/006)")
    f.add("hdr.checksum", U64(0), "checksum", "hash", "(XXH64 of the file with [24,32) as zero; SLM-CHK-001)")
    f.add("hdr.content_digest", bytes(32), "content_digest", "digest",
          "(SHA-256 of the file with [24,64) as zero; SLM-DIG-001)")
    for name in ("vocab_size", "dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "max_seq_len"):
        f.add("hdr." + name, U32(hp[name]), name, "u32")
    f.add("hdr.norm_eps", F32(hp["norm_eps"]), "norm_eps", "f32")
    f.add("hdr.rope_theta", F32(hp["rope_theta"]), "rope_theta", "f32")
    f.add("hdr.reserved100", U32(0), "reserved [100,104)", "u32", "(SLM-HDR-008)")
    f.add("hdr.parameter_count", U64(parameter_count), "parameter_count", "u64", "(sum of element counts; SLM-ID-001)")
    f.add("hdr.tensor_count", U32(N), "tensor_count", "u32", "(SLM-LIM-003, SLM-MOD-001: 2 + 9*n_layers)")
    f.add("hdr.reserved116", U32(0), "reserved [116,120)", "u32", "(SLM-HDR-008)")
    f.add("hdr.layout_checksum", U64(0), "layout_checksum", "hash", "(XXH64 of the directory; SLM-ID-002)")
    f.add("hdr.tokenizer_checksum", U64(0), "tokenizer_checksum", "hash",
          "(XXH64 of the tokenizer section, padding excluded; SLM-ID-003)")
    f.head("---- section table [136, 184) (spec section 4) ----")
    f.add("sec.tokenizer_offset", U64(T), "tokenizer_offset", "u64", "(= 256, 14a)")
    f.add("sec.tokenizer_length", U64(L), "tokenizer_length", "u64", "(L)")
    f.add("sec.directory_offset", U64(D), "directory_offset", "u64", "(= align64(256 + L), 14b)")
    f.add("sec.directory_length", U64(128 * N), "directory_length", "u64", "(= 128 * tensor_count, 14c)")
    f.add("sec.data_offset", U64(data_offset), "data_offset", "u64", "(= directory_offset + directory_length, 14d)")
    f.add("sec.data_length", U64(data_length), "data_length", "u64", "(= file_length - data_offset, 14e)")
    f.add("hdr.reserved184", bytes(72), "reserved [184,256)", "zeros", "(SLM-HDR-008)")

    f.head("==== tokenizer section [%d, %d): BYTE, %d bytes (spec section 5) ====" % (T, T + L, L))
    for name, v, note in tok:
        f.add("tok." + name, U32(v), name, "u32", note)
    f.head("==== padding after the tokenizer section: [%d, %d) (spec 7.3 range 1, SLM-PAD-001) ====" % (T + L, D))
    f.add("pad.tok", bytes(D - T - L), "padding", "pad")

    f.head("==== tensor directory [%d, %d): %d entries x 128 bytes (spec section 6.1) ====" % (D, D + 128 * N, N))
    for i, t in enumerate(tensors):
        E = D + 128 * i
        dims = t["shape"] + [0] * (4 - len(t["shape"]))
        f.head("-- entry %d at E = %d: %s f32 %s" % (i, E, t["name"], t["shape"]))
        nm = t["name"].encode("ascii")
        f.add("dir.%d.name_length" % i, U16(len(nm)), "name_length", "u16")
        f.add("dir.%d.name" % i, nm + bytes(62 - len(nm)), "name", "name")
        f.add("dir.%d.dtype" % i, U32(DTYPE_F32), "dtype", "u32", "(f32)")
        f.add("dir.%d.rank" % i, U32(len(t["shape"])), "rank", "u32")
        for r in range(4):
            f.add("dir.%d.dims%d" % (i, r), U64(dims[r]), "dims[%d]" % r, "u64")
        f.add("dir.%d.offset" % i, U64(t["offset"]), "offset", "u64",
              "(relative to data_offset; absolute %d)" % (data_offset + t["offset"]))
        f.add("dir.%d.byte_size" % i, U64(t["byte_size"]), "byte_size", "u64", "(= 4 * %d)" % t["n"])
        f.add("dir.%d.reserved" % i, U64(0), "reserved", "u64")

    f.head("==== data section [%d, %d): %d bytes (spec section 2) ====" % (data_offset, file_length, data_length))
    for i, t in enumerate(tensors):
        f.head("-- tensor %d: %s, dtype f32, shape %s, offset %d (absolute %d), %d bytes%s" % (
            i, t["name"], t["shape"], t["offset"], data_offset + t["offset"], t["byte_size"],
            ", all 1.0" if is_norm(t["name"]) else ", all 0.0"))
        f.add("data.%d" % i, t["data"], t["name"], "data")
        if t["pad"]:
            f.add("pad.data.%d" % i, bytes(t["pad"]), "padding", "pad")

    seal_layout(f)
    seal_tokenizer(f)
    seal_digest(f)
    seal_checksum(f)
    assert len(f.bytes()) == file_length
    f.meta = dict(tensors=tensors, T=T, L=L, D=D, N=N, data_offset=data_offset, data_length=data_length,
                  file_length=file_length, parameter_count=parameter_count)
    return f


def u64_of(f, key):
    return struct.unpack("<Q", f.field(key).data)[0]


# Re-sealing (spec section 2 "Writing" steps 3-5, section 7.2, section 8.4)
def seal_layout(f):
    b = f.bytes()
    off, length = u64_of(f, "sec.directory_offset"), u64_of(f, "sec.directory_length")
    f.set("hdr.layout_checksum", U64(xxh64(b[off:off + length])))


def seal_tokenizer(f):
    b = f.bytes()
    off, length = u64_of(f, "sec.tokenizer_offset"), u64_of(f, "sec.tokenizer_length")
    f.set("hdr.tokenizer_checksum", U64(xxh64(b[off:off + length])))


def content_digest(b):
    return hashlib.sha256(b[:24] + bytes(40) + b[64:]).digest()


def file_checksum(b):
    return xxh64(b[:24] + bytes(8) + b[32:])


def seal_digest(f):
    f.set("hdr.content_digest", content_digest(f.bytes()))


def seal_checksum(f):
    f.set("hdr.checksum", U64(file_checksum(f.bytes())))


def reseal(f):
    """Section 12: 'edited field by field from a valid file, then re-sealed: digest, then checksum'."""
    seal_digest(f)
    seal_checksum(f)


def truncate(f, nbytes):
    """Keep only the first nbytes (must end on a field boundary)."""
    off = 0
    keep = []
    for it in f.items:
        if isinstance(it, Field):
            if off >= nbytes:
                break
            off += len(it.data)
        keep.append(it)
    assert off == nbytes, off
    while keep and isinstance(keep[-1], Heading):
        keep.pop()
    f.items = keep


# ---------------------------------------------------------------------------------------------
# Variants.  Each returns (File, expected dict).  The expectation is the hand derivation from the
# check order of spec section 7.1; see the comment in each function.
# ---------------------------------------------------------------------------------------------
def v_valid():
    f = build_valid()
    return f, dict(
        description="hand-made minimal valid model: BYTE tokenizer, vocab 259, dim 32, hidden_dim 32, 1 layer, "
                    "2 heads, 1 kv head, tied output, all f32 (zero matrices, norms 1.0)",
        outcome="accept", tags=["valid"])


def v_bad_magic():
    # Check 1 (SLM-HDR-001): "for some i < min(size, 4), byte i != "SLM1"[i]"; offset: first such i.
    # "SLm1": bytes 0, 1 match, byte 2 is 'm' (0x6d) instead of 'M' (0x4d) -> offset 2.
    f = build_valid()
    f.set("hdr.magic", b"SLm1")
    f.field("hdr.magic").fault = "SLM-HDR-001 magic must be 53 4c 4d 31; byte 2 is 6d ('m'), not 4d ('M')"
    reseal(f)
    return f, dict(description="magic 'SLm1': first mismatching magic byte is at offset 2 (full-size, re-sealed file)",
                   code="E_HDR_MAGIC", rule="SLM-HDR-001", phase="DECODE", offset=2)


def v_tensor_count_bomb():
    # 256-byte file, file_length = 256 (so checks 6 and 7 pass), tensor_count = 2^32 - 1.
    # Checks 1-5 pass; 6/7 pass (size = file_length = 256); 8 flags 0; 9 reserved zero; 10 hparams
    # within limits; 11 (SLM-LIM-003) tensor_count > 16384 -> E_LIMIT_TENSOR_COUNT at 112, before the
    # section table (checks 13/14, which would fail: the sections lie past file_length) is looked at.
    f = build_valid()
    truncate(f, 256)
    f.set("hdr.file_length", U64(256))
    f.field("hdr.file_length").note = "(= size; the section table below still describes the full model)"
    f.field("sec.tokenizer_offset").note += " (section table not reached: check 11 fails first)"
    f.set("hdr.tensor_count", U32(0xFFFFFFFF))
    f.field("hdr.tensor_count").fault = ("SLM-LIM-003 tensor_count must be <= 16384 (check 11, before the "
                                         "section table checks 13-14 and before any directory read)")
    reseal(f)
    return f, dict(description="header-only 256-byte file (file_length 256) declaring 4294967295 tensors: "
                               "the tensor-count limit (check 11) fires before any section or directory is read",
                   code="E_LIMIT_TENSOR_COUNT", rule="SLM-LIM-003", phase="LIMIT", offset=112)


def v_size_bomb_truncated():
    # The same bomb, but file_length still declares the full model (59840 bytes).  Check 6
    # (SLM-HDR-005) "size < file_length" comes before check 11, so the answer is E_FILE_TRUNCATED
    # with offset = size = 256 ("Offset: size (the first missing byte)").
    f = build_valid()
    truncate(f, 256)
    f.field("hdr.file_length").fault = ("SLM-HDR-005 the file (256 bytes) is shorter than file_length; check 6 "
                                        "precedes the tensor_count limit (check 11); offset = size = 256")
    f.set("hdr.tensor_count", U32(0xFFFFFFFF))
    f.field("hdr.tensor_count").note = "(over the limit too, but check 11 comes after check 6)"
    reseal(f)
    return f, dict(description="header-only 256-byte file declaring 4294967295 tensors and the full file_length "
                               "59840: truncation (check 6) is reported before the tensor-count limit (check 11)",
                   code="E_FILE_TRUNCATED", rule="SLM-HDR-005", phase="DECODE", offset=256, tags=["order"])


def v_overlap():
    # Entry 2 (layers.0.attention.wq.weight, 4096 bytes) moved to offset 33152, where entry 1
    # (attention_norm, [33152, 33280)) lies.  Entry 2: check 30 (33152 mod 64 = 0) passes, check 31
    # (33152 + 4096 <= 58112) passes, check 32: offset 33152 < P = 33280 -> E_TENSOR_OVERLAP at
    # E + 104 with E = 320 + 128*2 = 576, i.e. 680.  layout_checksum is re-derived (the directory
    # changed), then digest, then checksum, so only SLM-DIR-011 (and its consequences) is violated.
    f = build_valid()
    f.set("dir.2.offset", U64(33152))
    f.field("dir.2.offset").note = "(absolute %d; entry 1 occupies [33152, 33280))" % (1728 + 33152)
    f.field("dir.2.offset").fault = ("SLM-DIR-011 offset 33152 < P = 33280, the end of entry 1's tensor "
                                     "(check 32, offset E+104 = 680)")
    seal_layout(f)
    reseal(f)
    return f, dict(description="entry 2 (attention.wq) placed at offset 33152, on top of entry 1 (attention_norm, "
                               "[33152, 33280)); layout_checksum, digest and checksum re-sealed",
                   code="E_TENSOR_OVERLAP", rule="SLM-DIR-011", phase="DECODE", offset=680)


def _split_tok_padding(f, values):
    """Replace the tokenizer padding field by zero runs and single bytes {absolute pos: value}."""
    start = f.offset("pad.tok")
    old = f.field("pad.tok")
    idx = f.items.index(old)
    new, bad, run = [], [], 0
    for k in range(len(old.data)):
        pos = start + k
        if pos in values:
            if run:
                new.append(Field("pad.tok.%d" % len(new), bytes(run), "padding", "pad"))
                run = 0
            fld = Field("pad.tok.bad%d" % pos, bytes([values[pos]]), "padding byte", "raw")
            new.append(fld)
            bad.append(fld)
        else:
            run += 1
    if run:
        new.append(Field("pad.tok.%d" % len(new), bytes(run), "padding", "pad"))
    f.items[idx:idx + 1] = new
    return bad


def v_nonzero_padding():
    # Padding range 1 of section 7.3 is [256 + 24, 320) = [280, 320).  Byte 319 (the last one, right
    # before the directory) set to 0x80.  Everything in checks 1-34 only reads the header, the
    # tokenizer section [256, 280) and the directory [320, 1728): they pass.  Check 35 (SLM-PAD-001):
    # E_LAYOUT_PADDING, offset = the lowest non-zero padding byte = 319.  The tokenizer_checksum does
    # not cover the padding (section 8.4 "excluding the padding after it"), so it stays valid;
    # digest and checksum are re-sealed.
    f = build_valid()
    (bad,) = _split_tok_padding(f, {319: 0x80})
    bad.fault = "SLM-PAD-001 padding byte 319 (last byte before the directory) is 0x80, must be 0 (check 35)"
    reseal(f)
    return f, dict(description="last padding byte after the tokenizer section (offset 319, just before the "
                               "directory) is 0x80; digest and checksum re-sealed",
                   code="E_LAYOUT_PADDING", rule="SLM-PAD-001", phase="DECODE", offset=319)


def v_padding_before_checksum():
    # Same byte, but NOT re-sealed: the checksum is now wrong too.  Section 7.1.4: "Check 35 is
    # decided for the whole file before check 36: a file with a non-zero padding byte is
    # E_LAYOUT_PADDING even if its checksum is also wrong."  Deliberately two faults (order test).
    f = build_valid()
    (bad,) = _split_tok_padding(f, {319: 0x80})
    bad.fault = ("SLM-PAD-001 padding byte 319 is 0x80 (check 35); file NOT re-sealed, so the checksum "
                 "(check 36) is wrong as well; check 35 is decided first")
    f.field("hdr.checksum").note += " (stale: not re-sealed on purpose)"
    return f, dict(description="non-zero padding byte 319 in a file that was NOT re-sealed: padding (check 35) "
                               "is reported before the wrong checksum (check 36)",
                   code="E_LAYOUT_PADDING", rule="SLM-PAD-001", phase="DECODE", offset=319, tags=["order"])


def v_tokenizer_checksum():
    # tokenizer_checksum with its lowest bit flipped; digest and checksum re-sealed.  Checks 1-48 pass,
    # check 49 (SLM-ID-003) fails -> E_ID_TOKENIZER_CHECKSUM at 128.
    f = build_valid()
    v = u64_of(f, "hdr.tokenizer_checksum") ^ 1
    f.set("hdr.tokenizer_checksum", U64(v))
    f.field("hdr.tokenizer_checksum").fault = ("SLM-ID-003 must be XXH64 of the 24 tokenizer bytes = "
                                               "0xe64e39eb71746317; lowest bit flipped (check 49)")
    reseal(f)
    return f, dict(description="tokenizer_checksum with its lowest bit flipped (0xe64e39eb71746316); digest and "
                               "checksum re-sealed",
                   code="E_ID_TOKENIZER_CHECKSUM", rule="SLM-ID-003", phase="VALIDATE", offset=128)


def v_future_version():
    # An 8-byte file "SLM1" + version 2.  Check 1 passes (the 4 bytes match); check 2 applies because
    # size >= 8: version != 1 -> E_HDR_VERSION at 4, before check 3 (size < 256).  There is no checksum
    # field in an 8-byte file, so there is nothing to re-seal.
    f = File()
    f.head("==== an 8-byte file: magic and version only (spec section 3, checks 1-3) ====")
    f.add("hdr.magic", b"SLM1", "magic", "ascii", "(SLM-HDR-001)")
    f.add("hdr.version", U32(2), "version", "u32")
    f.field("hdr.version").fault = ("SLM-HDR-002 version must be 1; check 2 applies since size >= 8 and runs "
                                    "before check 3 (size < 256)")
    return f, dict(description="8-byte file: magic SLM1 and version 2; the version check (2) comes before the "
                               "header-truncation check (3)",
                   code="E_HDR_VERSION", rule="SLM-HDR-002", phase="DECODE", offset=4, tags=["order"])


def v_bad_checksum():
    # The fault IS the checksum: digest correct, checksum + 1.  Checks 1-35 pass, check 36 fails.
    f = build_valid()
    v = (u64_of(f, "hdr.checksum") + 1) & M64
    f.set("hdr.checksum", U64(v))
    f.field("hdr.checksum").fault = "SLM-CHK-001 stored checksum is the correct XXH64 + 1 (check 36)"
    return f, dict(description="file checksum off by one (correct XXH64 + 1); content digest correct",
                   code="E_FILE_CHECKSUM", rule="SLM-CHK-001", phase="DECODE", offset=24)


def v_content_digest():
    # Digest byte 0 (offset 32) XOR 0xff, then the checksum re-sealed (it covers the digest).
    # Default validation would accept (check 50 is full validation only); full validation ->
    # E_ID_DIGEST at 32.  Section 12: "only cases that target SLM-DIG-001 need full validation".
    f = build_valid()
    d = bytearray(f.field("hdr.content_digest").data)
    d[0] ^= 0xFF
    f.set("hdr.content_digest", bytes(d))
    f.field("hdr.content_digest").fault = ("SLM-DIG-001 first digest byte inverted (check 50, full validation "
                                           "only); checksum re-sealed over it")
    seal_checksum(f)
    return f, dict(description="content_digest with its first byte inverted, checksum re-sealed: rejected only by "
                               "full validation (check 50)",
                   code="E_ID_DIGEST", rule="SLM-DIG-001", phase="VALIDATE", offset=32, verify_digest=True)


def _header_only(hp_file_length):
    f = build_valid()
    truncate(f, 256)
    f.set("hdr.file_length", U64(hp_file_length))
    return f


def v_eps_subnormal():
    # Section 8.1 condition 5: "norm_eps is finite and > 0 (NaN, +-inf, +-0 and negative values fail;
    # positive subnormals pass)".  norm_eps = f32 bits 0x00000001 (2^-149): valid.
    f = build_valid()
    f.set("hdr.norm_eps", U32(1))
    f.field("hdr.norm_eps").note = "(smallest positive subnormal: 'positive subnormals pass', spec 8.1)"
    reseal(f)
    return f, dict(description="valid model whose norm_eps is the smallest positive subnormal f32 (bits 00000001): "
                               "'positive subnormals pass' (spec 8.1 condition 5)",
                   outcome="accept", tags=["valid", "edge"], rules=["SLM-HPA-001"])


def v_eps_negative_zero():
    # Check 37 condition 5: "+-0 ... fail"; offset 92.  Conditions 1-4 pass.  Checks 1-36 pass (re-sealed).
    f = build_valid()
    f.set("hdr.norm_eps", U32(0x80000000))
    f.field("hdr.norm_eps").fault = "SLM-HPA-001 norm_eps must be finite and > 0; -0.0 fails (check 37, condition 5)"
    reseal(f)
    return f, dict(description="norm_eps = -0.0 (f32 bits 80000000): not > 0",
                   code="E_HPARAM_INVALID", rule="SLM-HPA-001", phase="VALIDATE", offset=92, tags=["edge"])


def v_gap():
    # Entry 6 (ffn_norm) moved from 45568 to 45632.  Check 30: 45632 = 713*64 passes; 31: 45632 + 128
    # <= 58112 passes; 32: P = 41472 + 4096 = 45568 <= 45632 passes; 33: align64(P) = 45568 != 45632
    # -> E_TENSOR_GAP at E + 104 = 1088 + 104 = 1192.
    f = build_valid()
    f.set("dir.6.offset", U64(45632))
    f.field("dir.6.offset").fault = "SLM-DIR-012 must be align64(P) = 45568; 64-byte gap after entry 5 (check 33)"
    seal_layout(f)
    reseal(f)
    return f, dict(description="entry 6 (ffn_norm) at offset 45632 instead of align64(P) = 45568: a 64-byte gap",
                   code="E_TENSOR_GAP", rule="SLM-DIR-012", phase="DECODE", offset=1192)


def v_data_length_extra_block():
    # 64 extra zero bytes appended, file_length and data_length both grown by 64, so checks 5-7, 13 and
    # 14e still hold (data_offset + data_length = file_length).  All entries pass 21-33 (they end
    # before data_length).  Check 34: data_length 58176 != align64(P_last) = 58112 -> E_DATA_LENGTH
    # at 176.
    f = build_valid()
    f.set("hdr.file_length", U64(59840 + 64))
    f.field("hdr.file_length").note = "(= size, 64 more than the canonical 59840)"
    f.set("sec.data_length", U64(58112 + 64))
    f.field("sec.data_length").fault = ("SLM-DIR-013 must be align64(P_last) = 58112 (check 34); 14e still holds "
                                        "since file_length grew by 64 too")
    f.head("-- 64 extra bytes after the last tensor (inside data_length, not covered by any tensor)")
    f.add("extra", bytes(64), "extra data bytes", "zeros")
    reseal(f)
    return f, dict(description="data_length and file_length 64 bytes larger than align64(end of last tensor), "
                               "64 zero bytes appended",
                   code="E_DATA_LENGTH", rule="SLM-DIR-013", phase="DECODE", offset=176)


def v_name_tail_nonzero():
    # Entry 3 (wk, name_length 28): last byte of the 62-byte name field (k = 61) set to 'x'.
    # Check 21: k >= name_length and byte k != 0 -> E_TENSOR_NAME at E + 2 + 61 = 704 + 63 = 767.
    f = build_valid()
    nm = bytearray(f.field("dir.3.name").data)
    nm[61] = ord("x")
    f.set("dir.3.name", bytes(nm))
    f.field("dir.3.name").fault = ("SLM-DIR-001 bytes after name_length must be zero; byte k = 61 (offset "
                                   "E+2+61 = 767) is 'x' (check 21)")
    seal_layout(f)
    reseal(f)
    return f, dict(description="entry 3's name field has a non-zero byte ('x') in its last position k = 61, "
                               "after the 28-byte name",
                   code="E_TENSOR_NAME", rule="SLM-DIR-001", phase="DECODE", offset=767)


def v_range_overflow():
    # Entry 2 offset = 2^64 - 64 (a multiple of 64, so check 30 passes).  Check 31: offset + byte_size
    # = 2^64 + 4032 overflows -> E_TENSOR_RANGE at 680.  (Wrapping arithmetic would give 4032 <=
    # data_length and then E_TENSOR_GAP at check 33.)
    f = build_valid()
    f.set("dir.2.offset", U64(0xFFFFFFFFFFFFFFC0))
    f.field("dir.2.offset").fault = ("SLM-DIR-010 offset + byte_size = 2^64 + 4032 overflows (check 31; "
                                     "multiple of 64, so check 30 passes)")
    seal_layout(f)
    reseal(f)
    return f, dict(description="entry 2 at offset 2^64 - 64: offset + byte_size overflows u64",
                   code="E_TENSOR_RANGE", rule="SLM-DIR-010", phase="DECODE", offset=680, tags=["edge"])


def v_tensor_size_overflow():
    # Entry 1 (attention_norm) made rank 2 with dims [2^32, 2^32]: the product 2^64 overflows (it would
    # wrap to 0 in u64).  Checks 23-25 pass; check 26 -> E_LIMIT_TENSOR_SIZE at E + 72 = 520.
    f = build_valid()
    f.set("dir.1.rank", U32(2))
    f.field("dir.1.rank").note = "(was 1; check 24 passes)"
    f.set("dir.1.dims0", U64(1 << 32))
    f.set("dir.1.dims1", U64(1 << 32))
    f.field("dir.1.dims0").fault = ("SLM-LIM-006 dims[0]*dims[1] = 2^64 overflows (wraps to 0 in u64); "
                                    "check 26, offset always E+72")
    seal_layout(f)
    reseal(f)
    return f, dict(description="entry 1 with shape [2^32, 2^32]: the element count 2^64 overflows u64 (wraps to 0)",
                   code="E_LIMIT_TENSOR_SIZE", rule="SLM-LIM-006", phase="LIMIT", offset=520, tags=["edge"])


def v_tensor_size_over_limit_late():
    # Entry 1 shape [2, 2^40]: exact product 2^41 > 2^40, no u64 overflow.  The limit is crossed only
    # when dims[1] is multiplied in, but check 26's offset is "E + 72, always (dims[0])" -> 520.
    f = build_valid()
    f.set("dir.1.rank", U32(2))
    f.field("dir.1.rank").note = "(was 1; check 24 passes)"
    f.set("dir.1.dims0", U64(2))
    f.set("dir.1.dims1", U64(1 << 40))
    f.field("dir.1.dims0").fault = ("SLM-LIM-006 2 * 2^40 = 2^41 > 2^40 elements; the offset of check 26 is "
                                    "E+72 'always (dims[0])', even though dims[1] crosses the limit")
    seal_layout(f)
    reseal(f)
    return f, dict(description="entry 1 with shape [2, 2^40]: 2^41 elements, over the limit without overflow; "
                               "the limit is crossed at dims[1] but the offset is always dims[0]'s",
                   code="E_LIMIT_TENSOR_SIZE", rule="SLM-LIM-006", phase="LIMIT", offset=520, tags=["edge"])


def v_tensor_size_at_limit():
    # Entry 1 shape [2^40] (the limit is inclusive, spec 9: "a value equal to the limit is allowed"),
    # byte_size = 4 * 2^40 = 2^42 (so check 28 passes).  Check 26 passes; 29, 30 pass; check 31:
    # 33152 + 2^42 > data_length -> E_TENSOR_RANGE at E + 104 = 552.
    f = build_valid()
    f.set("dir.1.dims0", U64(1 << 40))
    f.field("dir.1.dims0").note = "(= 2^40, exactly the limit: allowed by check 26)"
    f.set("dir.1.byte_size", U64(1 << 42))
    f.field("dir.1.byte_size").note = "(= 4 * 2^40, consistent: check 28 passes)"
    f.field("dir.1.offset").fault = ("SLM-DIR-010 offset + byte_size = 33152 + 2^42 > data_length 58112 "
                                     "(check 31; the element count 2^40 itself is within the inclusive limit)")
    seal_layout(f)
    reseal(f)
    return f, dict(description="entry 1 with exactly 2^40 elements (inclusive limit) and a matching byte_size: "
                               "passes the size limit, fails the data-section range",
                   code="E_TENSOR_RANGE", rule="SLM-DIR-010", phase="DECODE", offset=552, tags=["edge"])


def _tiny(data_fields, title):
    f = File()
    f.head(title)
    for key, data, label, kind, note in data_fields:
        f.add(key, data, label, kind, note)
    return f


def v_empty():
    # Check 1 compares min(0, 4) = 0 bytes: passes.  Check 2 needs size >= 8.  Check 3: size 0 < 256
    # -> E_HDR_TRUNCATED, offset size = 0.  (SLM-HDR-001: "including the empty file ... fails check 3".)
    f = File()
    f.head("==== the empty file: no bytes at all ====")
    return f, dict(description="empty file: passes the magic check vacuously, fails the header-length check",
                   code="E_HDR_TRUNCATED", rule="SLM-HDR-003", phase="DECODE", offset=0, tags=["edge"])


def v_magic_prefix():
    # 3 bytes "SLM": a prefix of the magic, so check 1 passes; check 3 -> E_HDR_TRUNCATED at size = 3.
    f = _tiny([("hdr.magic", b"SLM", "magic (first 3 bytes)", "ascii", "")],
              "==== a 3-byte file: a prefix of the magic ====")
    f.field("hdr.magic").fault = "SLM-HDR-003 file shorter than 256 bytes; a magic prefix passes check 1; offset = size = 3"
    return f, dict(description="3-byte file 'SLM', a prefix of the magic: truncated header, offset = size = 3",
                   code="E_HDR_TRUNCATED", rule="SLM-HDR-003", phase="DECODE", offset=3, tags=["edge"])


def v_version_7_bytes():
    # 7 bytes "SLM1" 02 00 00: check 2 applies only when size >= 8, so the partial version is not
    # judged; check 3 -> E_HDR_TRUNCATED at size = 7.
    f = _tiny([("hdr.magic", b"SLM1", "magic", "ascii", ""),
               ("hdr.version", b"\x02\x00\x00", "version (first 3 of 4 bytes)", "raw", "")],
              "==== a 7-byte file: magic and 3 bytes of a version 2 ====")
    f.field("hdr.version").fault = ("SLM-HDR-003 size 7 < 8, so check 2 does not apply; check 3 fails, "
                                    "offset = size = 7")
    return f, dict(description="7-byte file: magic then 3 of the 4 bytes of version 2; too short for the version "
                               "check, so a truncated header at offset 7",
                   code="E_HDR_TRUNCATED", rule="SLM-HDR-003", phase="DECODE", offset=7, tags=["edge", "order"])


def v_magic_short_mismatch():
    # 2 bytes "SX": check 1 compares i < min(2, 4): byte 1 'X' != 'L' -> E_HDR_MAGIC at 1, before
    # check 3 ("a truncated file with a wrong magic is E_HDR_MAGIC").
    f = _tiny([("hdr.magic", b"SX", "magic (2 bytes)", "ascii", "")], "==== a 2-byte file ====")
    f.field("hdr.magic").fault = "SLM-HDR-001 byte 1 is 'X', not 'L'; check 1 precedes check 3"
    return f, dict(description="2-byte file 'SX': wrong magic wins over the truncated header",
                   code="E_HDR_MAGIC", rule="SLM-HDR-001", phase="DECODE", offset=1, tags=["edge", "order"])


def v_file_length_over_limit():
    # 256-byte header with file_length = 2^48 + 1: check 5 (> 2^48) precedes check 6 (size < file_length).
    f = _header_only((1 << 48) + 1)
    f.field("hdr.file_length").fault = ("SLM-LIM-001 file_length 2^48 + 1 > 2^48 (check 5, before the "
                                        "truncation check 6)")
    reseal(f)
    return f, dict(description="header-only file declaring file_length 2^48 + 1: the limit (check 5) is reported "
                               "before the truncation (check 6)",
                   code="E_LIMIT_FILE_SIZE", rule="SLM-LIM-001", phase="LIMIT", offset=16, tags=["edge", "order"])


def v_file_length_at_limit():
    # file_length = 2^48 exactly: the limit is inclusive, check 5 passes; check 6: size 256 < 2^48
    # -> E_FILE_TRUNCATED at size = 256.
    f = _header_only(1 << 48)
    f.field("hdr.file_length").fault = ("SLM-HDR-005 file_length = 2^48 is allowed by check 5 (inclusive), but "
                                        "the file has only 256 bytes (check 6, offset = size)")
    reseal(f)
    return f, dict(description="header-only file declaring file_length exactly 2^48: within the inclusive limit, "
                               "so truncation at offset 256",
                   code="E_FILE_TRUNCATED", rule="SLM-HDR-005", phase="DECODE", offset=256, tags=["edge"])


def v_untied_flag():
    # flags bit 0 set (untied_output) but only 11 tensors: check 8 passes (only bit 0), checks 37-42
    # pass, check 43: tensor_count 11 != 2 + 9*1 + 1 = 12 -> E_MODEL_TENSOR_COUNT at 112.
    f = build_valid()
    f.set("hdr.flags", U32(1))
    f.field("hdr.flags").fault = ("SLM-MOD-001 untied_output set, so tensor_count must be 2 + 9 + 1 = 12, "
                                  "but the directory has 11 (check 43, offset 112)")
    reseal(f)
    return f, dict(description="flags bit 0 (untied_output) set without an output.weight tensor",
                   code="E_MODEL_TENSOR_COUNT", rule="SLM-MOD-001", phase="VALIDATE", offset=112)


def v_param_count():
    f = build_valid()
    f.set("hdr.parameter_count", U64(14528 + 1))
    f.field("hdr.parameter_count").fault = "SLM-ID-001 must be the sum of element counts, 14528 (check 47)"
    reseal(f)
    return f, dict(description="parameter_count one too large (14529 instead of 14528)",
                   code="E_ID_PARAM_COUNT", rule="SLM-ID-001", phase="VALIDATE", offset=104)


def v_layout_checksum():
    f = build_valid()
    f.set("hdr.layout_checksum", U64(u64_of(f, "hdr.layout_checksum") ^ (1 << 63)))
    f.field("hdr.layout_checksum").fault = "SLM-ID-002 must be XXH64 of the 1408 directory bytes; top bit flipped (check 48)"
    reseal(f)
    return f, dict(description="layout_checksum with its top bit flipped; digest and checksum re-sealed",
                   code="E_ID_LAYOUT_CHECKSUM", rule="SLM-ID-002", phase="VALIDATE", offset=120)


def v_padding_lowest():
    # Two non-zero padding bytes, 280 (the first padding byte, right after the tokenizer section) and
    # 300: "Offset: the first (lowest-offset) non-zero padding byte" -> 280.
    f = build_valid()
    bad = _split_tok_padding(f, {280: 0x01, 300: 0xFF})
    bad[0].fault = "SLM-PAD-001 first padding byte (right after the tokenizer section) is 0x01: the lowest one"
    bad[1].note = "(also non-zero, but higher)"
    reseal(f)
    return f, dict(description="padding bytes 280 (first after the tokenizer section) and 300 are non-zero: the "
                               "lowest, 280, is reported",
                   code="E_LAYOUT_PADDING", rule="SLM-PAD-001", phase="DECODE", offset=280, tags=["edge"])


def v_digest_default_mode():
    # The content-digest file, validated WITHOUT full validation: check 50 is not run, so it is valid
    # (L1: "accepts it iff it passes checks 1-49 (default validation)"), and L3 reports the identity
    # "as stored in the header" -- i.e. the stored (wrong) digest.
    f, _ = v_content_digest()
    f.field("hdr.content_digest").fault = None
    f.field("hdr.content_digest").note += ("  (first byte inverted: wrong, but default validation does not run "
                                           "check 50; the stored value is the reported identity)")
    return f, dict(description="wrong content_digest under default validation (no check 50): accepted, identity "
                               "reports the stored digest",
                   outcome="accept", verify_digest=False, tags=["valid", "edge"], rules=["SLM-DIG-001"])


VARIANTS = [
    ("valid", v_valid),
    ("bad-magic", v_bad_magic),
    ("tensor-count-bomb", v_tensor_count_bomb),
    ("size-bomb-truncated", v_size_bomb_truncated),
    ("overlap", v_overlap),
    ("nonzero-padding", v_nonzero_padding),
    ("padding-before-checksum", v_padding_before_checksum),
    ("tokenizer-checksum", v_tokenizer_checksum),
    ("future-version", v_future_version),
    ("bad-checksum", v_bad_checksum),
    ("content-digest", v_content_digest),
    ("digest-default-mode", v_digest_default_mode),
    ("eps-subnormal", v_eps_subnormal),
    ("eps-negative-zero", v_eps_negative_zero),
    ("gap", v_gap),
    ("data-length-extra-block", v_data_length_extra_block),
    ("name-tail-nonzero", v_name_tail_nonzero),
    ("range-overflow", v_range_overflow),
    ("tensor-size-overflow", v_tensor_size_overflow),
    ("tensor-size-over-limit-late", v_tensor_size_over_limit_late),
    ("tensor-size-at-limit", v_tensor_size_at_limit),
    ("empty", v_empty),
    ("magic-prefix", v_magic_prefix),
    ("version-7-bytes", v_version_7_bytes),
    ("magic-short-mismatch", v_magic_short_mismatch),
    ("file-length-over-limit", v_file_length_over_limit),
    ("file-length-at-limit", v_file_length_at_limit),
    ("untied-flag", v_untied_flag),
    ("param-count", v_param_count),
    ("layout-checksum", v_layout_checksum),
    ("padding-lowest", v_padding_lowest),
]


def expected_json(name, f, exp, data):
    case = {
        "id": "handmade/" + name,
        "spec_version": "1",
        "description": exp["description"],
        "op": "validate",
        "level": "L3",
        "input": {"hex": "model.hex", "sha256": hashlib.sha256(data).hexdigest()},
    }
    if exp.get("outcome") == "accept":
        case["options"] = {"verify_digest": bool(exp.get("verify_digest", True))}
        tensors = []
        for t in f.meta["tensors"]:
            tensors.append({"name": t["name"], "dtype": "f32", "shape": t["shape"],
                            "sha256": hashlib.sha256(t["data"]).hexdigest()})
        case["expect"] = {
            "outcome": "accept",
            "identity": {
                "parameter_count": u64_of(f, "hdr.parameter_count"),
                "tensor_count": struct.unpack("<I", f.field("hdr.tensor_count").data)[0],
                "flags": struct.unpack("<I", f.field("hdr.flags").data)[0],
                "layout_checksum": "%016x" % u64_of(f, "hdr.layout_checksum"),
                "tokenizer_checksum": "%016x" % u64_of(f, "hdr.tokenizer_checksum"),
                "content_digest": f.field("hdr.content_digest").data.hex(),
            },
            "tensors": tensors,
        }
        case["rules"] = exp.get("rules", ["SLM-ID-001", "SLM-ID-002", "SLM-ID-003", "SLM-DIG-001"])
        case["tags"] = ["handmade"] + exp.get("tags", ["valid"])
    else:
        case["options"] = {"verify_digest": bool(exp.get("verify_digest", False))}
        case["expect"] = {"outcome": "reject", "codes": [exp["code"]], "rule": exp["rule"],
                          "phase": exp["phase"], "offset": exp["offset"]}
        case["rules"] = [exp["rule"]]
        case["tags"] = ["handmade", "negative", "phase-" + exp["phase"]] + exp.get("tags", [])
    return json.dumps(case, indent=2) + "\n"


def main():
    self_test()
    # Sanity checks of the valid model against the spec's own arithmetic (section 2).
    v = build_valid()
    m = v.meta
    assert m["D"] == 320 and m["data_offset"] == 1728 and m["N"] == 11
    assert m["file_length"] == m["data_offset"] + m["data_length"]
    assert u64_of(v, "hdr.tokenizer_checksum") == 0xE64E39EB71746317  # same tokenizer as section 13.4

    for name, fn in VARIANTS:
        f, exp = fn()
        data = f.bytes()
        title = ("# handmade/%s: %s\n"
                 "# SLM1 annotated hex, written from spec/format.md by conformance/handmade/make_handmade.py\n"
                 "# (an independent Python implementation; do not edit by hand, regenerate instead).\n"
                 "# Syntax: whitespace-separated hex bytes, XX*N = N copies of XX, '#' to end of line = comment.\n"
                 "# Comments: @offset (hex) field = value.\n" % (name, exp["description"]))
        if exp.get("outcome") != "accept":
            title += "# Expected (spec 7.1 check order): %s, %s, offset %d.\n" % (exp["code"], exp["rule"], exp["offset"])
        text = render(f, title)
        assert parse_hex(text) == data, name
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "model.hex"), "w") as fh:
            fh.write(text)
        with open(os.path.join(d, "expected.json"), "w") as fh:
            fh.write(expected_json(name, f, exp, data))
        print("%-26s %6d bytes  %s" % ("handmade/" + name, len(data),
                                       "accept" if exp.get("outcome") == "accept" else
                                       "%s @%d" % (exp["code"], exp["offset"])))
    if len(sys.argv) > 1 and sys.argv[1] == "--decode":
        # python3 make_handmade.py --decode DIR : also write DIR/<name>.slm (for manual checks)
        outdir = sys.argv[2]
        os.makedirs(outdir, exist_ok=True)
        for name, _ in VARIANTS:
            with open(os.path.join(OUT, name, "model.hex")) as fh:
                data = parse_hex(fh.read())
            with open(os.path.join(outdir, name + ".slm"), "wb") as fh:
                fh.write(data)


if __name__ == "__main__":
    main()
