#!/usr/bin/python3
"""Mutation testing of the conformance suite (issue 16): how many seeded bugs in the runtime it catches.

Makes deterministic, seeded source mutants of the files in tools/mutants/chapters.json, builds a
`slm` for each from an existing build's objects (one translation unit recompiled, its library copied
with the one member replaced, the binary relinked), and runs `slm conform` of that build (unmutated,
the harness) against `cmd:<mutant slm> protocol`. A mutant is killed when the suite fails.

The checkout is only read: every mutated file, object, library and binary lives under --work
(default build/mutants/), so an interrupted run leaves the sources as they were.

  mutants.py --build build/default                      # the full set (make mutants)
  mutants.py --build build/default --keys tools/mutants/sample.txt --require-killed   # make test
Standard library only (Debian's /usr/bin/python3).
"""
import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tools", "mutants")


# ---------------------------------------------------------------- source scanning

def code_mask(text):
    """The text with comments, string and character literals and preprocessor lines blanked (same
    length, newlines kept), so that the mutation patterns only ever match code."""
    out = list(text)
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#" or (line_start and c in " \t" and text[i:].lstrip(" \t").startswith("#")):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
            continue
        line_start = c == "\n"
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) + len(m.group(1)) + 2
            for k in range(i + 1, end - 1):
                if out[k] != "\n":
                    out[k] = " "
            i = end
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, j):
                out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def match_paren(mask, open_at):
    """Index of the bracket closing the one at open_at, or -1."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    close = pairs[mask[open_at]]
    depth = 0
    for j in range(open_at, len(mask)):
        if mask[j] == mask[open_at]:
            depth += 1
        elif mask[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return -1


def top_level_split(mask, begin, end, sep):
    """Positions of sep at bracket depth 0 within mask[begin:end]."""
    at, depth, j = [], 0, begin
    while j < end:
        ch = mask[j]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and mask.startswith(sep, j):
            at.append(j)
            j += len(sep)
            continue
        j += 1
    return at


ATOM = re.compile(r"[A-Za-z_][\w:]*(?:\.[A-Za-z_]\w*|->[A-Za-z_]\w*)*")


def atom_end(mask, at):
    """End of a primary expression starting at `at` (a name with member access, calls and subscripts,
    or a parenthesised group), or -1."""
    if at < len(mask) and mask[at] == "(":
        e = match_paren(mask, at)
        return -1 if e < 0 else e + 1
    m = ATOM.match(mask, at)
    if not m:
        return -1
    e = m.end()
    while e < len(mask) and mask[e] in "([":
        c = match_paren(mask, e)
        if c < 0:
            return -1
        e = c + 1
        m = re.compile(r"(?:\.[A-Za-z_]\w*|->[A-Za-z_]\w*)*").match(mask, e)
        e = m.end()
    return e


# ---------------------------------------------------------------- mutation operators
# Each yields (op, start, end, replacement): text[start:end] becomes replacement.

REL = {" < ": [" <= "], " <= ": [" < "], " > ": [" >= "], " >= ": [" > "], " == ": [" != "], " != ": [" == "]}
ROUNDING = {"std::round": ["std::floor", "std::trunc"], "std::lround": ["std::lrint"], "std::floor": ["std::ceil"],
            "std::ceil": ["std::floor"], "std::nearbyint": ["std::trunc"], "std::rint": ["std::trunc"],
            "std::trunc": ["std::round"], "std::llround": ["std::llrint"]}


def op_relational(text, mask):
    for m in re.finditer(r" (<=|>=|==|!=|<|>) ", mask):
        # ` < ` and ` > ` with spaces on both sides are comparisons in this code base (templates
        # and shifts are written without them); `x >> y` never matches (no space inside).
        for rep in REL[m.group(0)]:
            yield "relational", m.start(), m.end(), rep


def op_logical(text, mask):
    for m in re.finditer(r" (&&|\|\|) ", mask):
        yield "logical", m.start(), m.end(), " || " if m.group(1) == "&&" else " && "


def op_constant(text, mask):
    for m in re.finditer(r"(?<![\w.'])(\d+)([uU]?[lL]{0,2}[uU]?)(?![\w.'])", mask):
        digits = m.group(1)
        if len(digits) > 1 and digits.startswith("0"):
            continue  # octal
        v = int(digits)
        # array bounds and shifts by 0 would rarely compile or mean anything; keep small and big alike
        yield "constant", m.start(1), m.end(1), str(v + 1)
        if v > 0:
            yield "constant", m.start(1), m.end(1), str(v - 1)


def op_error_offset(text, mask):
    # The byte offset a diagnostic reports (spec/format.md: an error names the offset that breaks the
    # rule): make_error(CODE, offset ...) -> offset + 1.
    for m in re.finditer(r"make_error\(\s*ErrorCode::\w+,\s*", mask):
        start = m.end()
        args_end = match_paren(mask, m.start() + len("make_error"))
        commas = top_level_split(mask, start, args_end, ",")
        end = commas[0] if commas else args_end
        yield "offset", start, end, "(" + text[start:end].strip() + ") + 1"


def op_dropped_check(text, mask):
    # fails(CODE, condition) is how every check of format.md is written: drop it.
    for m in re.finditer(r"\bfails\(\s*ErrorCode::\w+,\s*", mask):
        close = match_paren(mask, m.start() + len("fails"))
        if close > 0:
            yield "dropped-check", m.end(), close, "false"
    # Any other `if (condition)`: never taken (dropped check) or always taken (early return).
    for m in re.finditer(r"\bif \(", mask):
        close = match_paren(mask, m.end() - 1)
        if close < 0:
            continue
        cond = mask[m.end():close]
        if "fails(" in cond or "constexpr" in mask[m.start():m.end() + 10]:
            continue
        # what follows the condition decides the class: a return/throw/break/continue is an early exit
        after = mask[close + 1:close + 200].lstrip()
        body = after[1:].lstrip() if after.startswith("{") else after
        if re.match(r"(return|break|continue|throw)\b", body):
            yield "dropped-check", m.end(), close, "false"
            yield "early-return", m.end(), close, "true"
        else:
            yield "dropped-branch", m.end(), close, "false"


def op_swapped_args(text, mask):
    # f(a, b) -> f(b, a) for calls with exactly two simple arguments
    for m in re.finditer(r"\b([A-Za-z_][\w:]*)\(", mask):
        name = m.group(1)
        if name in ("if", "for", "while", "switch", "return", "sizeof", "static_cast", "reinterpret_cast", "fails",
                    "make_error", "static_assert", "decltype", "alignof"):
            continue
        open_at = m.end() - 1
        close = match_paren(mask, open_at)
        if close < 0 or "\n" in mask[open_at:close]:
            continue
        commas = top_level_split(mask, open_at + 1, close, ",")
        if len(commas) != 1:
            continue
        a = text[open_at + 1:commas[0]].strip()
        b = text[commas[0] + 1:close].strip()
        simple = re.compile(r"^[\w.:\[\]>-]+$")
        if a == b or not simple.match(a) or not simple.match(b) or a.isdigit() and b.isdigit():
            continue
        yield "swapped-args", open_at + 1, close, b + ", " + a


def op_reduction_order(text, mask):
    # A loop that sums into a scalar, run backwards: for (T i = 0; i < n; ++i) -> for (T i = n; i-- > 0;)
    for m in re.finditer(r"for \(((?:const )?[\w:]+) (\w+) = 0; \2 < ([^;()]+); \+\+\2\)", mask):
        body_at = m.end()
        nxt = mask[body_at:].lstrip()
        if nxt.startswith("{"):
            b0 = body_at + mask[body_at:].index("{")
            b1 = match_paren(mask, b0)
            body = mask[b0:b1]
        else:
            body = mask[body_at:mask.find(";", body_at)]
        if not re.search(r"(?<![\w\]\.])[A-Za-z_]\w* [+-]= ", body):
            continue
        typ, var, bound = m.group(1), m.group(2), m.group(3).strip()
        yield "reduction-order", m.start(), m.end(), f"for ({typ} {var} = {bound}; {var}-- > 0;)"
    # (a + b) + c -> a + (b + c): the same sum, associated the other way
    for m in re.finditer(r"\) \+ ", mask):
        close = m.start()
        depth, j = 0, close
        while j >= 0:
            if mask[j] == ")":
                depth += 1
            elif mask[j] == "(":
                depth -= 1
                if depth == 0:
                    break
            j -= 1
        if j <= 0 or re.match(r"[\w\]]", mask[j - 1]):
            continue  # a call, not a group
        plus = top_level_split(mask, j + 1, close, " + ")
        if len(plus) != 1:
            continue
        c0 = m.end()
        c1 = atom_end(mask, c0)
        if c1 < 0:
            continue
        a, b, c = text[j + 1:plus[0]], text[plus[0] + 3:close], text[c0:c1]
        yield "reduction-order", j, c1, f"{a} + ({b} + {c})"


def op_rounding(text, mask):
    for m in re.finditer(r"std::(round|lround|llround|floor|ceil|nearbyint|rint|trunc)\(", mask):
        name = "std::" + m.group(1)
        for rep in ROUNDING[name]:
            yield "rounding", m.start(), m.start() + len(name), rep
    for m in re.finditer(r" \+ 0\.5f?\b", mask):
        yield "rounding", m.start(), m.end(), ""


def op_arithmetic(text, mask):
    for m in re.finditer(r"(?<=[\w)\]]) ([-+]) (?=[\w(])", mask):
        yield "arithmetic", m.start(), m.end(), " - " if m.group(1) == "+" else " + "


OPERATORS = [op_relational, op_logical, op_constant, op_error_offset, op_dropped_check, op_swapped_args,
             op_reduction_order, op_rounding, op_arithmetic]


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def line_text(text, lineno):
    return text.split("\n")[lineno - 1]


RULE = re.compile(r"\b(?:SLM|RT)-[A-Z0-9]+-\d{3}\b")


def rule_near(lines, lineno):
    """The nearest rule ID written on or above the line (within 30 lines): a hint of what it implements."""
    for k in range(lineno - 1, max(-1, lineno - 31), -1):
        m = RULE.findall(lines[k])
        if m:
            return m[-1]
    return ""


def candidates(rel, text):
    """Every mutant of one file, in source order, each with a stable key (file, operator, the line
    before and after, and an occurrence number for repeats) that survives edits elsewhere."""
    mask = code_mask(text)
    lines = text.split("\n")
    out, seen = [], {}
    for op in OPERATORS:
        for cls, start, end, rep in op(text, mask):
            if text[start:end] == rep:
                continue
            mutated = text[:start] + rep + text[end:]
            l0, l1 = line_of(text, start), line_of(text, end)
            before = "\n".join(text.split("\n")[l0 - 1:l1])
            after_lines = mutated.split("\n")
            after = "\n".join(after_lines[l0 - 1:l1 + rep.count("\n") - text[start:end].count("\n")])
            digest = hashlib.sha1((rel + "\0" + cls + "\0" + before.strip() + "\0" + after.strip()).encode()).hexdigest()[:10]
            n = seen.get(digest, 0)
            seen[digest] = n + 1
            key = f"{rel}:{cls}:{digest}" + (f".{n}" if n else "")
            out.append({"key": key, "file": rel, "line": l0, "op": cls, "rule_hint": rule_near(lines, l0), "start": start, "end": end, "replacement": rep,
                        "before": before.strip(), "after": after.strip()})
    out.sort(key=lambda c: (c["start"], c["op"], c["key"]))
    return out


RARE = 20


def covered(c, lines):
    """Whether the suite runs any line the mutant changes."""
    first = c["line"]
    last = first + c["before"].count("\n")
    return any(n in lines for n in range(first, last + 1))


def select(all_cands, count, seed):
    """count mutants spread over the files (in proportion to their candidates, at least 2 each) and,
    within a file, over the operator classes (round robin in a seeded order)."""
    rng = random.Random(seed)
    # the rare classes (reduction order, rounding: a handful of sites) are taken whole
    per_cls = {}
    for c in all_cands:
        per_cls[c["op"]] = per_cls.get(c["op"], 0) + 1
    chosen = [c for c in all_cands if per_cls[c["op"]] <= RARE]
    rest = [c for c in all_cands if per_cls[c["op"]] > RARE]
    by_file = {}
    for c in rest:
        by_file.setdefault(c["file"], []).append(c)
    count -= len(chosen)
    total = len(rest)
    quota = {f: max(2, round(count * len(cs) / total)) for f, cs in by_file.items()}
    for f in sorted(by_file):
        by_cls = {}
        for c in by_file[f]:
            by_cls.setdefault(c["op"], []).append(c)
        classes = sorted(by_cls)
        rng.shuffle(classes)
        for cls in classes:
            rng.shuffle(by_cls[cls])
        picked, k = [], 0
        while len(picked) < min(quota[f], len(by_file[f])):
            cls = classes[k % len(classes)]
            if by_cls[cls]:
                picked.append(by_cls[cls].pop())
            k += 1
        chosen.extend(picked)
    return sorted(chosen, key=lambda c: (c["file"], c["start"], c["key"]))


# ---------------------------------------------------------------- building one mutant

class Build:
    """The compile command of each source and the link command of `slm`, taken from an existing
    CMake/Ninja build, rewritten to put the mutant's object into a copy of its library."""

    def __init__(self, build_dir, work, opt):
        self.dir = os.path.abspath(build_dir)
        self.work = work
        self.opt = opt
        with open(os.path.join(self.dir, "compile_commands.json")) as f:
            self.compile = {}
            for e in json.load(f):
                args = shlex.split(e["command"])
                e["output"] = args[args.index("-o") + 1]
                self.compile.setdefault(os.path.realpath(e["file"]), []).append(e)
        cmds = subprocess.run(["ninja", "-C", self.dir, "-t", "commands", "slm"], check=True, capture_output=True,
                              text=True).stdout.strip().split("\n")
        self.link = shlex.split(cmds[-1].removeprefix(": && ").removesuffix(" && :"))
        self.slm = os.path.join(self.dir, "bin", "slm")

    def _entry(self, src):
        # the object that goes into a library linked into `slm` (not the fault-injection twin)
        for e in self.compile[os.path.realpath(src)]:
            lib = self.library_of(e)
            if lib in self.link:
                return e, lib
        raise SystemExit(f"{src}: no object of it is linked into slm")

    @staticmethod
    def library_of(e):
        m = re.search(r"(?:^|/)CMakeFiles/(\w+)\.dir/", e["output"])
        return os.path.join(e["output"][:m.start()], f"lib{m.group(1)}.a")

    def compile_cmd(self, src, mutant_src, obj, extra=()):
        e, _ = self._entry(src)
        args = shlex.split(e["command"])
        out, skip = [], 0
        for a in args:
            if skip:
                skip -= 1
                continue
            if a in ("-MD", "-MMD"):
                continue
            if a in ("-MT", "-MF", "-o"):
                skip = 1
                continue
            if a == "-c" or os.path.realpath(os.path.join(e["directory"], a)) == os.path.realpath(src) and a.endswith(".cpp"):
                continue
            if self.opt and (re.fullmatch(r"-O[0-3s]", a) and "-O3" not in a or a == "-g"):
                continue  # a lighter optimisation for speed; a file's own -O3 (kernels) stays
            out.append(a)
        if self.opt:
            out.insert(1, "-" + self.opt)
        # the mutant lives elsewhere: its own directory's quoted includes ("check.h") come from the original
        out += list(extra) + ["-iquote", os.path.dirname(os.path.realpath(src)), "-c", mutant_src, "-o", obj]
        return out, e["directory"]

    def member(self, src):
        e, lib = self._entry(src)
        return os.path.basename(e["output"]), os.path.join(self.dir, lib), lib


LOCK_WAIT = [0.0]  # seconds spent waiting for the build lock (other builds on a shared machine)


@contextlib.contextmanager
def locked(path):
    if not path:
        yield
        return
    with open(path, "a") as f:
        t = time.time()
        fcntl.flock(f, fcntl.LOCK_EX)
        LOCK_WAIT[0] += time.time() - t
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# A sanitized mutant stops at its first error; leaks are not behaviour the suite judges.
SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=0:halt_on_error=1", "UBSAN_OPTIONS": "halt_on_error=1"}


def run(cmd, cwd=None, timeout=None):
    """subprocess.run in its own process group, killed whole on timeout or interrupt."""
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True, env={**os.environ, **SANITIZER_ENV})
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None, ""
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise


class Runner:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        for d in ("src", "obj", "lib", "bin", "cache"):
            os.makedirs(os.path.join(self.work, d), exist_ok=True)
        self.build = Build(args.build, self.work, args.opt)
        self.base_obj = {}
        self.snapshot()

    def snapshot(self):
        """Copies the harness and every input of the link into work/base/ (same relative paths), so that
        rebuilding the build tree during a run changes neither the judge nor the mutants' other code."""
        base = os.path.join(self.work, "base")
        shutil.rmtree(base, ignore_errors=True)
        inputs = [a for a in self.build.link if re.search(r"\.(o|a)$", a) and not os.path.isabs(a)]
        for rel in inputs:
            os.makedirs(os.path.dirname(os.path.join(base, rel)), exist_ok=True)
            shutil.copyfile(os.path.join(self.build.dir, rel), os.path.join(base, rel))
        os.makedirs(os.path.join(base, "bin"), exist_ok=True)
        self.harness = os.path.join(base, "bin", "slm-harness")
        shutil.copy2(self.build.slm, self.harness)
        self.base = base

    def _compile(self, rel, text, obj):
        src = os.path.join(ROOT, rel)
        msrc = os.path.join(self.work, "src", rel)
        os.makedirs(os.path.dirname(msrc), exist_ok=True)
        with open(msrc, "w") as f:
            f.write(text)
        extra = ["-fsanitize=" + self.args.sanitize, "-fno-omit-frame-pointer"] if self.args.sanitize else []
        cmd, cwd = self.build.compile_cmd(src, msrc, obj, extra)
        rc, out = run(cmd, cwd=cwd, timeout=300)
        return rc == 0, out

    def _object_bytes(self, path):
        with open(path, "rb") as f:
            return f.read()

    def baseline_object(self, rel, text):
        """The unmutated file compiled the same way: a mutant with the same object code is equivalent."""
        if rel not in self.base_obj:
            obj = os.path.join(self.work, "obj", "base-" + os.path.basename(rel) + ".o")
            with locked(self.args.lock):
                ok, out = self._compile(rel, text, obj)
            if not ok:
                raise SystemExit(f"{rel}: the unmutated copy does not compile:\n{out}")
            self.base_obj[rel] = self._object_bytes(obj)
        return self.base_obj[rel]

    def build_mutant(self, c, text):
        """Returns 'ok', 'no-compile' or 'identical-object'; on ok, work/bin/slm is the mutant."""
        mutated = text[:c["start"]] + c["replacement"] + text[c["end"]:]
        src = os.path.join(ROOT, c["file"])
        member, _, lib_rel = self.build.member(src)
        mdir = os.path.join(self.work, "obj", "m")
        shutil.rmtree(mdir, ignore_errors=True)
        os.makedirs(mdir)
        obj = os.path.join(mdir, member)
        base = self.baseline_object(c["file"], text)
        with locked(self.args.lock):
            ok, out = self._compile(c["file"], mutated, obj)
            if not ok:
                return "no-compile", out
            if self._object_bytes(obj) == base:
                return "identical-object", ""
            self.relink({lib_rel: [obj]}, os.path.join(self.work, "lib"), os.path.join(self.work, "bin", "slm"),
                        ["-fsanitize=" + self.args.sanitize] if self.args.sanitize else [])
        return "ok", ""

    def relink(self, members, lib_dir, binary, flags):
        """`slm` linked again into `binary` from the snapshot, each library of `members` ({library as
        the link names it: [object, ...]}) copied into lib_dir with those members replaced."""
        link = list(self.build.link)
        for lib_rel, objs in members.items():
            lib = os.path.join(lib_dir, lib_rel)
            os.makedirs(os.path.dirname(lib), exist_ok=True)
            shutil.copyfile(os.path.join(self.base, lib_rel), lib)
            rc, out = run(["ar", "r", lib] + objs, timeout=120)
            if rc != 0:
                raise SystemExit("ar failed: " + out)
            link = [lib if a == lib_rel else a for a in link]
        link[link.index("-o") + 1] = binary
        link += flags + (["-fuse-ld=" + self.args.linker] if self.args.linker else [])
        rc, out = run(link, cwd=self.base, timeout=600)
        if rc != 0:
            raise SystemExit("link failed:\n" + out)

    def conform(self, binary, fail_fast=True, case_timeout=None):
        cmd = [self.harness, "conform", "--runtime", f"cmd:{binary} protocol", "--cases",
               os.path.join(ROOT, "conformance", "cases"), "--report", "", "--cache", os.path.join(self.work, "cache"),
               "--no-progress", "--timeout", str(case_timeout or self.args.case_timeout)]
        if fail_fast:
            cmd.append("--fail-fast")
        rc, out = run(cmd, timeout=self.args.mutant_timeout)
        return rc, out

    def fingerprint(self, texts):
        """What the coverage depends on: the mutated sources, the case tree and the harness."""
        h = hashlib.sha256()
        for rel in sorted(texts):
            h.update(rel.encode() + b"\0" + texts[rel].encode() + b"\0")
        cases = os.path.join(ROOT, "conformance", "cases")
        for d, dirs, files in os.walk(cases):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(d, name)
                h.update(os.path.relpath(path, cases).encode() + b"\0")
                with open(path, "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
        with open(self.harness, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
        return h.hexdigest()

    def coverage(self, texts):
        """{file: [line, ...]}: the lines of each file that the unmutated suite runs. Every file is
        compiled again at -O0 with --coverage into copies of its library, `slm` is relinked with
        --coverage, the whole suite runs through it and gcov says which lines executed. A mutant on
        no such line cannot be killed by any case (the protocol speaker never reaches it: writers,
        CLI-only helpers, the portable kernels and SHA-256 on a host with AVX2 and libcrypto), so it
        is counted as not covered rather than judged, as Stryker's NoCoverage and mull's default do.
        Cached in work/coverage.json under a fingerprint of the sources, the cases and the harness."""
        cache = os.path.join(self.work, "coverage.json")
        key = self.fingerprint(texts)
        old = load_json(cache, {})
        if old.get("fingerprint") == key:
            return {rel: set(lines) for rel, lines in old["lines"].items()}
        cdir = os.path.join(self.work, "coverage")
        shutil.rmtree(cdir, ignore_errors=True)
        libs, objs = {}, {}
        for i, rel in enumerate(sorted(texts)):
            src = os.path.join(ROOT, rel)
            member, _, lib_rel = self.build.member(src)
            odir = os.path.join(cdir, "obj", str(i))
            os.makedirs(odir)
            obj = os.path.join(odir, member)
            cmd, cwd = self.build.compile_cmd(src, src, obj, ["-O0", "--coverage", "-fprofile-update=atomic"])
            with locked(self.args.lock):
                rc, out = run(cmd, cwd=cwd, timeout=600)
            if rc != 0:
                raise SystemExit(f"{rel}: the coverage build does not compile:\n{out}")
            objs[rel] = obj
            libs.setdefault(lib_rel, []).append(obj)
        binary = os.path.join(cdir, "slm")
        with locked(self.args.lock):
            self.relink(libs, os.path.join(cdir, "lib"), binary, ["--coverage"])
        rc, out = self.conform(binary, fail_fast=False, case_timeout=max(60, self.args.case_timeout))
        if rc != 0:
            raise SystemExit("mutants.py: the coverage build fails the suite:\n" + out[-3000:])
        lines = {}
        for rel, obj in objs.items():
            rc, out = run(["gcov", "--json-format", "--stdout", "--object-directory", os.path.dirname(obj), obj],
                          cwd=os.path.dirname(obj), timeout=120)
            if rc != 0:
                raise SystemExit(f"gcov failed on {rel}:\n{out}")
            want = os.path.realpath(os.path.join(ROOT, rel))
            hit = set()
            for doc in (json.loads(ln) for ln in out.split("\n") if ln.startswith("{")):
                for f in doc["files"]:
                    if os.path.realpath(os.path.join(doc.get("current_working_directory", ""), f["file"])) == want:
                        hit |= {ln["line_number"] for ln in f["lines"] if ln["count"] > 0}
            lines[rel] = hit
        with open(cache, "w") as f:
            json.dump({"fingerprint": key, "lines": {k: sorted(v) for k, v in sorted(lines.items())}}, f)
        return lines


def first_failure(out):
    """The harness's line for the first case that did not pass (FAIL, ERRORED, TIMEOUT, CRASH, GARBAGE)."""
    for line in out.split("\n"):
        if re.match(r"(FAIL|ERRORED|TIMEOUT|CRASH|GARBAGE) \S+: ", line):
            return line.strip()[:240]
    return out.strip().split("\n")[-1][:240] if out.strip() else ""


# ---------------------------------------------------------------- reports

def load_json(path, default):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


# Explained survivors that change nothing spec/ lets a runtime observe: left out of the score, as
# equivalent mutants are in every mutation score. Every other explained survivor (a platform path,
# an unjudged value, undefined behaviour) counts against the suite.
EQUIVALENT_KINDS = ("equivalent", "message-only")


def score(rows):
    killed = sum(1 for r in rows if r["outcome"] in ("killed", "timeout"))
    survived = sum(1 for r in rows if r["outcome"] == "survived")
    explained = sum(1 for r in rows if r["outcome"] == "equivalent" and r.get("kind") not in EQUIVALENT_KINDS)
    equivalent = sum(1 for r in rows if r["outcome"] == "equivalent") - explained
    judged = killed + survived + explained
    return {"killed": killed, "survived": survived, "explained": explained, "equivalent": equivalent, "judged": judged,
            "score": round(killed / judged, 4) if judged else None,
            "identical_object": sum(1 for r in rows if r["outcome"] == "identical-object"),
            "no_compile": sum(1 for r in rows if r["outcome"] == "no-compile")}


def pct(s):
    return "n/a" if s["score"] is None else f"{100 * s['score']:.1f}%"


def write_reports(out_dir, rows, meta):
    os.makedirs(out_dir, exist_ok=True)
    total = score(rows)
    kinds = {}
    for r in rows:
        if r["outcome"] == "equivalent":
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    by_ch, by_file = {}, {}
    for r in rows:
        by_ch.setdefault(r["chapter"], []).append(r)
        by_file.setdefault(r["file"], []).append(r)
    doc = {"format": "slm-mutants", **meta, "total": total,
           "chapters": {k: score(v) for k, v in sorted(by_ch.items())},
           "files": {k: score(v) for k, v in sorted(by_file.items())}, "mutants": rows}
    with open(os.path.join(out_dir, "mutants.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    cov = meta.get("files_covered", {})
    L = ["# Mutation score of the conformance suite", "",
         f"Seeded bugs in the runtime (`{meta['command']}`), each built into its own `slm` and judged by "
         "`slm conform` against `cmd:<mutant slm> protocol`. The mutated file is built with AddressSanitizer, as a "
         "runtime author's sanitizer build would be, so a stray read or write kills its mutant as a crash.", "",
         "- **killed**: the suite fails (a case fails, times out, or the runtime dies);",
         "- **survived**: the suite passes and nothing explains why;",
         "- **explained**: it survives and tools/mutants/equivalent.json says why (a path only another platform "
         "takes, a value the judge does not compare); it counts against the score like a survivor;",
         "- **equivalent**: it survives and equivalent.json shows that nothing spec/ lets a runtime observe changes "
         "(the same answers, or only a diagnostic's free text); left out of the score, as in every mutation score.",
         "",
         "Mutants are chosen among the candidates on lines the suite runs: a coverage build of the unmutated "
         "runtime runs every case and gcov says which lines executed. A bug on a line no case reaches (writers, "
         "CLI-only helpers, the portable kernels and SHA-256 on a host with AVX2 and libcrypto, which the WASM "
         "conformance run judges) is not a bug the protocol can show; the per-file table counts those candidates. "
         "Mutants that do not compile, and those whose object code equals the original's, are not judged.", "",
         f"Seed {meta['seed']}; {meta['selected']} mutants chosen from "
         + (f"{meta['covered_candidates']} candidates on covered lines ({meta['candidates']} in all)"
            if "covered_candidates" in meta else f"{meta['candidates']} candidates")
         + f" in {len(by_file)} files.", "",
         f"**Score: {pct(total)}**: {total['killed']} killed of {total['judged']} judged "
         f"({total['survived']} survived, {total['explained']} explained); {total['equivalent']} equivalent; "
         f"{total['identical_object']} with identical object code; {total['no_compile']} did not compile.", "",
         "Explained and equivalent survivors by kind (tools/mutants/equivalent.json): "
         + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) if kinds else "none") + ".", "",
         "## Per spec chapter", "", "| chapter | killed | survived | explained | equivalent | identical object | no compile | score |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for k, v in doc["chapters"].items():
        L.append(f"| {k} | {v['killed']} | {v['survived']} | {v['explained']} | {v['equivalent']} | {v['identical_object']} | {v['no_compile']} | {pct(v)} |")
    L += ["", "## Per source file", "", "| file | candidates | on covered lines | killed | survived | explained | equivalent | identical object | no compile | score |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    files = sorted(set(doc["files"]) | set(cov))
    for k in files:
        v = doc["files"].get(k) or score([])
        c = cov.get(k, {})
        L.append(f"| {k} | {c.get('candidates', '')} | {c.get('covered', '')} | {v['killed']} | {v['survived']} | {v['explained']} | {v['equivalent']} | {v['identical_object']} | {v['no_compile']} | {pct(v)} |")
    for title, pick in (("Survivors", lambda r: r["outcome"] == "survived"),
                        ("Explained survivors", lambda r: r["outcome"] == "equivalent" and r.get("kind") not in EQUIVALENT_KINDS),
                        ("Equivalent mutants", lambda r: r["outcome"] == "equivalent" and r.get("kind") in EQUIVALENT_KINDS)):
        sel = [r for r in rows if pick(r)]
        L += ["", f"## {title} ({len(sel)})", ""]
        if not sel:
            L.append("None.")
        for r in sel:
            L += [f"- `{r['file']}:{r['line']}` {r['op']} `{r['key']}`" + (f" (near {r['rule_hint']})" if r["rule_hint"] else "") + (f" — {r['kind']}: {r['reason']}" if r.get("reason") else ""),
                  "  ```", "  - " + r["before"].replace("\n", "\n    "), "  + " + r["after"].replace("\n", "\n    "), "  ```"]
    L += ["", "## Every mutant", "", "| # | file:line | operator | outcome | by |", "|---:|---|---|---|---|"]
    for i, r in enumerate(rows):
        by = (r.get("by") or "").replace("|", "\\|")
        L.append(f"| {i} | {r['file']}:{r['line']} | {r['op']} | {r['outcome']} | {by} |")
    with open(os.path.join(out_dir, "index.md"), "w") as f:
        f.write("\n".join(L) + "\n")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "default"), help="built CMake/Ninja tree with bin/slm")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "mutants"), help="scratch folder (mutant sources, objects, binaries)")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--count", type=int, default=330, help="mutants to choose (about; a larger count chooses a superset)")
    ap.add_argument("--keys", help="a file of mutant keys (one a line, # comments): run exactly these")
    ap.add_argument("--only-file", action="append", default=[], help="restrict to these source files (repeatable)")
    ap.add_argument("--require-killed", action="store_true", help="exit 1 unless every mutant run is killed")
    ap.add_argument("--report", default=os.path.join(ROOT, "reports", "mutants"), help="report folder ('' for none)")
    ap.add_argument("--opt", default="O1", help="optimisation of the recompiled file ('' keeps the build's)")
    ap.add_argument("--sanitize", default="address", help="-fsanitize= for the mutated file and the relink ('' for "
                    "none): a mutant whose only effect is a stray read or write dies of it, as it would in a runtime "
                    "author's sanitizer build; the harness sees a crash")
    ap.add_argument("--linker", default="lld", help="-fuse-ld= for the relink ('' for the build's)")
    ap.add_argument("--lock", default=os.environ.get("SLM_BUILD_LOCK", ""), help="flock this file around each compile and link")
    ap.add_argument("--case-timeout", type=float, default=10, help="slm conform --timeout")
    ap.add_argument("--mutant-timeout", type=float, default=600, help="seconds for one mutant's whole suite run")
    ap.add_argument("--list", action="store_true", help="print the chosen mutants and stop")
    ap.add_argument("--all-lines", action="store_true", help="choose among every candidate, also those on lines the "
                    "suite never runs (by default a coverage build of the suite decides which lines count)")
    ap.add_argument("--reuse", metavar="MUTANTS_JSON", action="append", default=[], help="take the outcome of every mutant a previous report has (for a "
                    "larger --count: the choice grows as a superset) and run only the others")
    ap.add_argument("--relabel", metavar="MUTANTS_JSON", help="apply equivalent.json again to a report's survivors and "
                    "rewrite the report (nothing is built or run)")
    ap.add_argument("--rerun", metavar="MUTANTS_JSON", help="a previous report's mutants.json: run again its survivors and equivalent "
                    "mutants (new cases can only kill more), keep its other outcomes, run the mutants it lacks")
    args = ap.parse_args()

    chapters = load_json(os.path.join(HERE, "chapters.json"), {})["files"]
    equivalent = {e["key"]: (e["kind"], e["reason"]) for e in load_json(os.path.join(HERE, "equivalent.json"), {"mutants": []})["mutants"]}
    texts, all_cands, coverage_meta = {}, [], {}
    for rel in sorted(chapters):
        if args.only_file and rel not in args.only_file:
            continue
        with open(os.path.join(ROOT, rel)) as f:
            texts[rel] = f.read()
        all_cands += candidates(rel, texts[rel])
    if args.keys:
        with open(args.keys) as f:
            want = [ln.split("#")[0].strip() for ln in f if ln.split("#")[0].strip()]
        index = {c["key"]: c for c in all_cands}
        missing = [k for k in want if k not in index]
        if missing:
            print("mutants.py: these keys match no mutant of the current sources (update the list):\n  " + "\n  ".join(missing),
                  file=sys.stderr)
            return 2
        chosen = [index[k] for k in want]
        runner = None
    elif not args.relabel:
        runner = Runner(args)
        pool = all_cands
        if not args.all_lines:
            lines = runner.coverage(texts)
            pool = [c for c in all_cands if covered(c, lines[c["file"]])]
            in_pool = {c["key"] for c in pool}
            per_file = {}
            for c in all_cands:
                n = per_file.setdefault(c["file"], [0, 0])
                n[0] += 1
                n[1] += c["key"] in in_pool
            coverage_meta = {"covered_candidates": len(pool),
                             "files_covered": {f: {"candidates": n[0], "covered": n[1]} for f, n in sorted(per_file.items())}}
        chosen = select(pool, args.count, args.seed)
    if args.list:
        for c in chosen:
            print(f"{c['key']}  {c['file']}:{c['line']}\n  - {c['before']}\n  + {c['after']}")
        print(f"{len(chosen)} of {len(all_cands)} candidates")
        return 0

    if args.relabel:
        doc = load_json(args.relabel, None)
        for r in doc["mutants"]:
            if r["outcome"] in ("survived", "equivalent"):
                for k in ("kind", "reason"):
                    r.pop(k, None)
                r["outcome"] = "survived"
                if r["key"] in equivalent:
                    r["outcome"], r["kind"], r["reason"] = "equivalent", equivalent[r["key"]][0], equivalent[r["key"]][1]
        meta = {k: doc[k] for k in ("seed", "candidates", "selected", "command", "covered_candidates", "files_covered") if k in doc}
        write_reports(args.report, doc["mutants"], meta)
        s = score(doc["mutants"])
        print(f"score {pct(s)}: {s['killed']} killed, {s['survived']} survived, {s['equivalent']} equivalent")
        return 0

    runner = runner or Runner(args)
    rc, out = runner.conform(runner.build.slm, fail_fast=False)  # the unmutated runtime passes
    if rc != 0:
        print("mutants.py: the unmutated runtime fails the suite; fix that first:\n" + out[-3000:], file=sys.stderr)
        return 2
    previous = {}
    if args.rerun:  # the choice may have moved (new cases cover new lines): what is new runs whole
        previous = {r["key"]: r for r in load_json(args.rerun, {"mutants": []})["mutants"]}
    reused = {r["key"]: r for path in args.reuse for r in load_json(path, {"mutants": []})["mutants"]}
    rows, timing, t_all = [], [], time.time()
    for i, c in enumerate(chosen):
        t0, w0 = time.time(), LOCK_WAIT[0]
        row = {k: c[k] for k in ("key", "file", "line", "op", "rule_hint", "before", "after")}
        row["chapter"] = chapters[c["file"]]
        old = previous.get(c["key"]) or reused.get(c["key"])
        if old and (c["key"] in reused or old["outcome"] not in ("survived", "equivalent")):
            row.update({k: old[k] for k in ("outcome", "by") if k in old})
            if row["outcome"] in ("survived", "equivalent"):  # equivalent.json as it is now
                row["outcome"] = "survived"
                if c["key"] in equivalent:
                    row["outcome"], row["kind"], row["reason"] = "equivalent", equivalent[c["key"]][0], equivalent[c["key"]][1]
            rows.append(row)
            continue
        status, out = runner.build_mutant(c, texts[c["file"]])
        t1 = time.time()
        if status != "ok":
            row["outcome"] = status
        else:
            rc, out = runner.conform(os.path.join(runner.work, "bin", "slm"))
            if rc is None:
                row["outcome"], row["by"] = "timeout", f"no verdict within {args.mutant_timeout:g} s"
            elif rc != 0:
                row["by"] = first_failure(out)
                row["outcome"] = "timeout" if row["by"].startswith("TIMEOUT") else "killed"
            elif c["key"] in equivalent:
                row["outcome"], row["kind"], row["reason"] = "equivalent", equivalent[c["key"]][0], equivalent[c["key"]][1]
            else:
                row["outcome"] = "survived"
        t2 = time.time()
        rows.append(row)
        wait = LOCK_WAIT[0] - w0
        timing.append({"key": c["key"], "lock_wait_s": round(wait, 2), "build_s": round(t1 - t0 - wait, 2),
                       "suite_s": round(t2 - t1, 2)})
        print(f"[{i + 1}/{len(chosen)}] {row['outcome']:16} {c['file']}:{c['line']} {c['op']} "
              f"(build {t1 - t0 - wait:.1f} s, suite {t2 - t1:.1f} s, lock wait {wait:.0f} s)", flush=True)
        if row["outcome"] == "survived":
            print(f"    {c['key']}\n    - {c['before']}\n    + {c['after']}", flush=True)
    elapsed = time.time() - t_all
    meta = {"seed": args.seed, "candidates": len(all_cands), "selected": len(chosen), **coverage_meta,
            "command": " ".join(["tools/mutants/mutants.py"] + (["--keys", os.path.relpath(args.keys, ROOT)] if args.keys
                                 else ["--seed", str(args.seed), "--count", str(args.count)])
                                + (["--all-lines"] if args.all_lines else []))}
    if args.report:
        write_reports(args.report, rows, meta)
        with open(os.path.join(args.report, "timing.json"), "w") as f:
            json.dump({"elapsed_s": round(elapsed, 1), "lock_wait_s": round(LOCK_WAIT[0], 1),
                       "without_lock_wait_s": round(elapsed - LOCK_WAIT[0], 1), "mutants": timing}, f, indent=1)
            f.write("\n")
    s = score(rows)
    print(f"score {pct(s)}: {s['killed']} killed, {s['survived']} survived, {s['equivalent']} equivalent, "
          f"{s['identical_object']} identical object, {s['no_compile']} no compile; {elapsed:.0f} s "
          f"({LOCK_WAIT[0]:.0f} s of it waiting for the build lock)")
    if args.require_killed:
        bad = [r for r in rows if r["outcome"] not in ("killed", "timeout")]
        for r in bad:
            print(f"NOT KILLED ({r['outcome']}): {r['key']} {r['file']}:{r['line']}\n  - {r['before']}\n  + {r['after']}",
                  file=sys.stderr)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
