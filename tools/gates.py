#!/usr/bin/env python3
"""Quality gates of genesyscloud.sso, run by the Makefile.

Usage: python tools/gates.py GATE [GATE ...]   (or ``all``)

Every gate runs even when an earlier one failed; the script ends with a table
of gates and one closing line ``total: N passed, M failed`` where N and M count
the individual tests (pytest / ansible-test test cases, sanity tests, lint and
build checks) of every gate run, and exits non-zero when anything failed.

It needs the venv (``make venv``) and is started with the venv's Python.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'devkit'))
from genesys_devkit.ansible_env import ansible_env  # noqa: E402  pylint: disable=wrong-import-position
from genesys_devkit.collections import ensure_collections_link  # noqa: E402  pylint: disable=wrong-import-position
from genesys_devkit.paths import venv_bin  # noqa: E402,F401  pylint: disable=wrong-import-position

VENV = os.path.join(ROOT, '.venv')
VENV312 = os.path.join(ROOT, '.venv312')
BUILD = os.path.join(ROOT, 'build')
JUNIT = os.path.join(BUILD, 'junit')
COPY_ROOT = os.path.join(BUILD, 'ansible_collections')
COPY = os.path.join(COPY_ROOT, 'genesyscloud', 'sso')
LINKS = os.path.join(ROOT, '.collections')
MODULES = ['genesys_token', 'genesys_oauth_check', 'genesys_identity_provider', 'genesys_identity_provider_info',
           'genesys_platform_probe']
# Not collection content: never copied into the ansible-test tree.
NOT_COLLECTION = ('emulator/', 'bench/', 'tools/', 'devkit/', '.ci/', 'tests/e2e/', 'tests/reliability/', 'docs/')
PY311 = '3.11'


def env_for(venv=VENV, **extra):
    """The dev kit's Ansible environment for ``venv`` (its bin first on PATH, its python), plus VIRTUAL_ENV."""
    env = ansible_env(dict(dict(VIRTUAL_ENV=venv, PYENV_VERSION=None), **extra), collections_path=LINKS,
                      python=venv_bin('python', venv), bin_dir=os.path.join(venv, 'bin'), stdout_callback=None)
    return env


class Gate:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.seconds = 0.0
        self.note = ''

    @property
    def ok(self):
        return self.failed == 0


def run(cmd, cwd=ROOT, env=None, timeout=1800, capture=False):
    """Run a command, streaming its output; returns (rc, output or '')."""
    print('+ ' + ' '.join(cmd), flush=True)
    if capture:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env or env_for(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        out = []
        deadline = time.time() + timeout
        for line in proc.stdout:
            sys.stdout.write(line)
            out.append(line)
            if time.time() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                out.append('TIMEOUT after %ss\n' % timeout)
                break
        rc = proc.wait()
        sys.stdout.flush()
        return rc, ''.join(out)
    try:
        return subprocess.run(cmd, cwd=cwd, env=env or env_for(), timeout=timeout).returncode, ''
    except subprocess.TimeoutExpired:
        return 124, ''


def junit_counts(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            continue
        suites = [root] if root.tag == 'testsuite' else root.iter('testsuite')
        for suite in suites:
            tests = int(suite.get('tests', 0))
            f = int(suite.get('failures', 0)) + int(suite.get('errors', 0))
            s = int(suite.get('skipped', 0))
            passed += tests - f - s
            failed += f
            skipped += s
    return passed, failed, skipped


def score_junit(g, rc, paths, empty_note):
    """Count a gate's tests from junit XML; a non-zero rc with no failed test, or no test at all, fails it."""
    g.passed, g.failed, g.skipped = junit_counts(paths)
    if rc and not g.failed:
        g.failed += 1
    if g.passed == 0:
        g.failed += 1
        g.note = empty_note


# --------------------------------------------------------------------------- tree

def collection_files():
    out = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split('\n')
    files = []
    for rel in out:
        if not rel or rel.startswith(NOT_COLLECTION) or rel.startswith('.'):
            if rel not in ('.ansible-lint', '.yamllint', '.python-version'):
                continue
        if os.path.isfile(os.path.join(ROOT, rel)):
            files.append(rel)
    return files


def sync_copy():
    """Copy the collection content to build/ansible_collections/genesyscloud/sso (real path)."""
    keep_output = os.path.join(COPY, 'tests', 'output')
    if os.path.isdir(COPY):
        for entry in os.listdir(COPY):
            path = os.path.join(COPY, entry)
            if entry == '.git':
                continue
            if entry == 'tests':
                for sub in os.listdir(path):
                    if sub != 'output':
                        p = os.path.join(path, sub)
                        shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
                continue
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    os.makedirs(COPY, exist_ok=True)
    for rel in collection_files():
        dst = os.path.join(COPY, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), dst)
    os.makedirs(keep_output, exist_ok=True)
    # The copy lives under the repo's ignored build/: give it its own (empty) git repo so
    # ansible-test does not see it as ignored content of the outer one. The .gitignore keeps
    # ansible-test's own output out of the tested files.
    if not os.path.isdir(os.path.join(COPY, '.git')):
        subprocess.run(['git', 'init', '-q', COPY], check=True)
    with open(os.path.join(COPY, '.gitignore'), 'w') as fh:
        fh.write('tests/output/\ntests/integration/inventory\ntests/integration/integration_config.yml\n')


def ensure_links():
    ensure_collections_link(LINKS, replace=True)


def ensure_pip_shim():
    cache = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache, exist_ok=True)
    for name in ('get_pip_24_2.py', 'get_pip_25_2.py'):
        shutil.copy2(os.path.join(ROOT, 'tools', 'get_pip_shim.py'), os.path.join(cache, name))


def ansible_test(args, venv=VENV, python=PY311):
    sync_copy()
    ensure_pip_shim()
    env = env_for(venv)
    env.pop('ANSIBLE_COLLECTIONS_PATH', None)
    return run([venv_bin('ansible-test', venv)] + args + ['--python', python], cwd=COPY, env=env, capture=True)


# --------------------------------------------------------------------------- gates

def gate_sanity(g, venv=VENV, python=PY311):
    if not shutil.which('shellcheck'):
        g.note = 'shellcheck missing (apt-get install shellcheck)'
        g.failed += 1
    rc, out = ansible_test(['sanity', '--local'], venv, python)
    names = re.findall(r'Running sanity test "([^"]+)"', out)
    failed_names = set(re.findall(r'^ERROR: Found \d+ ([\w-]+) issue', out, re.M))
    g.failed += len(failed_names) or (1 if rc else 0)
    g.passed += max(len(names) - len(failed_names), 0)


def gate_units(g, venv=VENV, python=PY311):
    junit_dir = os.path.join(COPY, 'tests', 'output', 'junit')
    for f in glob.glob(os.path.join(junit_dir, '*units*.xml')):
        os.remove(f)
    rc, _ = ansible_test(['units', '--local'], venv, python)
    score_junit(g, rc, glob.glob(os.path.join(junit_dir, '*units*.xml')), 'no unit test ran')


def gate_integration(g, venv=VENV, python=PY311):
    from genesys_devkit.emulator import Emulator  # pylint: disable=import-outside-toplevel
    seed = os.path.join(ROOT, 'tests', 'integration', 'emulator-seed.yml')
    sync_copy()
    with Emulator(seed=seed) as emu:
        config = {
            'genesys_emulator_url': emu.url,
            'genesys_emulator_ca_path': emu.ca_path,
        }
        import yaml  # pylint: disable=import-outside-toplevel
        with open(seed) as fh:
            seed_data = yaml.safe_load(fh)
        org = seed_data['orgs'][0]
        config['genesys_org_name'] = org['name']
        for role, client in zip(('admin', 'bot'), org['clients']):
            config['genesys_%s_client_id' % role] = client['id']
            config['genesys_%s_client_secret' % role] = client['secret']
        with open(os.path.join(COPY, 'tests', 'integration', 'integration_config.yml'), 'w') as fh:
            json.dump(config, fh)
        targets = sorted(os.listdir(os.path.join(COPY, 'tests', 'integration', 'targets')))
        # not ansible_test(): it would re-sync the copy and drop the config file written above
        ensure_pip_shim()
        env = env_for(venv)
        env.pop('ANSIBLE_COLLECTIONS_PATH', None)
        rc, out = run([venv_bin('ansible-test', venv), 'integration', '--local', '--python', python], cwd=COPY, env=env,
                      capture=True)
    ran = re.findall(r'^Running ([\w-]+) integration test role', out, re.M)
    if rc:
        g.failed += 1
        g.passed += max(len(ran) - 1, 0)
    else:
        g.passed += len(ran)
    g.note = '%d targets: %s' % (len(targets), ', '.join(targets))
    if not ran:
        g.failed += 1


def pytest_gate(g, name, paths, extra=()):
    os.makedirs(JUNIT, exist_ok=True)
    xml = os.path.join(JUNIT, name + '.xml')
    if os.path.exists(xml):
        os.remove(xml)
    present = [p for p in paths if os.path.exists(os.path.join(ROOT, p))]
    if not present:
        g.failed += 1
        g.note = 'missing: ' + ', '.join(paths)
        return
    ensure_links()
    rc, _ = run([venv_bin('python'), '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--durations=10', '--junitxml', xml] + list(extra) + present)
    score_junit(g, rc, [xml], 'no test ran')


def gate_emulator(g):
    pytest_gate(g, 'emulator', ['emulator/tests'], ['-n', '2'])


def gate_devkit(g):
    """The dev kit's own tests (devkit/tests: env, links, seeds, certificates, launcher, one run per runner mode) and
    the benchmark's (bench/tests: each peer's request list against the emulator, the fleet plan, the verdicts)."""
    pytest_gate(g, 'devkit', ['devkit/tests', 'bench/tests'], ['-n', '2'])


def gate_e2e(g):
    pytest_gate(g, 'e2e', ['tests/e2e'], ['-n', '2'])


def gate_reliability(g):
    pytest_gate(g, 'reliability', ['tests/reliability'], ['-n', '2'])


def gate_lint(g):
    ensure_links()
    checks = [
        ('ansible-lint', [venv_bin('ansible-lint'), '--offline', '--profile', 'production']),
        ('antsibull-changelog lint', [venv_bin('antsibull-changelog'), 'lint']),
        ('antsibull-docs lint', [venv_bin('antsibull-docs'), 'lint-collection-docs', '--plugin-docs',
                                 '--validate-collection-refs', 'self', '.']),
    ]
    # ansible-lint --offline caches in $ANSIBLE_HOME (default ~/.ansible) and prepends its collections dir to the
    # collections path: a copy of this collection left in ~/.ansible/collections by anything else would shadow the
    # working tree (a stale copy without a new filter fails the syntax check). The repo's own, git-ignored .ansible/
    # keeps the gate independent of the user's home.
    env = env_for(ANSIBLE_HOME=os.path.join(ROOT, '.ansible'))
    bad = []
    for name, cmd in checks:
        rc, _ = run(cmd, env=env)
        if rc:
            g.failed += 1
            bad.append(name)
        else:
            g.passed += 1
    g.note = ('failed: ' + ', '.join(bad)) if bad else ''


def gate_molecule(g):
    ensure_links()
    rc, _ = run([venv_bin('molecule'), 'test', '-s', 'default'], env=env_for(), timeout=900)
    if rc:
        g.failed += 1
    else:
        g.passed += 1


def gate_build(g):
    """Build the artifact, install it into a temp path, ansible-doc every module and the role."""
    dist = os.path.join(BUILD, 'dist')
    shutil.rmtree(dist, ignore_errors=True)
    os.makedirs(dist)
    rc, _ = run([venv_bin('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', dist])
    g.passed, g.failed = (g.passed + 1, g.failed) if rc == 0 else (g.passed, g.failed + 1)
    tarballs = glob.glob(os.path.join(dist, '*.tar.gz'))
    if rc or not tarballs:
        g.failed += 1
        return
    # the artifact must hold only collection content
    listing = subprocess.run(['tar', 'tzf', tarballs[0]], capture_output=True, text=True).stdout.split()
    leaked = [p for p in listing if p.startswith(('emulator/', 'bench/', 'devkit/', '.venv', 'tests/output', 'tools/',
                                                  '.collections'))]
    if leaked:
        print('artifact holds non-collection content: %s' % leaked[:5])
        g.failed += 1
    else:
        g.passed += 1
    inst = tempfile.mkdtemp(prefix='gcsso-inst-')
    try:
        rc, _ = run([venv_bin('ansible-galaxy'), 'collection', 'install', '--force', '-p', inst, tarballs[0]])
        g.passed, g.failed = (g.passed + 1, g.failed) if rc == 0 else (g.passed, g.failed + 1)
        env = env_for(ANSIBLE_COLLECTIONS_PATH=inst)
        for mod in MODULES:
            rc, out = run([venv_bin('ansible-doc'), 'genesyscloud.sso.' + mod], env=env, capture=True)
            ok = rc == 0 and 'EXAMPLES' in out and 'RETURN VALUES' in out
            g.passed, g.failed = (g.passed + 1, g.failed) if ok else (g.passed, g.failed + 1)
        rc, out = run([venv_bin('ansible-doc'), '-t', 'role', 'genesyscloud.sso.saml_sso'], env=env, capture=True)
        g.passed, g.failed = (g.passed + 1, g.failed) if rc == 0 and 'saml_sso_provider' in out else (g.passed, g.failed + 1)
    finally:
        shutil.rmtree(inst, ignore_errors=True)


def gate_docs(g):
    """Build the HTML docsite with antsibull-docs, offline (no intersphinx)."""
    dest = os.path.join(BUILD, 'docsite')
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest, mode=0o755)
    os.chmod(dest, 0o755)
    ensure_links()
    rc, _ = run([venv_bin('antsibull-docs'), 'sphinx-init', '--use-current', '--dest-dir', dest,
                 '--lenient', 'genesyscloud.sso'])
    if rc:
        g.failed += 1
        return
    conf = os.path.join(dest, 'conf.py')
    with open(conf) as fh:
        text = fh.read()
    text = re.sub(r'intersphinx_mapping\s*=\s*\{.*?\n\}', 'intersphinx_mapping = {}', text, flags=re.S)
    text += '\nintersphinx_mapping = {}\n'
    with open(conf, 'w') as fh:
        fh.write(text)
    build_sh = os.path.join(dest, 'build.sh')
    with open(build_sh) as fh:
        script = fh.read().replace(' -W ', ' ').replace(' -W\n', '\n')
    with open(build_sh, 'w') as fh:
        fh.write(script)
    rc, _ = run(['bash', build_sh], cwd=dest, env=env_for())
    html = os.path.join(dest, 'build', 'html')
    expected = ['collections/genesyscloud/sso/%s_module.html' % m for m in MODULES]
    expected.append('collections/genesyscloud/sso/saml_sso_role.html')
    missing = [e for e in expected if not os.path.exists(os.path.join(html, e))]
    if rc or missing:
        g.failed += 1
        g.note = 'missing pages: %s' % missing if missing else 'build failed'
    else:
        g.passed += 1
        g.note = 'HTML in %s' % html


def gate_bench_smoke(g):
    rc, _ = run([venv_bin('python'), 'bench/run.py', '--quick'], timeout=600)
    g.passed, g.failed = (1, 0) if rc == 0 else (0, 1)


def gate_py312(g):
    """Second leg: sanity + units + integration on the newest ansible-core 2.21 with Python 3.12."""
    if not os.path.exists(venv_bin('ansible-test', VENV312)):
        g.note = 'skipped: no Python 3.12 venv (make venv312: needs pyenv 3.12)'
        g.skipped += 1
        return
    for sub, fn in (('sanity', gate_sanity), ('units', gate_units), ('integration', gate_integration)):
        sg = Gate(sub)
        fn(sg, VENV312, '3.12')
        g.passed += sg.passed
        g.failed += sg.failed
        g.note += '%s %d/%d; ' % (sub, sg.passed, sg.passed + sg.failed)


GATES = {
    'sanity': gate_sanity,
    'units': gate_units,
    'integration': gate_integration,
    'emulator': gate_emulator,
    'devkit': gate_devkit,
    'e2e': gate_e2e,
    'reliability': gate_reliability,
    'lint': gate_lint,
    'molecule': gate_molecule,
    'build': gate_build,
    'docs': gate_docs,
    'bench-smoke': gate_bench_smoke,
    'py312': gate_py312,
}
ALL = ['lint', 'sanity', 'units', 'emulator', 'devkit', 'integration', 'e2e', 'reliability', 'molecule', 'build', 'docs', 'py312']


def main(argv):
    names = argv or ['all']
    if names == ['all']:
        names = ALL
    unknown = [n for n in names if n not in GATES]
    if unknown:
        print('unknown gate(s): %s; known: %s' % (', '.join(unknown), ', '.join(GATES)))
        return 2
    ensure_links()
    results = []
    for name in names:
        g = Gate(name)
        start = time.time()
        print('\n===== gate: %s =====' % name, flush=True)
        try:
            GATES[name](g)
        except Exception as exc:  # a broken gate is a failed gate, and the others still run
            g.failed += 1
            g.note = 'gate crashed: %r' % (exc,)
        g.seconds = time.time() - start
        results.append(g)
    print('\n===== summary =====')
    print('%-12s %8s %8s %8s %8s  %s' % ('gate', 'passed', 'failed', 'skipped', 'seconds', 'note'))
    for g in results:
        print('%-12s %8d %8d %8d %8.1f  %s' % (g.name, g.passed, g.failed, g.skipped, g.seconds, g.note))
    passed = sum(g.passed for g in results)
    failed = sum(g.failed for g in results)
    skipped = sum(g.skipped for g in results)
    print('total: %d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
