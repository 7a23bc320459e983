#!/usr/bin/env python3
"""A misbehaving protocol runtime for the harness's own tests (spec/protocol.md). It answers like the
reference (by calling `slm validate --json`), except where told to misbehave:
  --crash-every N    exit abruptly instead of answering every Nth request
  --hang-every N     never answer every Nth request
  --garbage-every N  print a line that is not JSON instead of every Nth answer
  --wrong-seq        echo a wrong seq on every answer
  --status-not-text  answer {"seq": N, "status": false} (a fuzz_protocol finding: it crashed the runner)
  --no-hello         print nothing at start
  --skew-logits X    add X to every reported logit (tokenize and generate are answered by `slm protocol`)
  --skew-smallest X  add X to the smallest logit of each reported step only (a token far from the top 8)
  --nudge-ulp        move one logit of each reported step by one f32 ulp (within any tolerance, not bit-exact)
  --flip-last-token  add 1 to the last generated token id
  --name NAME        the name in the hello (control characters and long names test the runner)
  --daemon MARKER    at start, fork a child that calls setsid() and sleeps with MARKER in its argv
  --errored          answer every request {"status": "errored"}
  --flip-flags       report identity.flags with its lowest bit flipped
  --drop-last-token  leave out the last generated token
  --sleep S          sleep S seconds before every answer
  --wrong-step       report a failing stack's step one higher (adapter requests go to `slm protocol`)
  --offset-always    report offset 0 for a rejection whose code has no offset (null)
Usage: fake_runtime.py SLM_BINARY [options]"""
import argparse
import json
import os
import struct
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("slm")
ap.add_argument("--crash-every", type=int, default=0)
ap.add_argument("--hang-every", type=int, default=0)
ap.add_argument("--garbage-every", type=int, default=0)
ap.add_argument("--wrong-seq", action="store_true")
ap.add_argument("--status-not-text", action="store_true")
ap.add_argument("--no-hello", action="store_true")
ap.add_argument("--skew-logits", type=float, default=0.0)
ap.add_argument("--skew-smallest", type=float, default=0.0)
ap.add_argument("--nudge-ulp", action="store_true")
ap.add_argument("--flip-last-token", action="store_true")
ap.add_argument("--name", default="fake-runtime")
ap.add_argument("--daemon", default="")
ap.add_argument("--errored", action="store_true")
ap.add_argument("--flip-flags", action="store_true")
ap.add_argument("--drop-last-token", action="store_true")
ap.add_argument("--sleep", type=float, default=0.0)
ap.add_argument("--wrong-step", action="store_true")
ap.add_argument("--offset-always", action="store_true")
ap.add_argument("--generate-on-nonempty-prompt", action="store_true")
ap.add_argument("--tamper-eval", choices=["output", "set-digest", "gate"], default="")  # one wrong field of a sidecar  # misreads what makes apply generate
args = ap.parse_args()
if args.daemon and os.fork() == 0:
    os.setsid()  # leaves the runtime's process group: only a subreaper runner can still end it
    os.execvp("sleep", ["sleep", "3600", args.daemon])
reference = None  # `slm protocol`, started on the first tokenize or generate request


def ask_reference(request):
    global reference
    if reference is None:
        reference = subprocess.Popen([args.slm, "protocol"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        reference.stdout.readline()  # hello
    reference.stdin.write(json.dumps(request) + "\n")
    reference.stdin.flush()
    reply = json.loads(reference.stdout.readline())
    del reply["seq"]
    if "logits" in reply:
        # null is a non-finite logit (protocol.md 3): it stays null
        reply["logits"] = [[None if x is None else x + args.skew_logits for x in step] for step in reply["logits"]]
        for step in reply["logits"]:
            if args.skew_smallest and step:
                low = min((i for i in range(len(step)) if step[i] is not None), key=lambda i: step[i])
                step[low] += args.skew_smallest
            if args.nudge_ulp and step and step[0] is not None:
                bits = struct.unpack("<I", struct.pack("<f", step[0]))[0]
                step[0] = struct.unpack("<f", struct.pack("<I", bits + 1))[0]
    if args.flip_last_token and reply.get("tokens"):
        reply["tokens"][-1] += 1
    if args.drop_last_token and reply.get("tokens"):
        reply["tokens"].pop()
    if args.wrong_step and "step" in reply:
        reply["step"] += 1
    if args.tamper_eval and "sidecar" in reply:
        sidecar = reply["sidecar"]
        if args.tamper_eval == "output":
            sidecar["results"][-1]["output"] = sidecar["results"][-1].get("output", "") + "!"
        elif args.tamper_eval == "set-digest":
            sidecar["set"]["digest"] = "0" * 64
        else:
            sidecar["gate"]["passed"] = not sidecar["gate"]["passed"]
    return reply


def every(n, seq):
    return n > 0 and seq % n == 0


def answer(request):
    if args.generate_on_nonempty_prompt and request.get("op") == "apply_adapter" and request.get("prompt") == "":
        request = {k: v for k, v in request.items()
                   if k not in ("prompt", "max_tokens", "temperature", "top_k", "top_p", "seed", "logit_steps")}
    if request.get("op") != "validate":
        return ask_reference(request)
    cmd = [args.slm, "validate", "--json"] + (["--digest"] if request.get("verify_digest") else []) + [request["path"]]
    out = json.loads(subprocess.run(cmd, capture_output=True, text=True).stdout)
    if out["ok"]:
        if args.flip_flags:
            out["identity"]["flags"] ^= 1
        return {"status": "ok", "accepted": True, "identity": out["identity"]}
    return {"status": "ok", "accepted": False, "code": out["code"], "offset": out["offset"], "message": out["message"]}


if not args.no_hello:
    print(json.dumps({"type": "hello", "protocol": "slm-conform/1", "name": args.name, "version": "0",
                      "capabilities": ["validate", "tokenize", "generate"]}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    if request.get("op") == "bye":
        break
    seq = request["seq"]
    print(f"fake runtime: request {seq} of case {request.get('case')}", file=sys.stderr, flush=True)
    if args.sleep:
        time.sleep(args.sleep)
    if args.errored:
        print(json.dumps({"seq": seq, "status": "errored", "message": "not today"}), flush=True)
        continue
    if every(args.crash_every, seq):
        os._exit(3)
    if every(args.hang_every, seq):
        time.sleep(3600)
    if every(args.garbage_every, seq):
        print("this is not json {", flush=True)
        continue
    if args.status_not_text:
        print(json.dumps({"seq": seq, "status": False, "message": 1}), flush=True)
        continue
    reply = answer(request)
    if args.offset_always and reply.get("accepted") is False and reply.get("offset") is None:
        reply["offset"] = 0
    reply["seq"] = seq + 1 if args.wrong_seq else seq
    print(json.dumps(reply), flush=True)
