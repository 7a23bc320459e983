#!/usr/bin/env python3
"""The WASM demo page (wasm/demo/) in headless Chromium, checked against the native `slm`.

Stages the page (scripts/stage-wasm-demo) into a temporary directory, serves it on 127.0.0.1 with
`python3 -m http.server`, loads it with `chromium --headless --dump-dom`, reads the JSON of
<pre id="results"> and asserts that:
  - the page finished without errors and its own checks passed;
  - the model's identity is the one conformance/cases/eval/hello-parent/expected.json pins;
  - every token the page generated (streamed, parent, descendant, dense fix) equals the native
    `slm generate MODEL [--adapter ...] --prompt P --max-tokens N --json`, stop reasons and texts too;
  - the lineage equals the one `slm adapter apply --lineage` writes;
  - each bad adapter was refused with the code, rule and offset `slm adapter validate --json` gives;
  - diagnostics are present and agree with the native ones on the sizes;
then takes a screenshot of the page. Standard library only. Exits 1 with a message on failure
(Chromium missing included).

Usage: python3 tests/wasm_page/test_page.py --slm build/default/bin/slm \
         --wasm build/wasm/bin/slm_wasm.wasm --screenshot reports/wasm/demo.png
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'lib'))
from chromium_page import Failure, check, chromium_cmd, page_results, run, serve  # noqa: E402
PARENT_CASE = os.path.join(ROOT, 'conformance', 'cases', 'eval', 'hello-parent', 'expected.json')
WINDOW = '1280,1800'


def native_generate(slm, model, prompt, max_tokens, adapters=()):
    cmd = [slm, 'generate', model, '--prompt', prompt, '--max-tokens', str(max_tokens), '--json']
    for a in adapters:
        cmd += ['--adapter', a]
    proc = run(cmd)
    check(proc.returncode == 0, f'{" ".join(cmd)} failed ({proc.returncode}): {proc.stderr}')
    return json.loads(proc.stdout)


def native_validate(slm, parent, adapter):
    proc = run([slm, 'adapter', 'validate', '--json', '--parent', parent, adapter])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def same_generation(label, page, native):
    check(page['tokens'] == native['tokens'],
          f'{label}: the page generated {page["tokens"]}, native slm {native["tokens"]}')
    check(page['text'] == native['text'], f'{label}: text {page["text"]!r} != native {native["text"]!r}')
    check(page['stop_reason'] == native['stop_reason'],
          f'{label}: stop reason {page["stop_reason"]} != native {native["stop_reason"]}')


def verify(results, slm, web, work):
    check(not results.get('errors'), f'the page reported errors: {results.get("errors")}')
    check(results.get('ok') is True, 'the page\'s own checks did not all pass (see its claims)')
    n = results['max_tokens']
    parent = os.path.join(web, 'parent.slm')
    fix = os.path.join(web, 'fix.asp')
    dense = os.path.join(web, 'fix.adp')

    # The model: identity as the conformance case pins it.
    with open(PARENT_CASE) as f:
        pinned = json.load(f)['expect']['sidecar']['model']['identity']
    check(results['model']['identity'] == pinned,
          f'model identity {results["model"]["identity"]} != conformance case {pinned}')
    check(results['model']['file_bytes'] == os.path.getsize(parent), 'file_bytes is not parent.slm\'s size')
    check(results['model']['hyperparameters']['vocab_size'] > 0, 'no hyperparameters')

    # Tokens: the streamed generation, then parent and descendant for each prompt, then the dense fix.
    stream = results['stream']
    native = native_generate(slm, parent, stream['prompt'], n)
    same_generation(f'streamed {stream["prompt"]!r}', stream, native)
    check(len(stream['tokens']) > 0, 'the stream produced no tokens')
    compared = 1
    changed = []
    for g in results['generations']:
        same_generation(f'parent {g["prompt"]!r}', g['parent'], native_generate(slm, parent, g['prompt'], n))
        same_generation(f'descendant {g["prompt"]!r}', g['descendant'],
                        native_generate(slm, parent, g['prompt'], n, [fix]))
        compared += 2
        if g['parent']['tokens'] != g['descendant']['tokens']:
            changed.append(g['prompt'])
    check(changed, 'the fix adapter changed no answer')
    prompt = changed[0]
    d = native_generate(slm, parent, prompt, n, [dense])
    check(results['dense']['tokens'] == d['tokens'], f'dense fix: page {results["dense"]["tokens"]} != native {d["tokens"]}')
    compared += 1

    # Lineage as the native apply writes it.
    lineage_file = os.path.join(work, 'lineage.json')
    proc = run([slm, 'adapter', 'apply', '--parent', parent, fix, '-o', os.path.join(work, 'descendant.slm'),
                '--lineage', lineage_file])
    check(proc.returncode == 0, f'slm adapter apply failed: {proc.stderr}')
    with open(lineage_file) as f:
        native_lineage = json.load(f)
    check(results['lineage'] == native_lineage, f'lineage {results["lineage"]} != native {native_lineage}')

    # Refusals: the same code, rule and offset as native validation of the same bytes.
    refused = results.get('refused') or []
    check(len(refused) >= 2, f'expected two refused adapters, the page shows {len(refused)}')
    for r in refused:
        src = os.path.join(web, r['file'])
        if r.get('flip_offset') is not None:
            with open(src, 'rb') as f:
                data = bytearray(f.read())
            data[r['flip_offset']] ^= 0x01
            src = os.path.join(work, f'{r["name"]}.bin')
            with open(src, 'wb') as f:
                f.write(data)
        v = native_validate(slm, parent, src)
        check(not v['ok'], f'{r["name"]}: native slm accepts it, the page should not have shown a refusal')
        check(r.get('code') == v['code'], f'{r["name"]}: refused with {r.get("code")}, native code {v["code"]}')
        check(r.get('rule') == v['rule'], f'{r["name"]}: rule {r.get("rule")} != native {v["rule"]}')
        check(r.get('offset') == v['offset'], f'{r["name"]}: offset {r.get("offset")} != native {v["offset"]}')
    codes = {r['name']: r['code'] for r in refused}
    check(codes.get('flipped-byte') == 'E_ADP_CHECKSUM', f'flipped byte: expected E_ADP_CHECKSUM, got {codes.get("flipped-byte")}')
    check(codes.get('other-parent') == 'E_ADP_PARENT_DIGEST', f'other parent: expected E_ADP_PARENT_DIGEST, got {codes.get("other-parent")}')
    after = results['after_refusal']
    check(after['lineage_unchanged'], 'the refused apply changed the descendant\'s lineage (RT-ABI-001)')
    a = native_generate(slm, parent, after['prompt'], n, [fix])
    check(after['tokens'] == a['tokens'], f'after the refusal the descendant generated {after["tokens"]}, native {a["tokens"]}')

    # Diagnostics: present, and the sizes equal the native ones (seconds differ by nature).
    diag = results.get('diagnostics')
    check(isinstance(diag, dict) and diag, 'no diagnostics on the page')
    for key in ('prompt_tokens', 'generated_tokens', 'kv_cache_bytes', 'model_bytes', 'tensors_by_dtype', 'adapter_count'):
        check(diag.get(key) == native['diagnostics'].get(key), f'diagnostics {key}: page {diag.get(key)}, native {native["diagnostics"].get(key)}')
    check(results.get('descendant_diagnostics', {}).get('adapter_count') == 1, 'descendant diagnostics: adapter_count is not 1')
    return compared, [r['code'] for r in refused]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--slm', default=os.path.join(ROOT, 'build/default/bin/slm'))
    ap.add_argument('--wasm', default=os.path.join(ROOT, 'build/wasm/bin/slm_wasm.wasm'))
    ap.add_argument('--screenshot', default=os.path.join(ROOT, 'reports/wasm/demo.png'), help="PNG to write ('' for none)")
    ap.add_argument('--chromium', default='chromium')
    ap.add_argument('--budget-ms', type=int, default=30000, help='--virtual-time-budget')
    ap.add_argument('--keep', action='store_true', help='keep the staged directory')
    args = ap.parse_args()
    started = time.monotonic()

    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f'FAIL: {args.chromium} not found: install Debian\'s chromium (scripts/install-deps test)', file=sys.stderr)
        return 1
    slm = os.path.abspath(args.slm)
    for path, hint in ((slm, 'make build'), (os.path.abspath(args.wasm), 'make wasm-build')):
        if not os.path.exists(path):
            print(f'FAIL: {path} does not exist ({hint})', file=sys.stderr)
            return 1

    work = tempfile.mkdtemp(prefix='slm-wasm-page-')
    web = os.path.join(work, 'web')
    server = None
    try:
        proc = run([os.path.join(ROOT, 'scripts', 'stage-wasm-demo'), '--slm', slm, '--wasm', os.path.abspath(args.wasm), web])
        check(proc.returncode == 0, f'scripts/stage-wasm-demo failed:\n{proc.stdout}{proc.stderr}')
        server, url = serve(web)
        results = page_results(chromium, url, work, args.budget_ms)
        compared, codes = verify(results, slm, web, work)
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
        print(f'PASS: the WASM demo page matches native slm: {compared} generations token for token, '
              f'refusals {", ".join(codes)}, lineage and diagnostics '
              f'({time.monotonic() - started:.1f} s{"; screenshot " + args.screenshot if args.screenshot else ""})')
        return 0
    except Failure as e:
        print(f'FAIL: {e}', file=sys.stderr)
        return 1
    except (subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, TypeError) as e:
        print(f'FAIL: {type(e).__name__}: {e}', file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        if args.keep:
            print(f'staged page kept in {web}', file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
