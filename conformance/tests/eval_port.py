"""Independent port of the SLM1 eval-set / policy / gate rules.

Written from spec/eval.md alone (plus spec/errors.def for the error codes), without reading any
C++ code or any other file of the repository, as a review of the specification.  Standard
library only (json, hashlib, struct, re).

Readings chosen where spec/eval.md is silent or ambiguous are marked "GUESS" below.
"""

import hashlib
import json
import re
import struct

__all__ = [
    "EvalError", "parse_set", "canonical_json", "f32_bits_hex", "resolve_case",
    "parse_policy", "gate", "kv_cache_bytes", "scratch_bytes",
]

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024  # GUESS: measured without the terminating "\n"
MAX_CASES = 10000

HEADER_KEYS = {"slm_eval", "name", "description", "defaults"}
PARAM_KEYS = {"max_tokens", "temperature", "top_k", "top_p", "seed", "stop", "match"}
CASE_KEYS = {"id", "prompt", "expected", "must_pass", "tags"} | PARAM_KEYS

PARAM_DEFAULTS = {
    "max_tokens": 32,
    "temperature": 0,
    "top_k": 0,
    "top_p": 1,
    "seed": 0,
    "stop": [],
    "match": "exact",
}

NAME_RE = re.compile(r"[a-z0-9._-]{1,64}\Z")
ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")


class EvalError(Exception):
    """A rejection: code of errors.def, 1-based line (0 for file-level), 0-based byte offset."""

    def __init__(self, code, line, offset, message):
        super().__init__("%s at line %d offset %d: %s" % (code, line, offset, message))
        self.code = code
        self.line = line
        self.offset = offset
        self.message = message


# --------------------------------------------------------------------------------------------
# Strict JSON reading
# --------------------------------------------------------------------------------------------

class FloatLit:
    """A JSON number literal with a fraction or exponent, kept as written (so it can be rounded
    directly to f32, and so that it is never mistaken for an integer)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return "FloatLit(%r)" % self.text


class _JsonFault(ValueError):
    pass


def _no_dup_pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:  # GUESS: duplicate member names make the line "not a JSON object" (check 3)
            raise _JsonFault("duplicate key %r" % k)
        obj[k] = v
    return obj


def _reject_constant(name):
    raise _JsonFault("non-JSON constant %s" % name)


def _check_unicode(v):
    # GUESS: a \uD800-style lone surrogate escape is not Unicode text -> not valid JSON (check 3)
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise _JsonFault("lone surrogate in string")
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_unicode(k)
            _check_unicode(x)
    elif isinstance(v, list):
        for x in v:
            _check_unicode(x)


def _loads_strict(text):
    """RFC 8259 JSON: no NaN/Infinity, no duplicate keys, no lone surrogates.  Raises _JsonFault."""
    try:
        v = json.loads(
            text,
            object_pairs_hook=_no_dup_pairs,
            parse_float=FloatLit,
            parse_constant=_reject_constant,
        )
    except _JsonFault:
        raise
    except (ValueError, RecursionError) as e:
        raise _JsonFault(str(e))
    _check_unicode(v)
    return v


# --------------------------------------------------------------------------------------------
# f32
# --------------------------------------------------------------------------------------------

def _round_f32_bits(num, den):
    """Bits of the f32 nearest (ties to even) to the positive rational num/den."""
    e = num.bit_length() - den.bit_length() - 24

    def scaled(e):
        return (num, den << e) if e >= 0 else (num << -e, den)

    while True:
        n, d = scaled(e)
        q = n // d
        if q >= 1 << 24:
            e += 1
        elif q < 1 << 23:
            e -= 1
        else:
            break
    if e < -149:
        e = -149
    n, d = scaled(e)
    q, r = divmod(n, d)
    if 2 * r > d or (2 * r == d and (q & 1)):
        q += 1
    if q == 1 << 24:
        q >>= 1
        e += 1
    if q >= 1 << 23:
        biased = e + 23 + 127
        if biased >= 255:
            return 0x7F800000
        return (biased << 23) | (q - (1 << 23))
    return q  # subnormal (e == -149) or zero


_NUM_RE = re.compile(r"(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?\Z")


def _literal_f32_bits(text):
    """Round a JSON number literal directly (once) to f32.
    GUESS: "read as f32" = correctly rounded decimal->f32 (strtof), not decimal->f64->f32."""
    m = _NUM_RE.match(text)
    if not m:
        raise ValueError("bad number literal %r" % text)
    sign = 0x80000000 if m.group(1) else 0
    digits = (m.group(2) + (m.group(3) or "")).lstrip("0")
    exp10 = int(m.group(4) or "0") - len(m.group(3) or "")
    if not digits:
        return sign  # +0 or -0 (GUESS: -0 keeps its sign bit, "80000000")
    nd = len(digits)
    if exp10 + nd - 1 > 39:
        return sign | 0x7F800000
    if exp10 + nd < -47:
        return sign
    d = int(digits)
    if exp10 >= 0:
        return sign | _round_f32_bits(d * 10 ** exp10, 1)
    return sign | _round_f32_bits(d, 10 ** -exp10)


def _float_f32_bits(x):
    if x != x:
        return 0x7FC00000
    sign = 0x80000000 if (x < 0 or (x == 0 and struct.pack(">d", x)[0] & 0x80)) else 0
    x = abs(x)
    if x == float("inf"):
        return sign | 0x7F800000
    if x == 0:
        return sign
    n, d = x.as_integer_ratio()
    return sign | _round_f32_bits(n, d)


def _to_f32_bits(v):
    if isinstance(v, FloatLit):
        return _literal_f32_bits(v.text)
    if isinstance(v, bool):
        raise TypeError("boolean is not a number")
    if isinstance(v, int):
        return _literal_f32_bits(str(v))
    if isinstance(v, float):
        return _float_f32_bits(v)
    raise TypeError("not a number: %r" % (v,))


def _bits_value(bits):
    return struct.unpack(">f", struct.pack(">I", bits))[0]


def f32_bits_hex(x):
    """8 lower-case hex digits of the IEEE 754 binary32 bit pattern of x rounded to f32
    (round to nearest, ties to even). Accepts a float, an int or a FloatLit."""
    return "%08x" % _to_f32_bits(x)


# --------------------------------------------------------------------------------------------
# Canonical JSON (section 2)
# --------------------------------------------------------------------------------------------

_SHORT_ESC = {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r",
              0x09: "\\t"}


def _canon_str(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if c in _SHORT_ESC:
            out.append(_SHORT_ESC[c])
        elif c < 0x20:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)  # includes 0x7f and "/" unescaped, as RFC 8785
    out.append('"')
    return "".join(out)


def _canon(v, out):
    if v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif v is None:
        out.append("null")
    elif isinstance(v, int):
        if v < 0:
            raise ValueError("canonical JSON has no negative integers")
        out.append(str(v))
    elif isinstance(v, str):
        _canon_str(v).encode("utf-8")  # raises on lone surrogates
        out.append(_canon_str(v))
    elif isinstance(v, (list, tuple)):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _canon(x, out)
        out.append("]")
    elif isinstance(v, dict):
        keys = list(v.keys())
        for k in keys:
            if not isinstance(k, str):
                raise ValueError("object key is not a string")
        keys.sort(key=lambda k: k.encode("utf-8"))  # bytewise
        out.append("{")
        for i, k in enumerate(keys):
            if i:
                out.append(",")
            out.append(_canon_str(k))
            out.append(":")
            _canon(v[k], out)
        out.append("}")
    else:
        raise ValueError("no canonical form for %r (floats must be f32 bit-pattern strings)" % (v,))


def canonical_json(value):
    out = []
    _canon(value, out)
    return "".join(out).encode("utf-8")


def _sha256_hex(b):
    return hashlib.sha256(b).hexdigest()


def resolve_case(case, defaults):
    """Section 2: every param from the case, else defaults, else the table default."""
    defaults = defaults or {}

    def param(k):
        if k in case:
            return case[k]
        if k in defaults:
            return defaults[k]
        return PARAM_DEFAULTS[k]

    return {
        "expected": case["expected"],
        "id": case["id"],
        "match": param("match"),
        "max_tokens": param("max_tokens"),
        "must_pass": case.get("must_pass", False),
        "prompt": case["prompt"],
        "seed": param("seed"),
        "stop": list(param("stop")),
        "tags": list(case.get("tags", [])),
        "temperature": f32_bits_hex(param("temperature")),
        "top_k": param("top_k"),
        "top_p": f32_bits_hex(param("top_p")),
    }


# --------------------------------------------------------------------------------------------
# Eval set (section 1)
# --------------------------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return _is_int(v) or isinstance(v, (FloatLit, float))


def _blen(s):
    return len(s.encode("utf-8"))


def _str_array(v, max_items, lo, hi):
    return (isinstance(v, list) and len(v) <= max_items
            and all(isinstance(s, str) and lo <= _blen(s) <= hi for s in v))


def _param_fault(k, v):
    """Return a message if param k has a bad type/range, else None."""
    if k == "max_tokens":
        ok = _is_int(v) and 0 <= v <= 4096
    elif k == "top_k":
        ok = _is_int(v) and 0 <= v <= 2 ** 32 - 1
    elif k == "seed":
        ok = _is_int(v) and 0 <= v <= 2 ** 64 - 1
    elif k == "temperature":
        # GUESS: the range is checked on the value after rounding to f32
        ok = _is_num(v) and 0.0 <= _bits_value(_to_f32_bits(v)) <= 100.0
    elif k == "top_p":
        ok = _is_num(v) and 0.0 < _bits_value(_to_f32_bits(v)) <= 1.0
    elif k == "stop":
        ok = _str_array(v, 8, 1, 64)
    elif k == "match":
        ok = v in ("exact", "trim") and isinstance(v, str)
    else:
        ok = False
    return None if ok else "bad value for %s" % k


def _check_header(obj):
    """Checks 4 and 5 for the header; returns a message or None."""
    unknown = set(obj) - HEADER_KEYS
    if unknown:
        return "unknown header key %s" % sorted(unknown)[0]
    d = obj.get("defaults")
    # GUESS: a non-param key inside defaults (id, prompt, expected, must_pass, tags) is an unknown
    # key (check 4); a defaults that is not an object is a type error (check 5).
    if isinstance(d, dict):
        unknown = set(d) - PARAM_KEYS
        if unknown:
            return "unknown defaults key %s" % sorted(unknown)[0]
    if "slm_eval" not in obj:
        return "missing slm_eval"
    if not (_is_int(obj["slm_eval"]) and obj["slm_eval"] == 1):
        return "slm_eval is not 1"
    if "name" not in obj:
        return "missing name"
    if not (isinstance(obj["name"], str) and NAME_RE.match(obj["name"])):
        return "bad name"
    if "description" in obj and not isinstance(obj["description"], str):
        return "description is not a string"
    if "defaults" in obj:
        if not isinstance(d, dict):
            return "defaults is not an object"
        for k in sorted(d):
            msg = _param_fault(k, d[k])
            if msg:
                return "defaults: " + msg
    return None


def _check_case(obj):
    unknown = set(obj) - CASE_KEYS
    if unknown:
        return "unknown case key %s" % sorted(unknown)[0]
    for k in ("id", "prompt", "expected"):
        if k not in obj:
            return "missing %s" % k
    if not (isinstance(obj["id"], str) and ID_RE.match(obj["id"])):
        return "bad id"
    if not isinstance(obj["prompt"], str):
        return "prompt is not a string"
    if not isinstance(obj["expected"], str):
        return "expected is not a string"
    if "must_pass" in obj and not isinstance(obj["must_pass"], bool):
        return "must_pass is not a boolean"
    if "tags" in obj and not _str_array(obj["tags"], 16, 1, 64):
        return "bad tags"
    for k in sorted(PARAM_KEYS & set(obj)):
        msg = _param_fault(k, obj[k])
        if msg:
            return msg
    return None


def parse_set(data):
    data = bytes(data)
    if len(data) > MAX_FILE_BYTES:  # check 1 ("larger than" = strictly more than 64 MiB)
        raise EvalError("E_EVAL_SET", 0, 0, "file larger than 64 MiB")

    header = None
    defaults = {}
    cases = []
    seen = set()
    pos = 0
    lineno = 0
    # GUESS: a 0-byte file has one empty line 1 (rejected as empty), rather than "no header".
    if not data:
        raise EvalError("E_EVAL_SET", 1, 0, "empty line")
    while pos < len(data):
        lineno += 1
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl
        line = data[pos:end]
        off = pos
        pos = end + 1

        def fail(msg):
            raise EvalError("E_EVAL_SET", lineno, off, msg)

        # check 2
        if len(line) > MAX_LINE_BYTES:
            fail("line longer than 1 MiB")
        try:
            text = line.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            fail("line is not valid UTF-8")
        if "\r" in text:
            fail("line contains \\r")
        if not line:
            fail("empty line")
        # check 3
        try:
            obj = _loads_strict(text)
        except _JsonFault as e:
            fail("not JSON: %s" % e)
        if not isinstance(obj, dict):
            fail("line is not a JSON object")
        # checks 4 and 5
        if lineno == 1:
            msg = _check_header(obj)
            if msg:
                fail(msg)
            header = obj
            defaults = obj.get("defaults", {})
            continue
        msg = _check_case(obj)
        if msg:
            fail(msg)
        # check 6
        if obj["id"] in seen:
            fail("duplicate id %s" % obj["id"])
        seen.add(obj["id"])
        # check 7
        if len(cases) + 1 > MAX_CASES:
            fail("more than 10000 cases")
        cases.append(resolve_case(obj, defaults))

    if not cases:
        # GUESS: "the line after the header" = line 2, offset = the byte after the header's "\n"
        # (= len(data); also len(data) when the header has no final "\n").
        raise EvalError("E_EVAL_SET", lineno + 1, len(data), "no cases")

    case_digests = [_sha256_hex(canonical_json(c)) for c in cases]
    digest = _sha256_hex(canonical_json(
        {"cases": case_digests, "name": header["name"], "slm_eval": 1}))
    return {
        "name": header["name"],
        "description": header.get("description"),  # None when absent
        "cases": cases,
        "case_digests": case_digests,
        "digest": digest,
    }


# --------------------------------------------------------------------------------------------
# Policy (section 4), resources
# --------------------------------------------------------------------------------------------

POLICY_CEILINGS = ("max_model_bytes", "max_kv_cache_bytes", "max_scratch_bytes")
POLICY_KEYS = {"min_pass_percent", "must_pass", "no_regression"} | set(POLICY_CEILINGS)


def default_policy():
    p = {"min_pass_percent": 100, "must_pass": [], "no_regression": True}
    for k in POLICY_CEILINGS:
        p[k] = None
    return p


def parse_policy(data, case_ids):
    def fail(msg):
        raise EvalError("E_EVAL_POLICY", 0, 0, msg)  # GUESS: no line/offset for policies

    try:
        text = bytes(data).decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        fail("policy is not valid UTF-8")
    try:
        obj = _loads_strict(text)
    except _JsonFault as e:
        fail("policy is not JSON: %s" % e)
    if not isinstance(obj, dict):
        fail("policy is not a JSON object")
    unknown = set(obj) - POLICY_KEYS
    if unknown:
        fail("unknown policy key %s" % sorted(unknown)[0])
    p = default_policy()
    if "min_pass_percent" in obj:
        v = obj["min_pass_percent"]
        if not (_is_int(v) and 0 <= v <= 100):
            fail("bad min_pass_percent")
        p["min_pass_percent"] = v
    if "must_pass" in obj:
        v = obj["must_pass"]
        if not (isinstance(v, list) and all(isinstance(s, str) for s in v)):
            fail("must_pass is not an array of strings")
        ids = set(case_ids)
        for s in v:
            if s not in ids:
                fail("must_pass names unknown case %s" % s)
        p["must_pass"] = list(v)  # GUESS: kept as written (order, duplicates) in the resolved policy
    if "no_regression" in obj:
        v = obj["no_regression"]
        if not isinstance(v, bool):
            fail("no_regression is not a boolean")
        p["no_regression"] = v
    for k in POLICY_CEILINGS:
        if k in obj:
            v = obj[k]
            # GUESS: null is accepted (= absent; the resolved policy in a sidecar writes null),
            # range 0..2^64-1.
            if v is None:
                continue
            if not (_is_int(v) and 0 <= v <= 2 ** 64 - 1):
                fail("bad %s" % k)
            p[k] = v
    return p


def kv_cache_bytes(hparams):
    h = hparams
    # GUESS: dim / n_heads is an exact integer division, evaluated before "x n_kv_heads".
    return 2 * h["n_layers"] * h["max_seq_len"] * (h["dim"] // h["n_heads"] * h["n_kv_heads"]) * 4


def scratch_bytes(hparams):
    h = hparams
    return 4 * (4 * h["dim"] + 2 * h["hidden_dim"] + h["n_heads"] * h["max_seq_len"]
                + h["vocab_size"])


# --------------------------------------------------------------------------------------------
# Gate (section 5)
# --------------------------------------------------------------------------------------------

def gate(results, resources, policy, must_pass_ids_from_set, baseline_results=None):
    if policy is None:
        policy = default_policy()
    reasons = []
    n = len(results)
    p = sum(1 for r in results if r["passed"])
    m = policy["min_pass_percent"]
    if p * 100 < m * n:
        reasons.append("pass rate %d/%d below %d%%" % (p, n, m))
    must = set(must_pass_ids_from_set) | set(policy["must_pass"])
    for r in results:  # once per case even if flagged by both set and policy
        if r["id"] in must and not r["passed"]:
            reasons.append("must-pass case %s failed" % r["id"])
    if baseline_results is not None and policy["no_regression"]:
        base = {r["id"]: r["passed"] for r in baseline_results}
        for r in results:
            if base.get(r["id"]) is True and not r["passed"]:
                reasons.append("regression: %s passed in the baseline" % r["id"])
    for key in ("model_bytes", "kv_cache_bytes", "scratch_bytes"):
        ceiling = policy.get("max_" + key)
        if ceiling is not None and resources[key] > ceiling:  # "above" = strictly greater
            reasons.append("%s %d above ceiling %d" % (key, resources[key], ceiling))
    return {"passed": not reasons, "reasons": reasons}


# --------------------------------------------------------------------------------------------
# Self-check: the vectors of section 8
# --------------------------------------------------------------------------------------------

if __name__ == "__main__":
    v1_in = r'{"b": "\u0007\"é", "a": [true, null, 10]}'
    v1 = canonical_json(_loads_strict(v1_in))
    print(v1.decode("utf-8"))
    print(_sha256_hex(v1))
    assert v1 == '{"a":[true,null,10],"b":"\\u0007\\"é"}'.encode("utf-8"), v1

    s = parse_set(b'{"slm_eval": 1, "name": "vec"}\n{"id": "c1", "prompt": "2+2=", "expected": "4"}\n')
    v2 = canonical_json(s["cases"][0])
    print(v2.decode("utf-8"))
    print(_sha256_hex(v2))
    assert v2 == (b'{"expected":"4","id":"c1","match":"exact","max_tokens":32,"must_pass":false,'
                  b'"prompt":"2+2=","seed":0,"stop":[],"tags":[],"temperature":"00000000",'
                  b'"top_k":0,"top_p":"3f800000"}'), v2
    assert s["case_digests"][0] == _sha256_hex(v2)
    assert f32_bits_hex(0.8) == "3f4ccccd" and _literal_f32_bits("0.8") == 0x3F4CCCCD
    print("set digest of the 1-case set 'vec':", s["digest"])
