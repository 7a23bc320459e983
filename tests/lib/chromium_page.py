"""Headless Chromium over a static folder, shared by the page tests (tests/wasm_page, tests/site):
serve the folder on 127.0.0.1, dump the DOM with a virtual time budget, read the page's
<pre id="results"> JSON. Standard library only."""
import html
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop('timeout', 180), **kw)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def serve(directory):
    """Starts python3 -m http.server on a free port; returns (process, base URL)."""
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1'],
                                cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f'http://127.0.0.1:{port}/'
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url + 'index.html', timeout=2) as r:
                    if r.status == 200:
                        return proc, url
            except OSError:
                time.sleep(0.1)
        proc.kill()
        proc.wait()
    raise Failure('could not start python3 -m http.server on a free port')


def chromium_cmd(chromium, profile, budget_ms, *extra):
    return [chromium, '--headless', '--no-sandbox', '--disable-gpu', f'--user-data-dir={profile}',
            '--no-first-run', '--disable-extensions', f'--virtual-time-budget={budget_ms}', *extra]


def page_results(chromium, url, work, budget_ms, attempts=3):
    """--dump-dom, then the JSON of <pre id="results">; retried if the page had not finished."""
    last = None
    for attempt in range(1, attempts + 1):
        profile = os.path.join(work, f'profile-dom-{attempt}')
        proc = run(chromium_cmd(chromium, profile, budget_ms, '--dump-dom', url + 'index.html'))
        check(proc.returncode == 0, f'chromium --dump-dom exited {proc.returncode}:\n{proc.stderr[-2000:]}')
        m = re.search(r'<pre id="results"[^>]*>(.*?)</pre>', proc.stdout, re.S)
        check(m is not None, 'the dumped DOM has no <pre id="results"> element')
        last = json.loads(html.unescape(m.group(1)))
        if last.get('done'):
            return last
        print(f'  the page had not finished after the virtual time budget (attempt {attempt}); retrying', file=sys.stderr)
    raise Failure(f'the page never finished (results: {json.dumps(last)[:500]})')
