#!/usr/bin/env python3
"""The site kit (`slm site-kit`) and its page (site/) in headless Chromium, checked against the packet and the native `slm`.

Writes the kit twice with `slm site-kit -o DIR --wasm WASM` and checks that it is under 10 MiB, that
kit.json lists every file with its SHA-256 and size, and that the two trees are byte-identical.
Serves the kit on 127.0.0.1 (`python3 -m http.server`), loads index.html with
`chromium --headless --dump-dom --virtual-time-budget`, reads the JSON of <pre id="results"> and
asserts that:
  - the page finished the loop without errors and its own claims all passed;
  - it fetched and hashed every file kit.json lists;
  - every value it computed equals the release statement's (packet.json's DSSE payload, decoded
    here), field by field, and the native values: file SHA-256s (hashlib), the parent's identity
    (`slm inspect --json`), the adapter's content digest (`slm adapter inspect --json`), the
    descendant's identity and lineage (`slm adapter apply --json`), the sidecar's
    reproducible_digest (`slm eval` with the same policy and baseline), the streamed tokens
    (`slm generate --json --adapter`) and the diagnostics;
  - the tampered adapter was refused with the code, rule and offset of `slm adapter validate --json`
    (E_ADP_CHECKSUM), and the tampered packet fails `slm packet verify` with E_PKT_SIGNATURE while
    the packet verifies;
  - the builder's signature and the reviewer's approval verified in the page (WebCrypto Ed25519);
then takes a screenshot. Standard library only. Exits 1 with a message on any failure, including
a missing Chromium or a missing `slm site-kit` command: it never skips.

Usage: python3 tests/site/test_site.py --slm build/default/bin/slm \
         --wasm build/wasm/bin/slm_wasm.wasm --screenshot reports/site/site.png
"""
import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'lib'))
from chromium_page import Failure, check, chromium_cmd, page_results, run, serve  # noqa: E402
WINDOW = '1280,2600'
LIMIT = 10 * 1024 * 1024
PARENT, ADAPTER, TAMPERED = 'packages/parent.slm', 'adapters/fix-sparse.asp', 'adapters/fix-sparse.tampered.asp'
SET, POLICY, PARENT_SIDECAR = 'eval/hello.jsonl', 'eval/policy.json', 'evidence/parent.sidecar.json'
KEYS = ('keys/DEMO-builder.pub', 'keys/DEMO-reviewer.pub')


def sha256_file(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def tree(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            with open(p, 'rb') as f:
                out[os.path.relpath(p, root).replace(os.sep, '/')] = f.read()
    return out


def native_json(cmd, ok=(0,)):
    proc = run(cmd)
    check(proc.returncode in ok, f'{" ".join(cmd)} exited {proc.returncode}: {proc.stderr[-2000:]}')
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:  # one JSON object per line (adapter validate): the last one
        return json.loads(proc.stdout.strip().splitlines()[-1])


def make_kit(slm, wasm, work):
    """Two runs of slm site-kit: size, kit.json and byte-identical trees."""
    dirs = []
    for i in (1, 2):
        d = os.path.join(work, f'kit{i}')
        proc = run([slm, 'site-kit', '-o', d, '--wasm', wasm])
        check(proc.returncode == 0, f'slm site-kit -o {d} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}')
        dirs.append(d)
    a, b = tree(dirs[0]), tree(dirs[1])
    check(sorted(a) == sorted(b), f'two runs wrote different file lists: {sorted(set(a) ^ set(b))}')
    differ = [p for p in a if a[p] != b[p]]
    check(not differ, f'two runs of slm site-kit differ in {differ}')
    total = sum(len(v) for v in a.values())
    check(total < LIMIT, f'the kit is {total} bytes, not under 10 MiB')
    for need in ('index.html', 'site.mjs', 'slm.mjs', 'slm_wasm.wasm', 'README.md', 'kit.json', PARENT, 'packages/parent.json',
                 ADAPTER, TAMPERED, SET, POLICY, PARENT_SIDECAR, 'evidence/descendant-sparse.sidecar.json', 'evidence/scorecard.json',
                 'packet.json', 'verify.json', 'packet.tampered.json', 'verify.tampered.json', *KEYS):
        check(need in a, f'the kit has no {need}')
    with open(os.path.join(ROOT, 'site', 'index.html'), 'rb') as f:
        check(a['index.html'] == f.read(), 'the kit\'s index.html is not site/index.html')
    kit = json.loads(a['kit.json'])
    check(kit.get('slm_site_kit') == 1, 'kit.json: slm_site_kit is not 1')
    listed = {f['path']: f for f in kit['files']}
    for p, data in a.items():
        if p == 'kit.json':
            continue
        check(p in listed, f'kit.json does not list {p}')
        check(listed[p]['sha256'] == hashlib.sha256(data).hexdigest() and listed[p]['bytes'] == len(data), f'kit.json: wrong sha256 or bytes for {p}')
        if listed[p]['schema'] is not None:
            check(listed[p]['schema'] in a, f'kit.json: {p} names schema {listed[p]["schema"]}, which is not in the kit')
    check(set(listed) <= set(a), f'kit.json lists files that are not there: {sorted(set(listed) - set(a))}')
    return dirs[0], total, len(a)


def statement_of(kit):
    with open(os.path.join(kit, 'packet.json')) as f:
        packet = json.load(f)
    payload = base64.b64decode(packet['envelope']['payload'], validate=True)
    return json.loads(payload), hashlib.sha256(payload).hexdigest(), packet


def verify(results, slm, kit, work):
    check(not results.get('errors'), f'the page reported errors: {results.get("errors")}')
    check(results.get('ok') is True, 'the page\'s own claims did not all pass (see its header)')
    with open(os.path.join(kit, 'kit.json')) as f:
        kit_files = json.load(f)['files']
    check(results['kit']['files'] == len(kit_files) and results['kit']['intact'] == len(kit_files),
          f'the page checked {results["kit"]["intact"]}/{results["kit"]["files"]} of {len(kit_files)} files: {results["kit"]["mismatched"]}')

    st, packet_digest, packet = statement_of(kit)
    pred = st['predicate']
    ev = pred['evidence'][0]
    # What each value the page computed must be, read from the statement here (not from the page).
    claimed = {
        'parent_sha256': pred['parent']['sha256'],
        'parent_content_digest': pred['parent']['identity']['content_digest'],
        'parent_identity': pred['parent']['identity'],
        'adapter_sha256': pred['stack'][0]['sha256'],
        'adapter_content_digest': pred['stack'][0]['content_digest'],
        'adapter_kind': pred['stack'][0]['kind'],
        'descendant_identity': pred['descendant']['identity'],
        'descendant_content_digest': pred['descendant']['identity']['content_digest'],
        'descendant_file_bytes': pred['descendant']['file_bytes'],
        'lineage': pred['lineage'],
        'descendant_file_sha256': st['subject'][0]['digest']['sha256'],
        'set_sha256': ev['set']['sha256'],
        'set': {k: ev['set'][k] for k in ('name', 'digest', 'cases')},
        'policy_sha256': ev['policy']['sha256'],
        'sidecar_reproducible_digest': ev['sidecar']['reproducible_digest'],
        'sidecar_recomputed_digest': ev['sidecar']['reproducible_digest'],
        'sidecar_file_sha256': ev['sidecar']['file']['sha256'],
        'baseline': ev['sidecar']['reproducible']['baseline'],
        'gate': ev['verdict'],
        'scorecard_row': pred['scorecard']['rows'][0],
        'diagnostics.model_bytes': pred['diagnostics']['model_bytes'],
        'diagnostics.kv_cache_bytes': pred['diagnostics']['kv_cache_bytes'],
        'resources.scratch_bytes': pred['diagnostics']['scratch_bytes'],
        'diagnostics.tensors_by_dtype': pred['diagnostics']['tensors_by_dtype'],
        'diagnostics.adapter_count': pred['diagnostics']['adapter_count'],
        'packet_digest': packet_digest,
        'builder_signature': True,
        'reviewer_approval': True,
        'rollback_content_digest': pred['rollback']['parent_digest'],
    }
    rows = results['comparisons']
    seen = {r['key'] for r in rows}
    check(set(claimed) <= seen, f'the page did not compare {sorted(set(claimed) - seen)}')
    for r in rows:
        check(r['key'] in claimed, f'the page compared an unknown value {r["key"]}')
        check(r['page'] == claimed[r['key']], f'{r["what"]}: the page computed {r["page"]}, the packet claims {claimed[r["key"]]} ({r["field"]})')
        check(r['equal'] is True, f'{r["what"]}: the page marked it different')
    c = results['computed']
    check(c['scorecard_row']['gate'] is True and c['gate']['passed'] is True, 'the live gate did not pass')
    check(c['descendant_file_content_digest'] == c['descendant_content_digest'], 'packages/descendant-sparse.slm is not the live descendant')

    # Native values.
    p = lambda rel: os.path.join(kit, rel)
    check(c['parent_sha256'] == sha256_file(p(PARENT)), 'parent SHA-256 differs from hashlib\'s')
    check(c['adapter_sha256'] == sha256_file(p(ADAPTER)), 'adapter SHA-256 differs from hashlib\'s')
    check(c['set_sha256'] == sha256_file(p(SET)) and c['policy_sha256'] == sha256_file(p(POLICY)), 'set or policy SHA-256 differs from hashlib\'s')
    check(c['descendant_file_sha256'] == sha256_file(p('packages/descendant-sparse.slm')), 'descendant SHA-256 differs from hashlib\'s')
    inspect = native_json([slm, 'inspect', '--json', p(PARENT)])
    check(c['parent_identity'] == inspect['model']['identity'], f'parent identity {c["parent_identity"]} != slm inspect {inspect["model"]["identity"]}')
    ainspect = native_json([slm, 'adapter', 'inspect', '--json', p(ADAPTER)])
    check(c['adapter_content_digest'] == ainspect['adapter_digest'], f'adapter digest {c["adapter_content_digest"]} != slm adapter inspect {ainspect["adapter_digest"]}')
    applied = native_json([slm, 'adapter', 'apply', '--json', '--parent', p(PARENT), p(ADAPTER), '-o', os.path.join(work, 'descendant.slm')])
    check(c['descendant_identity'] == applied['identity'], f'descendant identity {c["descendant_identity"]} != native {applied["identity"]}')
    check(c['lineage'] == applied['lineage'], f'lineage {c["lineage"]} != native {applied["lineage"]}')
    sidecar_path = os.path.join(work, 'native.sidecar.json')
    proc = run([slm, 'eval', p(PARENT), p(SET), '--adapter', p(ADAPTER), '--policy', p(POLICY), '--baseline', p(PARENT_SIDECAR), '-o', sidecar_path])
    check(proc.returncode == 0, f'native slm eval failed ({proc.returncode}): {proc.stderr}')
    with open(sidecar_path) as f:
        native_sidecar = json.load(f)
    check(c['sidecar_reproducible_digest'] == native_sidecar['reproducible_digest'],
          f'the WASM sidecar digest {c["sidecar_reproducible_digest"]} != native {native_sidecar["reproducible_digest"]}')
    streams = results['steps']['stream']
    check(len(streams) >= 1 and all(s['tokens'] for s in streams), 'the page streamed no tokens')
    native = None
    for s in streams:
        native = native_json([slm, 'generate', p(PARENT), '--adapter', p(ADAPTER), '--prompt', s['prompt'], '--max-tokens', str(s['max_tokens']), '--json'])
        for k in ('tokens', 'text', 'stop_reason'):
            check(s[k] == native[k], f'streamed {s["prompt"]!r}: {k} {s[k]!r} != native {native[k]!r}')
    diag = results['steps']['diagnostics']
    for k in ('prompt_tokens', 'generated_tokens', 'model_bytes', 'kv_cache_bytes', 'scratch_bytes', 'tensors_by_dtype', 'adapter_count'):
        check(diag.get(k) == native['diagnostics'].get(k), f'diagnostics {k}: page {diag.get(k)}, native {native["diagnostics"].get(k)}')

    # Refusals: the tampered adapter and the tampered packet.
    r = results['refused']
    v = native_json([slm, 'adapter', 'validate', '--json', '--parent', p(PARENT), p(TAMPERED)], ok=(0, 1))
    check(not v['ok'], 'native slm accepts the tampered adapter')
    for k in ('code', 'rule', 'offset'):
        check(r.get(k) == v[k], f'tampered adapter: {k} {r.get(k)} != native {v[k]}')
    check(r['code'] == 'E_ADP_CHECKSUM', f'tampered adapter refused with {r["code"]}, expected E_ADP_CHECKSUM')
    check(r['apply']['code'] == r['code'] and r['descendant_unchanged'], 'the refused apply changed the descendant or gave another code')
    keys = [a for k in KEYS for a in ('--pubkey', p(k))]
    good = native_json([slm, 'packet', 'verify', p('packet.json'), *keys, '--require-approval', '--json'])
    check(good['verified'] and good['packet_digest'] == packet_digest, f'native verify of packet.json: {good["code"]}')
    bad = native_json([slm, 'packet', 'verify', p('packet.tampered.json'), *keys, '--json'], ok=(1,))
    t = results['tampered_packet']
    check(not bad['verified'] and bad['code'] == 'E_PKT_SIGNATURE', f'native verify of packet.tampered.json: {bad["code"]}')
    check(t['code'] == bad['code'] and t['verified'] is False, f'the page shows the tampered packet as {t}')
    check(t['signature_valid_in_page'] is False, 'the tampered packet\'s signature verified in the page (or was not checked)')
    sig = results['signatures']
    check(sig['webcrypto_ed25519'] is True, 'the page could not check Ed25519 signatures (WebCrypto)')
    check(any(s['valid'] for s in sig['release']) and any(rv['decision'] == 'approve' and rv['names_this_packet'] and any(s['valid'] for s in rv['signatures'])
                                                          for rv in sig['reviews']), 'the signatures did not verify in the page')
    check(len(packet['reviews']) == len(sig['reviews']), 'the page did not check every review')
    return len(rows), results.get('notes', [])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--slm', default=os.path.join(ROOT, 'build/default/bin/slm'))
    ap.add_argument('--wasm', default=os.path.join(ROOT, 'build/wasm/bin/slm_wasm.wasm'))
    ap.add_argument('--screenshot', default=os.path.join(ROOT, 'reports/site/site.png'), help="PNG to write ('' for none)")
    ap.add_argument('--chromium', default='chromium')
    ap.add_argument('--budget-ms', type=int, default=30000, help='--virtual-time-budget')
    ap.add_argument('--keep', action='store_true', help='keep the kit and the work directory')
    args = ap.parse_args()
    started = time.monotonic()

    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f'FAIL: {args.chromium} not found: install Debian\'s chromium (scripts/install-deps test)', file=sys.stderr)
        return 1
    slm, wasm = os.path.abspath(args.slm), os.path.abspath(args.wasm)
    for path, hint in ((slm, 'make build'), (wasm, 'make wasm-build')):
        if not os.path.exists(path):
            print(f'FAIL: {path} does not exist ({hint})', file=sys.stderr)
            return 1
    proc = run([slm, 'site-kit', '--help'])
    if proc.returncode != 0 or not re.search(r'^Usage: \S+ site-kit', proc.stdout, re.M):
        print(f'FAIL: {slm} has no site-kit command:\n{proc.stdout[:400]}{proc.stderr[:400]}', file=sys.stderr)
        return 1

    work = tempfile.mkdtemp(prefix='slm-site-')
    server = None
    try:
        kit, total, count = make_kit(slm, wasm, work)
        server, url = serve(kit)
        results = page_results(chromium, url, work, args.budget_ms)
        compared, notes = verify(results, slm, kit, work)
        if args.screenshot:
            shot = os.path.abspath(args.screenshot)
            os.makedirs(os.path.dirname(shot), exist_ok=True)
            if os.path.exists(shot):
                os.remove(shot)
            proc = run(chromium_cmd(chromium, os.path.join(work, 'profile-shot'), args.budget_ms,
                                    '--hide-scrollbars', f'--window-size={WINDOW}', f'--screenshot={shot}', url + 'index.html'))
            check(proc.returncode == 0 and os.path.exists(shot), f'chromium --screenshot failed:\n{proc.stderr[-2000:]}')
            with open(shot, 'rb') as f:
                check(f.read(8) == b'\x89PNG\r\n\x1a\n', f'{shot} is not a PNG')
        for n in notes:
            print(f'NOTE: {n["what"]}: runtime {n["runtime_diagnostics"]}, packet {n["packet"]}', file=sys.stderr)
        print(f'PASS: the site kit ({count} files, {total / 1048576:.2f} MiB, byte-identical twice) and its page: '
              f'{compared} values the page computed equal packet.json and native slm, tampered adapter '
              f'{results["refused"]["code"]}, tampered packet {results["tampered_packet"]["code"]}, signatures verified in the page '
              f'({time.monotonic() - started:.1f} s{"; screenshot " + args.screenshot if args.screenshot else ""})')
        return 0
    except Failure as e:
        print(f'FAIL: {e}', file=sys.stderr)
        return 1
    except (subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as e:
        print(f'FAIL: {type(e).__name__}: {e}', file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        if args.keep:
            print(f'kit and work directory kept in {work}', file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
