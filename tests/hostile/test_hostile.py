#!/usr/bin/python3
"""Hostile-input regression suite of the `slm` command (spec/tools.md).

Every attack here was once reproduced against the tool. Each test asserts the exit status, the error
code printed (`FILE: E_CODE [RULE] at offset N: message` or `slm CMD: E_CODE [RULE]: message`) and
that every file in the directories involved is unchanged (names, kinds, SHA-256) with no new file,
hidden staging files (`.NAME.slm-*`) included, when the command fails.

Usage: test_hostile.py SLM_BINARY SOURCE_DIR      (Python 3 standard library only; run as root for
the tmpfs disk-full tests, which otherwise fall back to RLIMIT_FSIZE)
"""
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

if len(sys.argv) < 3:
    sys.exit(__doc__)
SLM, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PROGRAMS = os.path.join(SOURCE, "conformance", "programs")

TIMEOUT = 20                  # seconds any single command may take before it counts as hung
RSS_LIMIT_KB = 64 * 1024      # "small" resident memory for a refusal
HASH_LIMIT = 64 << 20         # files larger than this (the sparse 1 TB ones) are compared by metadata
IO_CODES = ("E_IO_READ", "E_IO_WRITE")
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

ROOT = None   # per-run scratch directory (setUpModule)
FIX = None    # fixtures made once by the binary under test
MOUNT_OK = False

APPLY = ["adapter", "apply", "--parent", "tiny.slm", "dense.adp"]
KINDS = (("dense", "dense.adp"), ("sparse", "sparse.asp"), ("lowrank", "lowrank.alr"))


# ---------------------------------------------------------------------------------------------
# Running the tool: exit status, output, wall time and, through GNU time, the peak RSS of `slm`.

class Result:
    def __init__(self, args, returncode, stdout, stderr, maxrss_kb, seconds, timed_out, rss_exact=False):
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, stdout, stderr
        self.maxrss_kb, self.seconds, self.timed_out, self.rss_exact = maxrss_kb, seconds, timed_out, rss_exact

    @property
    def output(self):
        return self.stdout + self.stderr

    def __str__(self):
        status = "TIMED OUT after %ds (killed)" % TIMEOUT if self.timed_out else "exit %d" % self.returncode
        rss = ", max RSS %d KB" % self.maxrss_kb if self.rss_exact and self.maxrss_kb is not None else ""
        return "\n  $ slm %s\n  -> %s in %.2fs%s\n  stdout: %s\n  stderr: %s" % (
            " ".join(self.args), status, self.seconds, rss, self.stdout.strip()[:800], self.stderr.strip()[:800])


class Proc:
    """One `slm` process in its own process group.

    fsize: RLIMIT_FSIZE in bytes, with SIGXFSZ ignored (writes past the limit fail with EFBIG) or,
    ignore_xfsz=False, at its default action (the process is killed). rss: measure the peak
    resident memory of `slm` alone through GNU time (a child forked from Python would count the
    interpreter's pages too). Output goes through pipes (not limited by RLIMIT_FSIZE), drained by
    two threads."""

    def __init__(self, args, cwd=None, fsize=None, ignore_xfsz=True, env=None, rss=False):
        self.args = [str(a) for a in args]
        preexec = None
        if fsize is not None:
            def preexec():
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a SIGXFSZ kill must not drop a core file
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN if ignore_xfsz else signal.SIG_DFL)
        argv = [SLM, *self.args]
        self.rss_file = None
        if rss and GNU_TIME and fsize is None:
            fd, self.rss_file = tempfile.mkstemp(prefix="rss-", dir=ROOT)
            os.close(fd)
            argv = [GNU_TIME, "-q", "-f", "%M", "-o", self.rss_file] + argv
        self.start = time.monotonic()
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      cwd=cwd, env=env, preexec_fn=preexec, start_new_session=True)
        self.texts = [b"", b""]
        self.threads = [threading.Thread(target=self._drain, args=(k, f), daemon=True)
                        for k, f in enumerate((self.popen.stdout, self.popen.stderr))]
        for t in self.threads:
            t.start()
        self.result = None

    def _drain(self, k, f):
        self.texts[k] = f.read()
        f.close()

    def poll(self, now, deadline):
        """Reaps the process if it ended (or kills it past the deadline); True when done."""
        if self.result is not None:
            return True
        pid, status, usage = os.wait4(self.popen.pid, os.WNOHANG)
        timed_out = False
        if not pid:
            if now <= deadline:
                return False
            timed_out = True
            os.killpg(self.popen.pid, signal.SIGKILL)  # the group: GNU time's child too
            pid, status, usage = os.wait4(self.popen.pid, 0)
        seconds = time.monotonic() - self.start
        self.popen.returncode = rc = os.waitstatus_to_exitcode(status)
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # nothing of the group may outlive it
        except ProcessLookupError:
            pass
        for t in self.threads:
            t.join(5)
        maxrss = usage.ru_maxrss
        if self.rss_file:
            with open(self.rss_file) as f:
                lines = f.read().split()
            os.unlink(self.rss_file)
            maxrss = int(lines[-1]) if lines and lines[-1].isdigit() else None
            if rc > 128 and not timed_out:  # GNU time exits 128 + N for a child killed by signal N
                rc = -(rc - 128)
        out, err = (t.decode("utf-8", "replace") for t in self.texts)
        self.result = Result(self.args, rc, out, err, maxrss, seconds, timed_out, rss_exact=bool(self.rss_file))
        return True

    def wait(self, timeout=TIMEOUT):
        return wait_all([self], timeout)[0]


def wait_all(procs, timeout=TIMEOUT):
    """Waits for processes running in parallel; each gets `timeout` seconds from its start."""
    delay = 0.0005
    while True:
        now = time.monotonic()
        if all([p.poll(now, p.start + timeout) for p in procs]):
            return [p.result for p in procs]
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def slm(*args, cwd=None, timeout=TIMEOUT, **kw):
    return Proc(args, cwd=cwd, **kw).wait(timeout)


def must(*args, cwd=None):
    r = slm(*args, cwd=cwd)
    if r.returncode != 0:
        raise RuntimeError("fixture command failed:%s" % r)
    return r


# ---------------------------------------------------------------------------------------------
# Directory snapshots: every entry (hidden ones included), its kind, and a regular file's SHA-256.

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def entry_state(path):
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return ("symlink", os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return ("dir",)
    if stat.S_ISREG(st.st_mode):
        if st.st_size > HASH_LIMIT:  # sparse giants: never read 1 TB of zeros
            return ("file", st.st_size, st.st_mtime_ns, st.st_ino)
        return ("file", st.st_size, sha256_file(path))
    if stat.S_ISFIFO(st.st_mode):
        return ("fifo",)
    if stat.S_ISCHR(st.st_mode):
        return ("chardev", st.st_rdev)
    return ("other", stat.S_IFMT(st.st_mode))


def snapshot(*dirs):
    state = {}
    for d in dirs:
        state[d] = entry_state(d)
        for root, subdirs, files in os.walk(d):
            for name in subdirs + files:
                p = os.path.join(root, name)
                state[p] = entry_state(p)
    return state


def snapshot_diff(before, after):
    lines = []
    for p in sorted(set(before) | set(after)):
        if p not in before:
            lines.append("new: %s %s" % (p, after[p][0]))
        elif p not in after:
            lines.append("gone: %s" % p)
        elif before[p] != after[p]:
            lines.append("changed: %s %s -> %s" % (p, before[p][:2], after[p][:2]))
    return lines


# ---------------------------------------------------------------------------------------------
# Reported errors: `[PREFIX: ]E_CODE [RULE][ at offset N]: message`.

LINE = re.compile(r"^(?P<prefix>.*?)(?P<code>E_[A-Z0-9_]+) \[(?P<rule>[A-Z0-9-]+)\](?: at offset (?P<offset>\d+))?: (?P<msg>.*)$")


def error_lines(text):
    return [m for m in (LINE.match(line) for line in text.splitlines()) if m]


# ---------------------------------------------------------------------------------------------
# XXH64 (format.md Appendix B) and resealing: a mutated file with a correct checksum and digest
# gets past the integrity checks and into the deeper ones.

_M64 = (1 << 64) - 1
_P1, _P2, _P3, _P4, _P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
                           0x27D4EB2F165667C5)


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M64


def _round(acc, lane):
    return (_rotl((acc + lane * _P2) & _M64, 31) * _P1) & _M64


def xxh64(data, seed=0):
    n, i = len(data), 0
    if n >= 32:
        v1, v2, v3, v4 = (seed + _P1 + _P2) & _M64, (seed + _P2) & _M64, seed & _M64, (seed - _P1) & _M64
        stripes = n // 32
        lanes = struct.unpack_from("<%dQ" % (stripes * 4), data, 0)
        for k in range(0, stripes * 4, 4):
            v1, v2 = _round(v1, lanes[k]), _round(v2, lanes[k + 1])
            v3, v4 = _round(v3, lanes[k + 2]), _round(v4, lanes[k + 3])
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _M64
        for v in (v1, v2, v3, v4):
            h = ((h ^ _round(0, v)) * _P1 + _P4) & _M64
        i = stripes * 32
    else:
        h = (seed + _P5) & _M64
    h = (h + n) & _M64
    while i + 8 <= n:
        h ^= _round(0, struct.unpack_from("<Q", data, i)[0])
        h = (_rotl(h, 27) * _P1 + _P4) & _M64
        i += 8
    if i + 4 <= n:
        h ^= (struct.unpack_from("<I", data, i)[0] * _P1) & _M64
        h = (_rotl(h, 23) * _P2 + _P3) & _M64
        i += 4
    while i < n:
        h ^= (data[i] * _P5) & _M64
        h = (_rotl(h, 11) * _P1) & _M64
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    return h ^ (h >> 32)


def reseal(data):
    """file_length = size, then the SHA-256 digest at [32, 64) and the XXH64 checksum at [24, 32),
    as a writer stores them (format.md 7.2, adapters.md 5: same layout of the first 64 bytes)."""
    b = bytearray(data)
    if len(b) < 64:
        return bytes(b)
    b[16:24] = struct.pack("<Q", len(b))
    b[24:64] = bytes(40)
    b[32:64] = hashlib.sha256(b).digest()
    b[24:32] = struct.pack("<Q", xxh64(bytes(b)))
    return bytes(b)


# ---------------------------------------------------------------------------------------------

def try_mount_tmpfs(d, size="64k"):
    if os.geteuid() != 0:
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", d], capture_output=True)
    return r.returncode == 0


def umount(d):
    if os.path.ismount(d):
        r = subprocess.run(["umount", d], capture_output=True)
        if r.returncode != 0:
            subprocess.run(["umount", "-l", d], capture_output=True)


def fill(d):
    """Fill the file system of d to the last byte."""
    with open(os.path.join(d, "filler"), "wb", buffering=0) as f:
        for chunk in (4096, 512, 1):
            while True:
                try:
                    f.write(b"\xee" * chunk)
                except OSError:
                    break


def supports_o_tmpfile(d):
    try:
        os.close(os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o600))
        return True
    except (OSError, AttributeError):
        return False


def setUpModule():
    global ROOT, FIX, MOUNT_OK
    ROOT = tempfile.mkdtemp(prefix="slm-hostile-")
    FIX = os.path.join(ROOT, "fixtures")
    os.mkdir(FIX)
    f = lambda n: os.path.join(FIX, n)
    must("gen", "model", "--preset", "tiny", "-o", f("tiny.slm"))
    must("gen", "model", "--preset", "tiny", "--seed", "2", "-o", f("tiny2.slm"))
    must("gen", "model", "--preset", "small", "--dtype", "f32", "-o", f("b.slm"))
    must("convert", "--to-llama2c", f("b.slm"), "--tokenizer", f("tok.bin"), "-o", f("ck.bin"))
    for kind, name in KINDS:
        must("gen", "adapter", "--kind", kind, "--parent", f("tiny.slm"), "-o", f(name))
    must("gen", "adapter", "--kind", "sparse", "--seed", "7", "--parent", f("tiny.slm"), "-o", f("good.asp"))
    shutil.copy(os.path.join(PROGRAMS, "hello-buggy.json"), f("prog.json"))
    shutil.copy(os.path.join(PROGRAMS, "hello.json"), f("fix.json"))
    must("gen", "model", "--program", f("prog.json"), "-o", f("pm.slm"))
    probe = os.path.join(ROOT, "mount-probe")
    os.mkdir(probe)
    MOUNT_OK = try_mount_tmpfs(probe)
    umount(probe)
    os.rmdir(probe)
    if not MOUNT_OK:
        print("note: cannot mount tmpfs; disk-full tests inject EFBIG through RLIMIT_FSIZE", file=sys.stderr)


def tearDownModule():
    if ROOT:
        for root, dirs, _ in os.walk(ROOT):
            for d in dirs:
                umount(os.path.join(root, d))
        shutil.rmtree(ROOT, ignore_errors=True)


class HostileCase(unittest.TestCase):
    FIXTURES = ("tiny.slm", "dense.adp")

    def setUp(self):
        self.w = self.make_dir()
        for name in self.FIXTURES:
            self.copy(name)

    def make_dir(self):
        d = tempfile.mkdtemp(dir=ROOT, prefix=type(self).__name__ + "-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def copy(self, name, dest=None):
        dest = dest or self.w
        shutil.copy(os.path.join(FIX, name), os.path.join(dest, name))
        return os.path.join(dest, name)

    def p(self, *names):
        return os.path.join(self.w, *names)

    def write(self, path, data):
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)

    # -- assertions ------------------------------------------------------------------------

    def assertCode(self, r, codes, flag=None):
        """One reported line carries one of `codes` in the spec's format; returns the match."""
        codes = (codes,) if isinstance(codes, str) else tuple(codes)
        found = [m for m in error_lines(r.output) if m["code"] in codes]
        self.assertTrue(found, "expected %s in the format 'E_CODE [RULE]: message':%s" % (" or ".join(codes), r))
        if flag is not None:
            self.assertTrue(any(flag in m.group(0) for m in found), "the refusal does not name %s:%s" % (flag, r))
        return found[0]

    def assertSmallMemory(self, r):
        limit = RSS_LIMIT_KB
        if not GNU_TIME:  # wait4's figure includes the pages of the forked interpreter
            limit += resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.assertIsNotNone(r.maxrss_kb, "no memory figure:%s" % r)
        self.assertLess(r.maxrss_kb, limit, "peak RSS above %d KB:%s" % (limit, r))

    def assertUnchanged(self, before, after, r):
        diff = snapshot_diff(before, after)
        self.assertFalse(diff, "files changed or appeared:\n    " + "\n    ".join(diff) + str(r))

    def assertRefused(self, args, status, codes, dirs=None, cwd=None, flag=None, **kw):
        """Runs `slm args`; the exit status, the code (and the flag it names) and unchanged
        directories are all checked, and every failed check is reported at once."""
        dirs = dirs or [self.w]
        codes = (codes,) if isinstance(codes, str) else tuple(codes)
        before = snapshot(*dirs)
        r = slm(*args, cwd=cwd or self.w, **kw)
        diff = snapshot_diff(before, snapshot(*dirs))
        found = [m for m in error_lines(r.output) if m["code"] in codes]
        problems = []
        if r.timed_out:
            problems.append("no answer within %ds" % TIMEOUT)
        elif r.returncode != status:
            problems.append("exit status %d, expected %d" % (r.returncode, status))
        if not found:
            problems.append("no line 'E_CODE [RULE]...' with %s" % " or ".join(codes))
        elif flag is not None and not any(flag in m.group(0) for m in found):
            problems.append("the refusal does not name %s" % flag)
        if diff:
            problems.append("files changed or appeared:\n    " + "\n    ".join(diff))
        if problems:
            self.fail("; ".join(problems) + str(r))
        return r, found[0]


# ---------------------------------------------------------------------------------------------
# 1. An output that is an input (SLM-TOOL-001) or another output (SLM-TOOL-002), named directly,
#    through a symbolic link, a hard link or a `sub/../` path.

class OutputIsInputTest(HostileCase):
    FIXTURES = ("tiny.slm", "dense.adp", "b.slm", "ck.bin", "tok.bin", "prog.json", "fix.json", "pm.slm")

    def setUp(self):
        pass  # a fresh directory per command: a failure must not leak into the next one

    def fresh(self, create=None):
        w = self.make_dir()
        for name in self.FIXTURES:
            self.copy(name, w)
        os.mkdir(os.path.join(w, "sub"))
        names = list(self.FIXTURES)
        if create:  # an earlier output of the same name
            self.write(os.path.join(w, create), b"previous content of " + create.encode() + b"\n")
            names.append(create)
        for name in names:
            os.symlink(name, os.path.join(w, "sym-" + name))
            os.link(os.path.join(w, name), os.path.join(w, "hard-" + name))
        return w

    def check(self, template, name, code, exists=True, create=False):
        """`name` as given, as `sub/../name`, and (when it exists) through a relative and an absolute
        symbolic link and a hard link."""
        variants = [name, "sub/../" + name]
        if exists:
            variants += ["sym-" + name, "hard-" + name, "{W}/sym-" + name]
        for x in variants:
            w = self.fresh(create=name if create else None)
            x = x.replace("{W}", w)
            args = [x if a == "{X}" else a for a in template]
            with self.subTest(args=" ".join(args)):
                self.assertRefused(args, 2, code, dirs=[w], cwd=w)

    def test_adapter_apply(self):
        for name in ("tiny.slm", "dense.adp"):
            self.check(APPLY + ["-o", "out.slm", "--lineage", "{X}"], name, "E_OUT_IS_INPUT")
            self.check(APPLY + ["-o", "{X}"], name, "E_OUT_IS_INPUT")
            self.check(APPLY + ["-o", "{X}", "--lineage", "lin.json"], name, "E_OUT_IS_INPUT")
        self.check(APPLY + ["-o", "out.slm", "--lineage", "{X}"], "out.slm", "E_OUT_CLASH", exists=False)
        self.check(APPLY + ["-o", "out.slm", "--lineage", "{X}"], "out.slm", "E_OUT_CLASH", create=True)

    def test_convert(self):
        self.check(["convert", "--to-llama2c", "b.slm", "--tokenizer", "{X}", "-o", "ck.bin"], "b.slm", "E_OUT_IS_INPUT")
        self.check(["convert", "--to-llama2c", "b.slm", "--tokenizer", "tok2.bin", "-o", "{X}"], "b.slm", "E_OUT_IS_INPUT")
        same = ["convert", "--to-llama2c", "b.slm", "--tokenizer", "{X}", "-o", "same.bin"]
        self.check(same, "same.bin", "E_OUT_CLASH", exists=False)
        self.check(same, "same.bin", "E_OUT_CLASH", create=True)
        for name in ("ck.bin", "tok.bin"):
            self.check(["convert", "--from-llama2c", "ck.bin", "--tokenizer", "tok.bin", "-o", "{X}"], name, "E_OUT_IS_INPUT")

    def test_gen_adapter(self):
        self.check(["gen", "adapter", "--kind", "dense", "--parent", "tiny.slm", "-o", "{X}"], "tiny.slm", "E_OUT_IS_INPUT")
        for name in ("fix.json", "pm.slm"):
            self.check(["gen", "adapter", "--kind", "sparse", "--parent", "pm.slm", "--fix", "fix.json", "-o", "{X}"], name,
                       "E_OUT_IS_INPUT")

    def test_gen_model_program(self):
        self.check(["gen", "model", "--program", "prog.json", "-o", "{X}"], "prog.json", "E_OUT_IS_INPUT")
        self.check(["gen", "model", "--program", "prog.json", "-o", "pm3.slm", "--report", "{X}"], "prog.json", "E_OUT_IS_INPUT")
        self.check(["gen", "model", "--program", "prog.json", "--report", "{X}", "-o", "pm.slm"], "pm.slm", "E_OUT_CLASH")
        self.check(["gen", "model", "--program", "prog.json", "--report", "{X}", "-o", "pm3.slm"], "pm3.slm", "E_OUT_CLASH",
                   exists=False)


# ---------------------------------------------------------------------------------------------
# 2. Outputs into a missing directory (SLM-TOOL-003) or onto what is not a regular file
#    (SLM-TOOL-004): a directory, a FIFO, /dev/null, a path ending in / . or ..

WRITERS = (
    ["gen", "model", "--preset", "tiny", "-o", "{X}"],
    ["gen", "adapter", "--kind", "dense", "--parent", "tiny.slm", "-o", "{X}"],
    ["gen", "adapter", "--kind", "sparse", "--parent", "pm.slm", "--fix", "fix.json", "-o", "{X}"],
    APPLY + ["-o", "{X}"],
    APPLY + ["-o", "out.slm", "--lineage", "{X}"],
    ["convert", "--from-llama2c", "ck.bin", "--tokenizer", "tok.bin", "-o", "{X}"],
    ["convert", "--to-llama2c", "b.slm", "--tokenizer", "tok2.bin", "-o", "{X}"],
    ["convert", "--to-llama2c", "b.slm", "--tokenizer", "{X}", "-o", "ck2.bin"],
    ["gen", "model", "--program", "prog.json", "-o", "{X}"],
    ["gen", "model", "--program", "prog.json", "-o", "pm3.slm", "--report", "{X}"],
)


class OutputPathTest(HostileCase):
    FIXTURES = ("tiny.slm", "dense.adp", "b.slm", "ck.bin", "tok.bin", "prog.json", "fix.json", "pm.slm")

    def setUp(self):
        pass  # a fresh directory per command

    def fresh(self):
        w = self.make_dir()
        for name in self.FIXTURES:
            self.copy(name, w)
        os.mkdir(os.path.join(w, "adir"))
        self.write(os.path.join(w, "adir", "keep"), "kept\n")
        os.mkfifo(os.path.join(w, "fifo"))
        os.symlink("fifo", os.path.join(w, "link-fifo"))
        os.symlink("/dev/null", os.path.join(w, "link-null"))
        os.symlink("adir", os.path.join(w, "link-dir"))
        return w

    def run_targets(self, targets):
        for template in WRITERS:
            for target, code in targets:
                w = self.fresh()
                target = target.replace("{W}", w)
                args = [target if a == "{X}" else a for a in template]
                with self.subTest(args=" ".join(args)):
                    self.assertRefused(args, 2, code, dirs=[w], cwd=w)
                    self.assertFalse(os.path.exists(os.path.join(w, "nodir")), "a tool created the missing directory")
                    self.assertTrue(stat.S_ISFIFO(os.lstat(os.path.join(w, "fifo")).st_mode))

    def test_missing_directory(self):
        self.run_targets([("nodir/out", "E_OUT_NO_DIRECTORY"), ("nodir/deeper/out", "E_OUT_NO_DIRECTORY"),
                          ("tiny.slm/out", "E_OUT_NO_DIRECTORY"), ("{W}/nodir/out", "E_OUT_NO_DIRECTORY")])

    def test_not_a_regular_file(self):
        self.run_targets([("adir", "E_OUT_NOT_REGULAR"), ("link-dir", "E_OUT_NOT_REGULAR"), ("adir/", "E_OUT_NOT_REGULAR"),
                          ("adir/.", "E_OUT_NOT_REGULAR"), ("adir/..", "E_OUT_NOT_REGULAR"), (".", "E_OUT_NOT_REGULAR"),
                          ("fifo", "E_OUT_NOT_REGULAR"), ("link-fifo", "E_OUT_NOT_REGULAR")])

    def test_dev_null(self):
        before = os.stat("/dev/null")
        self.assertTrue(stat.S_ISCHR(before.st_mode))
        try:
            self.run_targets([("/dev/null", "E_OUT_NOT_REGULAR"), ("link-null", "E_OUT_NOT_REGULAR")])
        finally:
            after = os.stat("/dev/null")
            replaced = not stat.S_ISCHR(after.st_mode) or after.st_rdev != before.st_rdev
            if replaced:  # put the device back before reporting
                os.unlink("/dev/null")
                os.mknod("/dev/null", 0o666 | stat.S_IFCHR, before.st_rdev)
                os.chmod("/dev/null", 0o666)
        self.assertFalse(replaced, "/dev/null was replaced by a regular file (restored)")
        self.assertEqual([n for n in os.listdir("/dev") if n.startswith(".null") or n.startswith("null.")], [],
                         "staging files left in /dev")


# ---------------------------------------------------------------------------------------------
# 3. A full disk at each output (a 64 KiB tmpfs filled to the last byte): E_IO_WRITE, exit 2, and
#    no output appears or changes, the other output on the normal disk included.

SINGLE_WRITERS = (
    ["gen", "model", "--preset", "tiny", "-o", "{A}/x.slm"],
    ["gen", "adapter", "--kind", "dense", "--parent", "tiny.slm", "-o", "{A}/a.adp"],
    ["gen", "adapter", "--kind", "sparse", "--parent", "pm.slm", "--fix", "fix.json", "-o", "{A}/fix.asp"],
    APPLY + ["-o", "{A}/out.slm"],
    ["convert", "--from-llama2c", "ck.bin", "--tokenizer", "tok.bin", "-o", "{A}/m.slm"],
    ["gen", "model", "--program", "prog.json", "-o", "{A}/pm.slm"],
)
DOUBLE_WRITERS = (
    APPLY + ["-o", "{A}/out.slm", "--lineage", "{B}/lin.json"],
    ["convert", "--to-llama2c", "b.slm", "--tokenizer", "{A}/tok.bin", "-o", "{B}/ck.bin"],
    ["gen", "model", "--program", "prog.json", "-o", "{A}/pm.slm", "--report", "{B}/r.json"],
)


def outputs_of(args):
    return [a for a in args if a.startswith(("full/", "disk/", "d1/", "d2/"))]


class DiskFullTest(HostileCase):
    FIXTURES = ("tiny.slm", "dense.adp", "b.slm", "ck.bin", "tok.bin", "prog.json", "fix.json", "pm.slm")

    def run_full(self, template, a, b, existing):
        w = self.make_dir()
        for name in self.FIXTURES:
            self.copy(name, w)
        full, disk = os.path.join(w, "full"), os.path.join(w, "disk")
        os.mkdir(full)
        os.mkdir(disk)
        args = [x.replace("{A}", a).replace("{B}", b) for x in template]
        mounted = MOUNT_OK and try_mount_tmpfs(full)
        if mounted:
            self.addCleanup(umount, full)
        if existing:
            for out in outputs_of(args):
                self.write(os.path.join(w, out), b"previous content of " + out.encode() + b"\n")
        if mounted:
            fill(full)
        kw = {} if mounted else {"fsize": 0, "ignore_xfsz": True}
        with self.subTest(args=" ".join(args), existing=existing, tmpfs=mounted):
            r, m = self.assertRefused(args, 2, "E_IO_WRITE", dirs=[w], cwd=w, **kw)
            # tools.md 6: a refusal about an output leaves out `FILE: ` (no input is to blame) and
            # its message names the output that could not be written
            self.assertRegex(m["prefix"], r"^(slm [a-z ]+: )?$", "the write failure is attributed to an input file:%s" % r)
            failed = [o for o in outputs_of(args) if o.startswith("full/")] if mounted else outputs_of(args)
            self.assertTrue(any(o in m["msg"] for o in failed), "the message does not name the output %s:%s" % (failed, r))

    def test_single_output_on_a_full_disk(self):
        for template in SINGLE_WRITERS:
            for existing in (False, True):
                self.run_full(template, "full", "disk", existing)

    def test_two_outputs_one_on_a_full_disk(self):
        for template in DOUBLE_WRITERS:
            for a, b in (("full", "disk"), ("disk", "full")):
                for existing in (False, True):
                    self.run_full(template, a, b, existing)


# ---------------------------------------------------------------------------------------------
# 4. A kill while the outputs are written (SIGXFSZ at RLIMIT_FSIZE between the two outputs'
#    sizes): neither output appears or changes, and no staging file is left.

class KillTest(HostileCase):
    FIXTURES = ("tiny.slm", "dense.adp", "b.slm", "prog.json")
    CASES = (
        APPLY + ["-o", "d1/out.slm", "--lineage", "d2/lin.json"],
        ["convert", "--to-llama2c", "b.slm", "--tokenizer", "d2/tok.bin", "-o", "d1/ck.bin"],
        ["gen", "model", "--program", "prog.json", "-o", "d1/pm.slm", "--report", "d2/r.json"],
    )

    def workdir(self):
        w = self.make_dir()
        for name in self.FIXTURES:
            self.copy(name, w)
        os.mkdir(os.path.join(w, "d1"))
        os.mkdir(os.path.join(w, "d2"))
        return w

    def test_kill_between_outputs(self):
        for args in self.CASES:
            outs = outputs_of(args)
            probe = self.workdir()
            must(*args, cwd=probe)
            sizes = sorted(os.path.getsize(os.path.join(probe, o)) for o in outs)
            limit = (sizes[0] + sizes[1]) // 2
            for existing in (False, True):
                w = self.workdir()
                if existing:
                    for out in outs:
                        self.write(os.path.join(w, out), b"previous content\n")
                with self.subTest(args=" ".join(args), limit=limit, existing=existing):
                    before = snapshot(w)
                    r = slm(*args, cwd=w, fsize=limit, ignore_xfsz=False)
                    after = snapshot(w)
                    if not all(supports_o_tmpfile(os.path.join(w, d)) for d in ("d1", "d2")):
                        # spec/tools.md 3: a hidden staging file may survive a kill only without O_TMPFILE
                        after = {k: v for k, v in after.items() if ".slm-" not in os.path.basename(k)}
                    diff = snapshot_diff(before, after)
                    problems = []
                    if r.timed_out or r.returncode != -signal.SIGXFSZ:
                        problems.append("expected a death by SIGXFSZ (exit %d) at %d bytes" % (-signal.SIGXFSZ, limit))
                    if diff:
                        problems.append("files changed or appeared:\n    " + "\n    ".join(diff))
                    if problems:
                        self.fail("; ".join(problems) + str(r))


# ---------------------------------------------------------------------------------------------
# 5. Hostile arguments (SLM-TOOL-006) and generator limits (tools.md section 5, SLM-TOOL-007).

GEN = ["generate", "tiny.slm", "--prompt", "Hi"]
GEN_ADAPTER = ["gen", "adapter", "--kind", "dense", "--parent", "tiny.slm", "-o", "x.adp"]
GEN_MODEL = ["gen", "model", "--preset", "tiny", "-o", "x.slm"]


class ArgumentTest(HostileCase):
    def check_values(self, base, flag, values, code="E_ARG_VALUE"):
        for v in values:
            args = base + [flag, v]
            with self.subTest(args=" ".join(args)):
                self.assertRefused(args, 2, code, flag=flag)
            args = base + [flag + "=" + v]
            with self.subTest(args=" ".join(args)):
                self.assertRefused(args, 2, code, flag=flag)

    def test_generate_floats(self):
        self.check_values(GEN, "--temperature", ["nan", "inf", "-1", "1e39", "0.5x"])
        self.check_values(GEN, "--top-p", ["0", "1.5", "nan", "-0.5", "inf"])

    def test_generate_integers(self):
        self.check_values(GEN, "--seed", ["-1", "99999999999999999999999", "18446744073709551616", "1x", "0x10", " 5", "+5"])
        self.check_values(GEN, "--max-tokens", ["4294967297", "-3", "1048577", "1e3", "4.0"])
        self.check_values(GEN, "--top-k", ["abc", "-1", "1048577"])
        self.check_values(GEN, "--context", ["-1", "1048577", "x"])

    def test_threads(self):
        bad = ["-1", "257", "4294967296", "2x", "1.0"]
        self.check_values(GEN, "--threads", bad)
        self.check_values(["eval", "tiny.slm", "set.jsonl", "-o", "out.json"], "--threads", bad)
        self.check_values(["protocol"], "--threads", bad)

    def test_generator_integers(self):
        self.check_values(GEN_ADAPTER, "--entries", ["0", "16385", "-1", "4294967297"])
        self.check_values(GEN_ADAPTER, "--seed", ["-1", "99999999999999999999999"])
        self.check_values(GEN_MODEL, "--seed", ["-1", "18446744073709551616"])
        for flag in ("--dim", "--layers", "--hidden-dim", "--heads", "--kv-heads"):
            self.check_values(GEN_MODEL, flag, ["-1", "4294967296", "12abc"])

    def test_conform_timeout(self):
        env = dict(os.environ, TMPDIR=self.w)
        for v in ["0", "-1", "nan", "inf", "1e10", "86401", "5s"]:
            for args in (["conform", "--no-progress", "--timeout", v], ["conform", "--no-progress", "--timeout=" + v]):
                with self.subTest(args=" ".join(args)):
                    self.assertRefused(args, 2, "E_ARG_VALUE", flag="--timeout", env=env)

    def test_names(self):
        cases = [
            (["gen", "model", "--preset", "nosuch", "-o", "x.slm"], "--preset"),
            (GEN_MODEL + ["--dtype", "q8_0", "--dim", "48"], None),
            (GEN_MODEL + ["--dtype", "f16"], None),
            (GEN_MODEL + ["--tokenizer", "nosuch"], None),
            (["gen", "model", "--preset", "tiny", "--report", "r.json", "-o", "x.slm"], "--report"),
            (["gen", "adapter", "--kind", "nosuch", "--parent", "tiny.slm", "-o", "x.adp"], "--kind"),
        ]
        for args, flag in cases:
            with self.subTest(args=" ".join(args)):
                if flag == "--preset":  # the message names the unknown preset
                    r, m = self.assertRefused(args, 2, "E_ARG_VALUE", flag="nosuch")
                else:
                    r, m = self.assertRefused(args, 2, "E_ARG_VALUE", flag=flag)

    def check_limit(self, args, codes):
        with self.subTest(args=" ".join(args)):
            r, _ = self.assertRefused(args, 2, codes, rss=True)
            self.assertLess(r.seconds, 5, "slow refusal:%s" % r)
            self.assertSmallMemory(r)

    def test_generator_limits(self):
        for flag in ("--dim", "--heads", "--kv-heads"):
            self.check_limit(GEN_MODEL + [flag, "0"], "E_HPARAM_INVALID")
        self.check_limit(GEN_MODEL + ["--heads", "3"], "E_HPARAM_INVALID")
        for flag, v in (("--layers", "5000"), ("--layers", "100000000"), ("--hidden-dim", "4000000000"),
                        ("--dim", "4294967295"), ("--heads", "4096")):
            self.check_limit(GEN_MODEL + [flag, v], "E_LIMIT_HPARAM")
        self.check_limit(["gen", "model", "--preset", "large", "--dim", "65536", "--hidden-dim", "262144", "--layers", "1024",
                          "-o", "x.slm"], ("E_LIMIT_TENSOR_SIZE", "E_LIMIT_FILE_SIZE", "E_LIMIT_TOOL_MEMORY"))
        self.check_limit(["gen", "model", "--preset", "large", "--dim", "16384", "--hidden-dim", "65536", "--layers", "64",
                          "--heads", "64", "--kv-heads", "64", "-o", "x.slm"],
                         ("E_LIMIT_TENSOR_SIZE", "E_LIMIT_FILE_SIZE", "E_LIMIT_TOOL_MEMORY"))


# ---------------------------------------------------------------------------------------------
# 6. Errors name what failed: the file, its place in an adapter stack, the code, rule and offset.

class ErrorNamingTest(HostileCase):
    FIXTURES = ("tiny.slm", "good.asp", "sparse.asp")

    def test_truncated_adapter_in_a_stack(self):
        with open(self.p("sparse.asp"), "rb") as f:
            data = f.read()
        self.write(self.p("trunc.asp"), data[: len(data) // 2])
        v = slm("adapter", "validate", "--parent", "tiny.slm", "trunc.asp", cwd=self.w)
        self.assertEqual(v.returncode, 1, str(v))
        expected = [m for m in error_lines(v.stdout) if m["prefix"] == "trunc.asp: "]
        self.assertTrue(expected, "adapter validate prints no line for trunc.asp:%s" % v)
        for args in (["generate", "tiny.slm", "--prompt", "Hi", "--adapter", "good.asp", "--adapter", "trunc.asp"],
                     ["adapter", "apply", "--parent", "tiny.slm", "good.asp", "trunc.asp", "-o", "out.slm"]):
            with self.subTest(args=" ".join(args)):
                r, m = self.assertRefused(args, 1, expected[0]["code"])
                self.assertTrue(m["prefix"].endswith("trunc.asp (adapter 2 of 2): "), "the adapter's place is not named:%s" % r)
                self.assertIsNotNone(m["offset"], "no 'at offset N':%s" % r)
                self.assertEqual((m["code"], m["rule"], m["offset"]), (expected[0]["code"], expected[0]["rule"], expected[0]["offset"]))

    def flipped(self, offset, resealed=False):
        with open(self.p("tiny.slm"), "rb") as f:
            data = bytearray(f.read())
        data[offset] ^= 0x40
        self.write(self.p("bad.slm"), reseal(data) if resealed else bytes(data))

    def test_flipped_model_byte_is_named_like_validate(self):
        size = os.path.getsize(self.p("tiny.slm"))
        for offset, resealed in ((4, False), (size // 2, False), (68, True), (112, True), (136, True)):
            self.flipped(offset, resealed)
            v = slm("validate", "bad.slm", cwd=self.w)
            self.assertEqual(v.returncode, 1, str(v))
            ref = error_lines(v.stdout)
            self.assertTrue(ref and ref[0]["prefix"] == "bad.slm: ", "validate's line:%s" % v)
            ref = ref[0]
            for args in (["inspect", "bad.slm"], ["generate", "bad.slm", "--prompt", "Hi"], ["tokenize", "bad.slm", "x"]):
                with self.subTest(args=" ".join(args), offset=offset, resealed=resealed):
                    r, m = self.assertRefused(args, 1, ref["code"])
                    self.assertTrue(m["prefix"].endswith("bad.slm: "), "the file is not named:%s" % r)
                    self.assertEqual((m["code"], m["rule"], m["offset"]), (ref["code"], ref["rule"], ref["offset"]),
                                     "validate said: %s%s" % (ref.group(0), r))
                    if ref["offset"] is not None:
                        self.assertIn("at offset " + ref["offset"], m.group(0))


# ---------------------------------------------------------------------------------------------
# 7. Special files and bad paths as inputs: refused or rejected quickly, nothing blocks, nothing
#    huge is allocated.

class SpecialInputTest(HostileCase):
    READ_ERRORS = ("missing.slm", "dangling.slm", "adir", "fifo", "/dev/zero")
    SPARSE = ("sparse-zero.slm", "sparse-tiny.slm")

    def setUp(self):
        super().setUp()
        os.mkdir(self.p("adir"))
        os.mkdir(self.p("out"))
        os.mkfifo(self.p("fifo"))
        os.symlink("nowhere.slm", self.p("dangling.slm"))
        with open(self.p("sparse-zero.slm"), "wb"):
            pass
        os.truncate(self.p("sparse-zero.slm"), 2 ** 40)
        shutil.copy(self.p("tiny.slm"), self.p("sparse-tiny.slm"))
        os.truncate(self.p("sparse-tiny.slm"), 2 ** 40)

    def run_all(self, templates):
        """Every template with every special input, all at once (a blocked reader costs one timeout)."""
        jobs = []
        before = snapshot(self.w)
        for template in templates:
            for x in self.READ_ERRORS + self.SPARSE:
                args = [x if a == "{X}" else a for a in template]
                jobs.append((x, args, Proc(args, cwd=self.w, rss=True)))
        results = [(x, args, r) for (x, args, _), r in zip(jobs, wait_all([p for _, _, p in jobs]))]
        for x, args, r in results:
            with self.subTest(args=" ".join(args)):
                self.assertFalse(r.timed_out, "blocked (no answer within %ds):%s" % (TIMEOUT, r))
                self.assertGreaterEqual(r.returncode, 0, "crashed:%s" % r)
                self.assertSmallMemory(r)
                if x in self.READ_ERRORS:
                    self.assertEqual(r.returncode, 2, str(r))
                    self.assertCode(r, "E_IO_READ")
                else:
                    self.assertIn(r.returncode, (1, 2), str(r))
                    m = error_lines(r.output)
                    self.assertTrue(m, "no code:%s" % r)
                    if r.returncode == 2:
                        self.assertIn(m[0]["code"], IO_CODES + ("E_LIMIT_TOOL_MEMORY", "E_LIMIT_ADDRESS_SPACE"), str(r))
                self.assertLess(r.seconds, 10, "slow:%s" % r)
        self.assertUnchanged(before, snapshot(self.w), "\n".join(str(r) for _, _, r in results))
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/zero").st_mode))

    def test_special_inputs(self):
        # one batch, so that readers blocked on the FIFO cost one timeout in all
        self.run_all([["validate", "{X}"], ["inspect", "{X}"], ["adapter", "validate", "--parent", "{X}", "dense.adp"],
                      ["adapter", "apply", "--parent", "{X}", "dense.adp", "-o", "out/out.slm"],
                      # the same files in the other input positions
                      ["adapter", "validate", "--parent", "tiny.slm", "{X}"], ["adapter", "inspect", "{X}"],
                      ["adapter", "apply", "--parent", "tiny.slm", "{X}", "-o", "out/out.slm"],
                      ["generate", "{X}", "--prompt", "Hi"], ["tokenize", "{X}", "Hi"],
                      ["generate", "tiny.slm", "--prompt", "Hi", "--adapter", "{X}"]])


# ---------------------------------------------------------------------------------------------
# 8. Seeded mutations: byte flips, truncations, extensions and splices, raw and resealed (checksum
#    and digest recomputed). Validators give a verdict (0 or 1), never crash; `adapter apply`
#    commits a complete output or nothing.

def mutate(rng, data, pool, header):
    kind = rng.choice(("flip", "flip-header", "truncate", "extend", "splice"))
    b = bytearray(data)
    if kind in ("flip", "flip-header"):
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(min(header, len(b)) if kind == "flip-header" else len(b))
            b[i] ^= rng.randrange(1, 256)
    elif kind == "truncate":
        b = b[: rng.randrange(len(b))]
    elif kind == "extend":
        b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 128)))
    else:
        other = rng.choice(pool)
        b = b[: rng.randrange(len(b))] + other[rng.randrange(len(other)):]
    resealed = rng.random() < 0.5
    return ("resealed " if resealed else "") + kind, reseal(b) if resealed else bytes(b)


class MutationTest(HostileCase):
    FIXTURES = ("tiny.slm", "tiny2.slm") + tuple(n for _, n in KINDS)
    SEED = 20240531
    PER_MODEL, PER_ADAPTER = 160, 80

    def setUp(self):
        super().setUp()
        self.files = {}
        for name in self.FIXTURES:
            with open(self.p(name), "rb") as f:
                self.files[name] = f.read()
        self.pool = list(self.files.values())
        self.mdir = os.path.join(self.w, "mutants")
        os.mkdir(self.mdir)

    def make_mutants(self, base, count, header, ext):
        rng = random.Random("%d/%s" % (self.SEED, base))
        out = []
        for k in range(count):
            label, data = mutate(rng, self.files[base], self.pool, header)
            path = os.path.join(self.mdir, "%s-%03d%s" % (os.path.splitext(base)[0], k, ext))
            self.write(path, data)
            out.append((path, "%s #%d (%s, seed %d)" % (base, k, label, self.SEED)))
        return out

    def check_verdicts(self, base_args, mutants, batch=40):
        """A verdict per file: exit 0 or 1; re-run alone to name the culprit when a batch fails."""
        for i in range(0, len(mutants), batch):
            group = mutants[i:i + batch]
            r = slm(*base_args, *[p for p, _ in group], cwd=self.w)
            if r.returncode in (0, 1) and not r.timed_out:
                continue
            for path, label in group:
                r = slm(*base_args, path, cwd=self.w)
                with self.subTest(mutant=label):
                    self.assertFalse(r.timed_out, str(r))
                    self.assertGreaterEqual(r.returncode, 0, "crashed:%s" % r)
                    if r.returncode == 2:
                        self.assertTrue(any(m["code"] in IO_CODES for m in error_lines(r.output)), "exit 2:%s" % r)
                    else:
                        self.assertIn(r.returncode, (0, 1), str(r))

    def check_apply(self, parent, adapter, label, accepted):
        d = os.path.join(self.w, "apply-out")
        os.mkdir(d)
        try:
            out, lineage = os.path.join(d, "out.slm"), os.path.join(d, "lin.json")
            r = slm("adapter", "apply", "--parent", parent, adapter, "-o", out, "--lineage", lineage, cwd=self.w)
            with self.subTest(mutant=label, command="adapter apply"):
                self.assertFalse(r.timed_out, str(r))
                self.assertGreaterEqual(r.returncode, 0, "crashed:%s" % r)
                if r.returncode == 0:
                    self.assertEqual(sorted(os.listdir(d)), ["lin.json", "out.slm"], str(r))
                    with open(lineage) as f:
                        json.load(f)
                    kept = os.path.join(self.w, "accepted-%d.slm" % len(accepted))
                    os.rename(out, kept)
                    accepted.append((kept, label))
                else:
                    if r.returncode == 2:
                        self.assertTrue(any(m["code"] in IO_CODES for m in error_lines(r.output)), "exit 2:%s" % r)
                    self.assertIn(r.returncode, (1, 2), str(r))
                    self.assertEqual(os.listdir(d), [], "a failed apply left files:%s" % r)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_mutations(self):
        before = {n: hashlib.sha256(b).hexdigest() for n, b in self.files.items()}
        models = self.make_mutants("tiny.slm", self.PER_MODEL, 256, ".slm")
        adapters = {name: self.make_mutants(name, self.PER_ADAPTER, 192, os.path.splitext(name)[1]) for _, name in KINDS}
        mutants_before = snapshot(self.mdir)
        self.check_verdicts(["validate", "--json"], models)
        self.check_verdicts(["validate", "--json", "--digest"], models)
        accepted = []
        for path, label in models:
            r = slm("adapter", "validate", "--parent", path, "dense.adp", "sparse.asp", "lowrank.alr", cwd=self.w)
            with self.subTest(mutant=label, command="adapter validate --parent"):
                self.assertFalse(r.timed_out, str(r))
                self.assertIn(r.returncode, (0, 1), str(r))
            self.check_apply(path, "dense.adp", label, accepted)
        for name, mutants in adapters.items():
            self.check_verdicts(["adapter", "validate", "--parent", "tiny.slm"], mutants)
            for path, label in mutants:
                self.check_apply("tiny.slm", path, label, accepted)
        # every committed output is a complete, valid package
        for i in range(0, len(accepted), 40):
            group = accepted[i:i + 40]
            r = slm("validate", "--digest", *[p for p, _ in group], cwd=self.w)
            self.assertEqual(r.returncode, 0, "an accepted apply wrote an invalid package: %s%s" % ([l for _, l in group], r))
        after = {n: sha256_file(self.p(n)) for n in self.files}
        self.assertEqual(before, after, "an input changed")
        self.assertUnchanged(mutants_before, snapshot(self.mdir), "(the mutated inputs)")


# ---------------------------------------------------------------------------------------------
# 9. Concurrent writers of one output: the result is exactly one writer's complete file.

class ConcurrentWriterTest(HostileCase):
    FIXTURES = ()

    def test_eight_writers_one_output(self):
        expected = {}
        for k in range(1, 9):
            path = self.p("expected-%d.slm" % k)
            must("gen", "model", "--preset", "tiny", "--seed", str(k), "-o", path)
            expected[sha256_file(path)] = k
        self.assertEqual(len(expected), 8, "the eight seeds must give eight different models")
        target = self.p("same.slm")
        for round_ in range(4):
            with self.subTest(round=round_, target_existed=os.path.exists(target)):
                procs = [Proc(["gen", "model", "--preset", "tiny", "--seed", str(k), "-o", "same.slm"], cwd=self.w)
                         for k in range(1, 9)]
                results = wait_all(procs)
                for r in results:
                    self.assertEqual(r.returncode, 0, str(r))
                self.assertIn(sha256_file(target), expected, "same.slm is none of the eight models")
                names = sorted(os.listdir(self.w))
                self.assertEqual(names, sorted(["same.slm"] + ["expected-%d.slm" % k for k in range(1, 9)]),
                                 "temporary files left behind")
                r = slm("validate", "--digest", "same.slm", cwd=self.w)
                self.assertEqual(r.returncode, 0, str(r))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
