#!/usr/bin/env python3
"""Mutation testing of the safety-critical code (``make mutation``), with mutmut, in a throwaway copy.

What it mutates (single-expression mutants made by mutmut 3, pinned in requirements-dev.txt; FILES below; all in
``plugins/module_utils/``, the files of the restructure of issue 15):

* ``_genesys_provider_model.py``   the domain, every function (lockout guard and ``reduces_sign_in``, the post-write
  ``org_has_sign_in``, ids and paths, the provider URL check, comparison, plan, payloads, sanitising);
* ``_genesys_provider_options.py`` the option table;
* ``_genesys_provider_change.py``  the journaled change: guard, lock, backup/journal, write, guard after the write,
  verification, rollback, the custom-provider limit;
* ``_genesys_provider_backup.py``  the backup file and the restore checks (org, API host);
* ``_genesys_provider_input.py``   the input checks (directory options, the id, the probe paths), without the
  metadata/certificate helpers;
* ``_genesys_provider_read.py``    the reads (without the org read) and ``_genesys_provider_recovery.py`` the
  journal recovery; ``_genesys_identity_provider_core.py`` what is left of the core (``core``, ``_run``);
* ``_genesys_txn.py``              the journal and the per-org lock;
* ``_genesys_transport.py``        TLS defaults, the one https URL validator, retries, replay accounting, redirects
  refused, masking of answers;
* ``_genesys_client.py``           base URLs, token, re-authentication, masking; ``_genesys_grants.py`` the grant
  table; ``_genesys_api.py`` the API facade (paths, the error advice, unknown write outcomes);
* ``_genesys_common.py``           the secret masking (forms of a secret, masker, scrubbing).

``--safety-only`` mutates only SAFETY_FUNCTIONS (the functions whose survivors are listed one by one).
``--list`` runs nothing: it lists the targets and checks that every file, function, line pattern and
explained-survivor rule named here exists (each rule must match a mutant mutmut makes of its function); a run
refuses to start when one does not (devkit/tests/test_mutation_targets.py holds the same check).

The test command is the unit suite (``tests/unit``); mutmut runs, for each mutant, only the unit tests
that call the mutated function (it records that in a first, clean run).

Never in the work tree: the tracked files of ``--ref`` (default HEAD; ``--worktree`` takes the files as
they are in the work tree, uncommitted edits included) are exported into a new temporary directory
laid out as ``<tmp>/ansible_collections/genesyscloud/sso/`` (mutmut names a mutant after its file path
relative to where it runs, so the path must *be* the import path of the collection), mutmut makes its
``mutants/`` copy there, and the directory is removed at the end, also after Ctrl-C or a failure.
Nothing of the work tree is written except the report (``--report``, default docs/mutation.md, and the
marked score block of docs/reliability.md) at the end.

Bounded: ``nice -n 19``, ``--max-children`` workers (default 2), a wall-clock ``--budget`` (default
2400 s: mutmut is then interrupted, the mutants not tried count as "not checked"), mutmut's own CPU
limit per mutant (``--timeout-multiplier``: a mutant that loops is a "timeout").

Exit status: 0 when the run completed (survivors are reported, not failed on), 1 when mutmut could not
run (clean tests failing, a target missing, ...), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = 'ansible_collections/genesyscloud/sso'
MOD = 'ansible_collections.genesyscloud.sso.plugins.module_utils'
MUTMUT = os.path.join(os.path.dirname(sys.executable), 'mutmut')

MU = 'plugins/module_utils/'
IDP = MU + '_genesys_provider_model.py'
CHANGE = MU + '_genesys_provider_change.py'
BACKUP = MU + '_genesys_provider_backup.py'
INPUT = MU + '_genesys_provider_input.py'
READ = MU + '_genesys_provider_read.py'
RECOVERY = MU + '_genesys_provider_recovery.py'
OPTIONS = MU + '_genesys_provider_options.py'
CORE = MU + '_genesys_identity_provider_core.py'
TXN = MU + '_genesys_txn.py'
TRANSPORT = MU + '_genesys_transport.py'
CLI = MU + '_genesys_client.py'
GRANTS = MU + '_genesys_grants.py'
API = MU + '_genesys_api.py'
COM = MU + '_genesys_common.py'

# file -> (part, functions mutated, functions left out); fnmatch patterns on the function name (methods as
# Class.method).  The provider's metadata/certificate helpers (input side) and the org read (Reader.organization)
# are not safety code and are left out, as before the split of the provider core (issue 15).
# Every name here must exist: ``--list`` and devkit/tests/test_mutation_targets.py check it (check_targets).
FILES = collections.OrderedDict([
    (IDP, ('domain', ['*'], [])),
    (OPTIONS, ('provider option table', ['*'], [])),
    (CHANGE, ('provider change: guard, lock, journal, write, verify, rollback', ['*'], [])),
    (BACKUP, ('provider backup: file, restore checks', ['*'], ['_utcnow'])),
    (INPUT, ('provider input checks', ['*'], [
        'provider_options', 'label', 'apply_metadata', 'load_certs', '_read_metadata', '_metadata_name_id',
        '_metadata_api'])),
    (READ, ('provider reads', ['*'], ['Reader.organization'])),
    (RECOVERY, ('journal recovery', ['*'], [])),
    (CORE, ('provider core: entry', ['core', '_run'], [])),
    (TXN, ('journal and org lock', ['*'], [])),
    (TRANSPORT, ('transport: TLS, URL validator, retries, redirects', ['*'], [])),
    (CLI, ('client: base URLs, token, re-auth', ['*'], [])),
    (GRANTS, ('grant table', ['*'], [])),
    (API, ('API facade: paths, error advice, unknown outcomes', ['*'], [])),
    (COM, ('secret masking', [
        '_looks_like_credential', 'secret_forms', 'basic_credential', 'SecretMasker.*', 'scrub_text', 'scrub',
        'connection_secrets', 'report_secret', 'mask_output', 'RunContext.add_secret', 'RunContext.masker',
        '*mask*', '*secret*', '*scrub*'], [])),
])

# The survivors listed one by one in the report (each killed by a test or explained): the safety code of
# issue 13 E16 -- lockout guard, id/path building, backup/restore checks, masking, TLS defaults (and the URL checks
# and redirects of the resource layer). ``--safety-only`` mutates these functions only.
# file -> [(function pattern, regex the original line must match, or None)].
SAFETY_FUNCTIONS = collections.OrderedDict([
    (IDP, [(p, None) for p in (
        'lockout_check', 'is_enabled', 'reduces_sign_in', 'org_has_sign_in', 'classify_entity', 'provider_path',
        'validate_provider_id', '_segment', 'family_of', 'check_listing_entity', '_next_page_path', '_mask_userinfo',
        '_is_https_url', 'Plan.concurrent')]),
    (CHANGE, [(p, None) for p in (
        'Change.guard', 'Change.reduces_sign_in', 'Change.guard_after_write', 'Change.check_backup_target',
        'Change.clients_of_this_org', 'Change.admin_token_info', 'Change.final_verify')]),
    (BACKUP, [(p, None) for p in ('load_backup', 'org_matches', 'host_of', 'write_backup', 'slug')]),
    (INPUT, [('check_inputs', None)]),
    (TXN, [(p, None) for p in ('safe_segment', 'check_private_dir')]),
    (TRANSPORT, [
        ('Transport.__init__', r'verify|validate_certs|ca_path|CA_PATH'),
        ('Transport.send', r'allow_redirects|redirect|300 <= status|verify'),
        ('Transport.open_stream', r'allow_redirects|verify'),
        ('check_https_url', None), ('Transport.redirect_error', None), ('_location_host', None),
        ('_masked_body', None), ('*mask*', None)]),
    (CLI, [
        ('GenesysClient._resolve_urls', r'http|_check_base_url'), ('_check_base_url', None),
        ('GenesysClient.mask', None), ('GenesysClient._report_secret', None), ('GenesysClient._clean_token', None),
        ('*mask*', None)]),
    (COM, [('*', None)]),
])

BEGIN_RUN = '<!-- BEGIN mutation-run: written by tools/mutation.py (make mutation); do not edit inside -->'
END_RUN = '<!-- END mutation-run -->'
BEGIN_SCORE = '<!-- BEGIN mutation-score: written by tools/mutation.py; kept by tests/reliability/report.py -->'
END_SCORE = '<!-- END mutation-score -->'

STATUS_ORDER = ('killed', 'survived', 'timeout', 'no tests', 'suspicious', 'segfault', 'not checked',
                'skipped', 'check was interrupted by user', 'caught by type check')

# Known survivors of the safety code: (file, function pattern, regex on the mutated line, explanation).
# A survivor that matches none is listed as "NOT EXPLAINED" in the report.  Every rule must match a mutant that
# mutmut makes of a safety function of its file (check_targets: a rule left behind by a move matches nothing).
EXPLAINED = [
    (IDP, 'Plan.concurrent', r"restore_changed_fields\(None, read_back",
     'equivalent: the type only adds its field names to the compared set, and a field neither object holds compares '
     'equal (None and None)'),
    (IDP, 'org_has_sign_in', r"ptype != '(XXpurecloudXX|PURECLOUD)'",
     'equivalent: for ptype purecloud the function returns before `purecloud` is read, so entering the branch for '
     'it changes nothing'),
    (INPUT, 'check_inputs', r"validate_provider_id\(params\['id'\], \)",
     "equivalent: 'option id' is validate_provider_id's default source"),
    (TRANSPORT, 'check_https_url', r"parts\.query and parts\.fragment or '\?' in url",
     "equivalent: a query implies '?' in the URL and a fragment '#', which the same condition tests"),
    (CLI, '_check_base_url', r'userinfo=None, base=True',
     'equivalent: check_https_url tests `not userinfo`; None and False are both false'),
    (IDP, 'lockout_check', r"before = dict\(name='PureCloud'",
     'equivalent: the stand-in for the missing purecloud entry is only read by is_enabled(), which takes a missing '
     'or None "disabled" as enabled; its name is never shown (the refusal for the Genesys Cloud login names no '
     'provider)'),
    (IDP, 'lockout_check', r'others_enabled\.append\(',
     'equivalent: only whether another enabled provider exists decides; the names collected are never shown'),
    (IDP, 'classify_entity', r"rsplit\('/', (1|2)?\)\[|\[\+1\]",
     "equivalent: the last path segment is the same (a selfUri always has a '/', so the split has two parts)"),
    (IDP, 'classify_entity', r"if \(self_uri\) or True|else 'XXXX'|or 'XXXX'",
     "equivalent: an empty or 'XXXX' segment is no provider type either, so the entity is classified the same"),
    (IDP, '_next_page_path', r"else 'XXXX'|\\x1F\\x7F",
     "equivalent: 'XXXX' is refused exactly like '' (not the listing path); regex hex escapes are case-insensitive"),
    (BACKUP, 'write_backup', r'json\.dump\(document, handle',
     'formatting of the backup file only (indentation, key order): load_backup reads it the same'),
    (BACKUP, 'write_backup', r'os\.open\(path, ',
     'equivalent: 385 is 0o600, and without the mode the file is still chmod 0600 on the next line, inside the '
     '0700 backup directory, before anything is written to it'),
    (BACKUP, 'write_backup', r"getattr\(run\.client, 'api_url', \)",
     'equivalent: every client (GenesysClient and the test fake) has api_url, so the default is never used'),
    (CHANGE, 'Change.check_backup_target', r"getattr\(self\.run\.client, 'api_url', \)",
     'equivalent: every client (GenesysClient and the test fake) has api_url, so the default is never used'),
    (TRANSPORT, 'Transport.redirect_error', r"headers\.get\('(location|LOCATION)'\)",
     'equivalent: the headers of a requests response are case-insensitive'),
    (CLI, 'GenesysClient._resolve_urls', r"replace\('//api\.', '//login\.', ",
     "equivalent: '//api.' occurs once in an https URL (right after the scheme), so the replace count does not "
     "matter"),
    (COM, '*', r"'UTF-8'|'ASCII'|\.decode\('ASCII'\)",
     'equivalent: codec names are case-insensitive'),
    (COM, 'report_secret', r"'stack', None\)",
     'equivalent: None or () is () -- no running task, nothing to register'),
    (COM, 'scrub', r'isinstance\(k, str\)\) or True|isinstance\(data, list\)\) or True',
     'equivalent: scrub_text leaves a non-text key as it is, and type(data)(...) of a tuple is the same tuple()'),
    (COM, 'SecretMasker.add', r'isinstance\(value, str\)\) and False',
     'equivalent: str() of a text is the same text'),
    (COM, '_looks_like_credential', r'return False\nreturn True',
     'equivalent: only called for a word _SCHEME_RE matched, which has at least 8 characters, so this branch is '
     'never taken'),
    (COM, 'secret_forms', r"safe='XXXX'\)|safe='XX/XX'\)",
     "equivalent: 'X' is never percent-encoded anyway, and '/' stays safe"),
    (COM, 'secret_forms', r'ensure_ascii=None',
     'equivalent: None is false like False'),
    (COM, 'secret_forms', r"b64\.rstrip\('XX=XX'\)",
     "harmless: a padded base64 never ends in 'X' before its '=' (the last character before padding encodes zero "
     "bits, A/E/I/.../Q/g/w), so the unpadded form is the same; without padding it only adds a shorter form "
     "(masks more, never less)"),
    (CHANGE, 'Change.check_backup_target', r"or 'XX\?XX'",
     "message wording only: the placeholder shown for an unknown org name or id in the refusal"),
    (IDP, '_segment', r"safe='XXXX'",
     "equivalent: 'X' is never percent-encoded, so nothing else becomes safe"),
    (BACKUP, 'host_of', r"split\('/', (2)?\)\[0\]",
     'equivalent: the first part of the split is the same whatever the number of splits'),
    (IDP, 'reduces_sign_in', r"before_enabled = .*ptype == 'purecloud' or before is None",
     'harmless: it only lets the guards run for the create of a disabled provider too (before is None), which '
     'costs reads (the purecloud entry, a fresh listing after the write), never a write: lockout_check never '
     'refuses a create (nothing enabled is taken away) and the post-write check finds the sign-ins a create '
     'leaves untouched'),
    (BACKUP, 'write_backup', r"org = run\.organization\(required=(None|False)\)",
     'equivalent: the org was already read with required=True before the backup (Change.apply reads it for the '
     'lock and the journal) and is cached, so this call never reads and never fails'),
    (BACKUP, 'write_backup', r"or run\.params\.get\((None|'XXnameXX'|'NAME')\)",
     'equivalent: only a provider that exists is backed up, and a custom provider always has a name (the platform '
     'refuses one without: missing.provider.name), so the option is never the fallback'),
    (TXN, 'safe_segment', r"strip\('XX-\.XX'\)",
     "harmless: also strips 'X' at the ends; the part is still made of safe characters only and never '.' or '..'"),
    (COM, 'SecretMasker.mask', r'v is None and isinstance\(v, bool\)|\(forms\) or True|copy\.copy\(rest\)',
     'equivalent: remove_values() returns booleans unchanged and an empty set of forms masks nothing; scrub() '
     'builds new containers, so a shallow copy is never shared with the caller'),
]


def function_of(mutant):
    """('_genesys_identity_provider_core.py' relative path, 'Class.method' or 'function') of a mutmut mutant name."""
    mangled = mutant.partition('__mutmut_')[0]
    module, dummy, func = mangled.rpartition('.')
    rel = module[len('ansible_collections.genesyscloud.sso.'):].replace('.', '/') + '.py'
    if func.startswith('x\u01c1'):
        parts = func[2:].split('\u01c1')
        return rel, '%s.%s' % (parts[0], parts[1])
    return rel, func[2:] if func.startswith('x_') else func


def _matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def mangled_patterns(patterns):
    """fnmatch patterns on mutmut's mangled names (x_func, x\u01c1Class\u01c1method) of function patterns."""
    out = []
    for p in patterns:
        if '.' in p:
            out.append('x\u01c1%s\u01c1%s' % tuple(p.split('.', 1)))
        elif '*' in p:
            out += ['x_' + p, 'x\u01c1' + p]          # the wildcard also spans Class\u01c1method
        else:
            out += ['x_' + p, 'x\u01c1*\u01c1' + p]
    return out


def source_functions(path):
    """Names (function, Class.method) of the functions of a Python file: what mutmut makes mutants of."""
    import ast
    with open(path) as handle:
        tree = ast.parse(handle.read())
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            names += ['%s.%s' % (node.name, n.name) for n in node.body
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return names


def wanted(rel, func, safety_only=False):
    """True when ``func`` of ``rel`` is mutated (``safety_only``: only the functions of SAFETY_FUNCTIONS)."""
    dummy, include, exclude = FILES[rel]
    return _matches(func, include) and not _matches(func, exclude) and (not safety_only or is_safety(rel, func))


def selected(name, safety_only=False):
    """True when the mutant (full mutmut name) is in the selection of its file."""
    rel, func = function_of(name)
    return rel in FILES and wanted(rel, func, safety_only)


def is_safety(rel, func, line=None):
    for pattern, regex in SAFETY_FUNCTIONS.get(rel, []):
        if fnmatch.fnmatchcase(func, pattern) and (regex is None or line is None or re.search(regex, line)):
            return True
    return False


# ---------------------------------------------------------------------------------------- self-check

def function_lines(path):
    """{'function' or 'Class.method': its source lines} of a Python file (the functions mutmut mutates)."""
    import ast
    with open(path) as handle:
        text = handle.read()
    source = text.splitlines()
    out = collections.OrderedDict()
    for node in ast.parse(text).body:
        members = [(node.name, node)] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
        if isinstance(node, ast.ClassDef):
            members = [('%s.%s' % (node.name, n.name), n) for n in node.body
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for name, fn in members:
            out[name] = source[fn.lineno - 1:fn.end_lineno]
    return out


def mutants_of(path, accept):
    """[(function, original line, mutated line)] of the mutants mutmut makes of the functions of ``path`` for which
    ``accept(function)`` is true: mutmut's own mutation operators, without running anything."""
    accepted = tuple(f for f in function_lines(path) if accept(f))
    key = (os.path.abspath(path), os.stat(path).st_mtime_ns, accepted)
    if key not in _MUTANTS_CACHE:
        _MUTANTS_CACHE[key] = _make_mutants(path, set(accepted))
    return list(_MUTANTS_CACHE[key])


_MUTANTS_CACHE = {}


def _make_mutants(path, accepted):
    import difflib
    import libcst
    import mutmut.configuration as mutmut_config
    from mutmut.mutation.file_mutation import create_mutations, deep_replace
    with open(path) as handle:
        code = handle.read()
    saved, here = mutmut_config._config, os.getcwd()
    scratch = tempfile.mkdtemp(prefix='gsso-mutation-check-')
    try:   # mutmut reads its settings (do_not_mutate_patterns) from setup.cfg of the working directory
        with open(os.path.join(scratch, 'setup.cfg'), 'w') as handle:
            handle.write('[mutmut]\nsource_paths =\n    %s\n' % path)
        os.chdir(scratch)
        mutmut_config.reset_config()
        mutmut_config.config()
        os.chdir(here)
        module, mutations, dummy, dummy = create_mutations(path, code)
    finally:
        os.chdir(here)
        mutmut_config._config = saved
        shutil.rmtree(scratch, ignore_errors=True)
    names = {}
    for node in module.body:
        if isinstance(node, libcst.FunctionDef):
            names[id(node)] = node.name.value
        elif isinstance(node, libcst.ClassDef):
            for member in node.body.body:
                if isinstance(member, libcst.FunctionDef):
                    names[id(member)] = '%s.%s' % (node.name.value, member.name.value)
    source = code.splitlines()
    out = []
    for mutation in mutations:
        func = names.get(id(mutation.contained_by_top_level_function))
        if func not in accepted:
            continue
        fn = mutation.contained_by_top_level_function
        old = libcst.Module([fn]).code.strip().split('\n')
        new = libcst.Module([deep_replace(fn, mutation.original_node, mutation.mutated_node)]).code.strip().split('\n')
        diff = '\n'.join(difflib.unified_diff(old, new, lineterm=''))
        dummy, before, after = change_of(diff, source, func)
        out.append((func, before, after))
    return out


def check_targets(root=REPO, mutants=True):
    """What FILES, SAFETY_FUNCTIONS, EXPLAINED and RECHECK_TESTS name that is not there (a list of texts; empty:
    every target exists). A file that moved, a function renamed, a line pattern or an explained-survivor rule
    that no longer matches anything is named. ``mutants``: also make mutmut's mutants of the safety functions (no
    run) and check that every EXPLAINED rule matches one of them."""
    problems = []
    functions = {}
    for rel, (part, include, exclude) in FILES.items():
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            problems.append('FILES: %s (%s) does not exist' % (rel, part))
            continue
        functions[rel] = function_lines(path)
        names = list(functions[rel])
        for pattern in include + exclude:
            if not _matches_any(pattern, names):
                problems.append('FILES: %s: %r matches no function of the file' % (rel, pattern))
        if not any(wanted(rel, n) for n in names):
            problems.append('FILES: %s: no function of the file is mutated' % rel)
    for rel, entries in SAFETY_FUNCTIONS.items():
        if rel not in FILES:
            problems.append('SAFETY_FUNCTIONS: %s is not in FILES (never mutated)' % rel)
            continue
        for pattern, regex in entries:
            matched = [n for n in functions.get(rel, {}) if fnmatch.fnmatchcase(n, pattern) and wanted(rel, n)]
            if rel in functions and not matched:
                problems.append('SAFETY_FUNCTIONS: %s: %r matches no mutated function of the file' % (rel, pattern))
            elif regex and matched and not any(re.search(regex, line) for n in matched for line in functions[rel][n]):
                problems.append('SAFETY_FUNCTIONS: %s: the line pattern %r of %r matches no line of %s'
                                % (rel, regex, pattern, ', '.join(matched)))
    unmatched = set()
    for index, (rel, pattern, regex, dummy) in enumerate(EXPLAINED):
        re.compile(regex)
        if rel not in FILES:
            problems.append('EXPLAINED: %s (%r) is not in FILES' % (rel, pattern))
        elif rel in functions and not [n for n in functions[rel] if fnmatch.fnmatchcase(n, pattern)
                                       and wanted(rel, n) and is_safety(rel, n)]:
            problems.append('EXPLAINED: %s: %r matches no safety function of the file' % (rel, pattern))
        else:
            continue
        unmatched.add(index)
    for test in RECHECK_TESTS:
        if not os.path.isfile(os.path.join(root, test)):
            problems.append('RECHECK_TESTS: %s does not exist' % test)
    if mutants:
        made = {}
        for rel in sorted(set(r for r, dummy, dummy2, dummy3 in EXPLAINED if r in functions)):
            made[rel] = mutants_of(os.path.join(root, rel), lambda f, rel=rel: wanted(rel, f) and is_safety(rel, f))
        for index, (rel, pattern, regex, text) in enumerate(EXPLAINED):
            if rel not in made or index in unmatched:
                continue
            if not any(fnmatch.fnmatchcase(func, pattern) and is_safety(rel, func, old)
                       and re.search(regex, old + '\n' + new) for func, old, new in made[rel]):
                problems.append('EXPLAINED: %s: the rule %r on %r matches no mutant mutmut makes of the file (%s...)'
                                % (rel, regex, pattern, text[:40]))
    return problems


def _matches_any(pattern, names):
    return any(fnmatch.fnmatchcase(n, pattern) for n in names)


def list_targets(root=REPO, safety_only=False):
    """Lines: per file its part, the functions mutated (``safety_only``: the safety functions) and their number."""
    out = []
    for rel, (part, dummy, dummy2) in FILES.items():
        path = os.path.join(root, rel)
        names = [n for n in function_lines(path) if wanted(rel, n, safety_only)] if os.path.isfile(path) else []
        out.append('%s (%s): %d functions%s' % (rel, part, len(names), (': ' + ', '.join(names)) if names else ''))
    return out


# ---------------------------------------------------------------------------------------- the copy

def export_tree(dest, ref, worktree, timeout_multiplier=3.0, workers=1):
    pkg = os.path.join(dest, PKG)
    os.makedirs(pkg)
    if worktree:
        files = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO, check=True, capture_output=True).stdout
        for rel in [f for f in files.decode('utf-8', 'surrogateescape').split('\0') if f]:
            src = os.path.join(REPO, rel)
            if os.path.isfile(src) and not os.path.islink(src):
                os.makedirs(os.path.dirname(os.path.join(pkg, rel)), exist_ok=True)
                shutil.copy2(src, os.path.join(pkg, rel))
        desc = 'work tree of %s' % REPO
    else:
        archive = subprocess.run(['git', 'archive', '--format=tar', ref], cwd=REPO, check=True,
                                 capture_output=True).stdout
        subprocess.run(['tar', '-x', '-C', pkg], input=archive, check=True)
        desc = subprocess.run(['git', 'rev-parse', '--short', ref], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout.strip()
    lines = ['[mutmut]', 'source_paths =']
    lines += ['    %s/%s' % (PKG, rel) for rel in FILES]
    failing = baseline_failures(dest, workers)
    lines += ['also_copy =', '    ansible_collections',
              'pytest_add_cli_args_test_selection =', '    %s/tests/unit' % PKG,
              'pytest_add_cli_args =', '    -p', '    no:cacheprovider', '    -p', '    no:xdist']
    for nodeid in failing + ['%s/%s' % (PKG, t) for t in SOURCE_SHAPE_TESTS]:
        lines += ['    --deselect', '    %s' % nodeid]
    lines += ['timeout_multiplier = %s' % float(timeout_multiplier), 'use_git_change_detection = false', '']
    with open(os.path.join(dest, 'setup.cfg'), 'w') as handle:
        handle.write('\n'.join(lines))
    return desc, failing


# Tests that read the source text of module_utils (function length, what the core may contain): mutmut's copy
# renames every function (x_name__mutmut_orig) and adds its trampolines, so they fail there on no mutant; they say
# nothing of behaviour and are left out of the mutmut run (node id prefixes).
SOURCE_SHAPE_TESTS = (
    'tests/unit/plugins/module_utils/test_genesys_provider_core.py::'
    'test_no_function_longer_than_60_lines_or_with_more_than_6_parameters',
    'tests/unit/plugins/module_utils/test_genesys_provider_core.py::test_the_core_only_maps',
    # walks every plugin package through Ansible's collection loader, which fails in mutmut's mutants/ tree
    'tests/unit/plugins/filter/test_role_decisions.py::'
    'test_the_hosts_filter_is_the_identity_and_loads_every_action_and_filter_plugin',
)


def sandbox_env(dest, mutants=False):
    """Environment of the runs in the copy ``dest``; ``mutants``: Ansible finds the collection in mutmut's tree."""
    env = dict((k, v) for k, v in os.environ.items() if k not in ('PYTHONPATH', 'ANSIBLE_COLLECTIONS_PATHS'))
    if mutants:
        env['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(dest, 'mutants')
    env.update(HOME=os.path.join(dest, 'home'), ANSIBLE_LOCAL_TEMP=os.path.join(dest, 'home', 'tmp'),
               PYTHONDONTWRITEBYTECODE='1', TERM='dumb', NO_COLOR='1')
    os.makedirs(os.path.join(dest, 'home', 'tmp'), exist_ok=True)
    return env


def baseline_failures(dest, workers=1):
    """Node ids of the unit tests that fail on the unmutated copy (mutmut needs a green run: they are deselected
    and named in the report). ``workers`` > 1: pytest-xdist workers, when it is installed."""
    env = sandbox_env(dest)
    env['PYTHONPATH'] = dest
    parallel = []
    if workers > 1:
        try:
            import xdist  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
            parallel = ['-n', str(workers)]
        except ImportError:
            pass
    res = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-rf', '-p', 'no:cacheprovider', '-p', 'no:randomly',
                          '--rootdir=.'] + parallel + ['%s/tests/unit' % PKG], cwd=dest, env=env, capture_output=True, text=True,
                         timeout=900, stdin=subprocess.DEVNULL, preexec_fn=lambda: os.nice(19))
    failing = sorted(set(re.findall(r'^(?:FAILED|ERROR) (\S+::\S+)', res.stdout, re.M)))
    if res.returncode not in (0, 1) or (res.returncode == 1 and not failing):
        raise SystemExit('mutation: the unit tests do not run on the copy (rc %s):\n%s'
                         % (res.returncode, res.stdout[-3000:] + res.stderr[-2000:]))
    for nodeid in failing:
        print('mutation: fails without any mutant, deselected: %s' % nodeid)
    return failing


def mutant_globs(dest, safety_only=False):
    """mutmut name globs of every selected function (one per function, from the copy's sources)."""
    globs = []
    for rel in FILES:
        module = '%s.%s' % (MOD, os.path.basename(rel)[:-3])
        for func in source_functions(os.path.join(dest, PKG, rel)):
            if wanted(rel, func, safety_only):
                mangled = ('x\u01c1%s\u01c1%s' % tuple(func.split('.', 1))) if '.' in func else 'x_' + func
                globs.append('%s.%s__mutmut_*' % (module, mangled))
    return globs


def run_mutmut(dest, args):
    """Run mutmut in ``dest`` (own process group, niced, wall-clock bounded). Returns (rc, seconds, interrupted)."""
    env = sandbox_env(dest, mutants=True)
    cmd = [MUTMUT, 'run', '--max-children', str(args.max_children)] + mutant_globs(dest, args.safety_only)
    log_path = os.path.join(dest, 'mutmut.log')
    start = time.time()
    interrupted = False
    with open(log_path, 'wb') as log:
        proc = subprocess.Popen(cmd, cwd=dest, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=lambda: _child_setup(args.nice))
        try:
            while proc.poll() is None:
                if time.time() - start > args.budget:
                    interrupted = True
                    print('mutation: time budget of %ds spent: interrupting mutmut (pid %d)' % (args.budget, proc.pid))
                    _stop(proc)
                    break
                time.sleep(2)
        except KeyboardInterrupt:
            interrupted = True
            _stop(proc)
            raise
        finally:
            if proc.poll() is None:
                _stop(proc)
    return proc.returncode, time.time() - start, interrupted, log_path


def _child_setup(nice):
    """In mutmut's process: low priority, and SIGINT handled (a background start inherits it ignored, and SIGINT is
    how mutmut is told to stop and save what it has)."""
    os.nice(nice)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _terminate(signum, frame):
    raise KeyboardInterrupt('signal %d' % signum)


def _stop(proc):
    """SIGINT to mutmut's process group (it saves what it has), then SIGKILL after 60 s."""
    for sig, wait in ((signal.SIGINT, 60), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


RECHECK_TESTS = ('tests/unit/plugins/module_utils/test_mutation_killers.py',
                 'tests/unit/plugins/module_utils/test_safety_guard.py')


def recheck(dest, args, tree):
    """Continue a kept run with the tests written for the survivors (RECHECK_TESTS of ``args.ref``, copied into the
    copy and its mutants/ tree; mutmut first records which new tests call which function): the survivors and the
    mutants not checked yet of the
    safety code first, then the other mutants not checked yet, within ``--budget``."""
    start = time.time()
    # only the tests written for the survivors: other new tests may need source the copy does not have
    archive = subprocess.run(['git', 'archive', '--format=tar', args.ref] + list(RECHECK_TESTS), cwd=REPO,
                             check=True, capture_output=True).stdout
    for root in (os.path.join(dest, PKG), os.path.join(dest, 'mutants', PKG)):
        subprocess.run(['tar', '-x', '-C', root], input=archive, check=True)
    results = collect(dest, args.safety_only)
    first = [n for st in results.values() for n, s in st.items()
             if s in ('survived', 'not checked') and is_safety(*function_of(n))]
    rest = [n for st in results.values() for n, s in st.items() if s == 'not checked' and n not in set(first)]
    env = sandbox_env(dest, mutants=True)
    ref = subprocess.run(['git', 'rev-parse', '--short', args.ref], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout.strip()
    for label, names in (('survivors and unchecked mutants of the safety code', first),
                         ('other unchecked mutants', rest)):
        left = args.budget - (time.time() - start)
        if not names or left < 60:
            continue
        print('mutation: re-running %d %s with the tests of %s (%.0f s left)' % (len(names), label, ref, left))
        with open(os.path.join(dest, 'recheck.log'), 'ab') as log:
            proc = subprocess.Popen([MUTMUT, 'run', '--max-children', str(args.max_children)] + names, cwd=dest,
                                    env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, preexec_fn=lambda: _child_setup(args.nice))
            try:
                proc.wait(left)
            except subprocess.TimeoutExpired:
                _stop(proc)
    return '%s, continued with %s of %s' % (tree, ' and '.join(os.path.basename(t) for t in RECHECK_TESTS), ref)


# ---------------------------------------------------------------------------------------- results

def collect(dest, safety_only=False):
    """{rel: {mutant: status}} of the selected mutants, from mutmut's meta files."""
    from mutmut.stats import status_by_exit_code
    out = collections.OrderedDict()
    for rel in FILES:
        meta = os.path.join(dest, 'mutants', PKG, rel + '.meta')
        codes = {}
        if os.path.exists(meta):
            with open(meta) as handle:
                codes = json.load(handle).get('exit_code_by_key', {})
        out[rel] = dict((name, status_by_exit_code[code]) for name, code in sorted(codes.items())
                        if selected(name, safety_only))
    return out


DIFF_HELPER = r'''
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
out = {}
for name, path in json.load(sys.stdin):
    try:
        out[name] = get_diff_for_mutant(name, path=path)
    except Exception as exc:  # noqa: BLE001 - one unreadable diff must not lose the report
        out[name] = 'diff unavailable: %s' % exc
json.dump(out, sys.stdout)
'''


def diffs(dest, names):
    if not names:
        return {}
    env = dict(os.environ, HOME=os.path.join(dest, 'home'))
    env.pop('PYTHONPATH', None)
    todo = [(n, '%s/%s' % (PKG, function_of(n)[0])) for n in names]
    res = subprocess.run([sys.executable, '-c', DIFF_HELPER], cwd=dest, env=env, input=json.dumps(todo),
                         capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        return dict((n, 'diff unavailable: %s' % res.stderr.strip()[-300:]) for n in names)
    return json.loads(res.stdout)


def change_of(diff, source_lines, func):
    """(line number in the source or None, original line, mutated line) of a one-line mutant diff."""
    minus = [x[1:] for x in diff.splitlines() if x.startswith('-') and not x.startswith('---')]
    plus = [x[1:] for x in diff.splitlines() if x.startswith('+') and not x.startswith('+++')]
    old = minus[0].strip() if minus else ''
    new = plus[0].strip() if plus else ''
    start = 0
    pattern = re.compile(r'\s*def %s\(' % re.escape(func.rpartition('.')[2]))
    for i, text in enumerate(source_lines):
        if pattern.match(text):
            start = i
            break
    lineno = None
    if old:
        for i in range(start, len(source_lines)):
            if source_lines[i].strip() == old:
                lineno = i + 1
                break
    return lineno, old, new


_STRING = re.compile(r"""[rbuf]{0,2}('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def _skeleton(line):
    return _STRING.sub('S', line)


def classify(rel, func, old, new):
    """Explanation of a survivor (None: not explained)."""
    for f_rel, f_pat, regex, text in EXPLAINED:
        if f_rel == rel and fnmatch.fnmatchcase(func, f_pat) and re.search(regex, old + '\n' + new):
            return text
    if old and _skeleton(old) == _skeleton(new):
        changed = [a for a, b in zip(_STRING.findall(old), _STRING.findall(new)) if a != b]
        if changed and all(' ' in a or a in ("', '", '", "') for a in changed):
            return ('message wording only (XX-wrapped or case-changed text of a message): the decision and the '
                    'request are unchanged; the tests assert the phrases that matter, not every word')
    head = new.partition('(None')[0]
    if old and ' ' in ''.join(_STRING.findall(old)) and '(None' in new and old.startswith(head + '(') \
            and re.search(r'(raise \w+|warn|Fail|Error)$', head):
        return ('message text replaced by None: the failure or the warning still happens at the same point; '
                'only its text is lost')
    return None


def score(counts):
    decided = counts.get('killed', 0) + counts.get('survived', 0) + counts.get('timeout', 0)
    return (100.0 * (counts.get('killed', 0) + counts.get('timeout', 0)) / decided) if decided else 0.0


def render(results, meta, survivor_rows):
    lines = []
    w = lines.append
    meta = dict(dict(scope=SCOPE_ALL, load='machine load not recorded'), **meta)
    w('Last run: %(finished)s UTC on %(tree)s, mutmut %(mutmut)s, %(seconds).0f s wall time with %(children)d '
      'workers at nice %(nice)d%(partial)s. Mutated: %(scope)s. %(load)s.\n' % meta)
    w('| file | part | killed | survived | timeout | no tests | not checked | other | total | score |')
    w('|---|---|---|---|---|---|---|---|---|---|')
    for rel, statuses in results.items():
        if not statuses and meta['scope'] == SCOPE_SAFETY:
            continue   # no safety function in the file
        c = collections.Counter(statuses.values())
        other = sum(v for k, v in c.items() if k not in ('killed', 'survived', 'timeout', 'no tests', 'not checked'))
        w('| `%s` | %s | %d | %d | %d | %d | %d | %d | %d | %.1f %% |' % (
            rel, FILES[rel][0], c['killed'], c['survived'], c['timeout'], c['no tests'], c['not checked'], other,
            len(statuses), score(c)))
    w('')
    w('Score = (killed + timeout) / (killed + survived + timeout). "no tests": no unit test calls the function.\n')
    if meta.get('deselected'):
        w('Unit tests that failed on the unmutated tree and were left out of this run: %s.\n'
          % ', '.join('`%s`' % n.rpartition('/')[2] for n in meta['deselected']))
    w('### Survivors in the safety code (%d)\n' % len(survivor_rows))
    if not survivor_rows:
        w('_(none)_\n')
    else:
        unexplained = [r for r in survivor_rows if not r['why']]
        w('%d explained, **%d not explained**.\n' % (len(survivor_rows) - len(unexplained), len(unexplained)))
        w('| file:line | function | original → mutant | why it survives |')
        w('|---|---|---|---|')
        for r in survivor_rows:
            w('| `%s:%s` | `%s` | `%s` → `%s` | %s |' % (
                os.path.basename(r['rel']), r['line'] or '?', r['func'], _cell(r['old']), _cell(r['new']),
                r['why'] or '**NOT EXPLAINED**'))
        w('')
    return '\n'.join(lines)


SCOPE_ALL = 'every selected function of FILES'
SCOPE_SAFETY = 'the safety functions only (SAFETY_FUNCTIONS, --safety-only)'


def machine_load():
    """The load averages and the cores of the machine, as one text for the report."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:   # pragma: no cover - no load average on this platform
        return 'load unknown'
    return '%.2f/%.2f/%.2f (1/5/15 min) on %d cores' % (one, five, fifteen, os.cpu_count() or 0)


def _partial(results, interrupted):
    unchecked = sum(1 for st in results.values() for s in st.values() if s == 'not checked')
    if not unchecked and not interrupted:
        return ''
    return ', **stopped by the time budget: %d mutants not checked**' % unchecked


def _cell(text, limit=110):
    text = text.replace('|', '\\|').replace('`', "'")
    return text if len(text) <= limit else text[:limit - 1] + '…'


def score_block(results, meta):
    meta = dict(dict(scope=SCOPE_ALL), **meta)
    w = [BEGIN_SCORE, '', '## Mutation testing (`make mutation`)', '',
         'Last run %(finished)s UTC on %(tree)s (mutmut %(mutmut)s%(partial)s; mutated: %(scope)s); the survivors of '
         'the safety code, each explained, killed by a test or marked NOT EXPLAINED: [docs/mutation.md](mutation.md).'
         % meta, '',
         '| file | part | killed | survived | timeout | total | score |', '|---|---|---|---|---|---|---|']
    for rel, statuses in results.items():
        if not statuses and meta['scope'] == SCOPE_SAFETY:
            continue
        c = collections.Counter(statuses.values())
        w.append('| `%s` | %s | %d | %d | %d | %d | %.1f %% |' % (
            rel, FILES[rel][0], c['killed'], c['survived'], c['timeout'], len(statuses), score(c)))
    w += ['', END_SCORE, '']
    return '\n'.join(w)


def replace_block(text, begin, end, block):
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        dummy, tail = rest.split(end, 1)
        return head + block.rstrip('\n') + tail
    return text.rstrip('\n') + '\n\n' + block


def write_docs(report_path, results, meta, survivor_rows):
    body = '\n'.join([BEGIN_RUN, '', render(results, meta, survivor_rows), END_RUN, ''])
    if os.path.exists(report_path):
        with open(report_path) as handle:
            text = handle.read()
    else:
        text = '# Mutation testing\n\nSee tools/mutation.py.\n\n'
    _atomic(report_path, replace_block(text, BEGIN_RUN, END_RUN, body))
    rel_md = os.path.join(os.path.dirname(report_path), 'reliability.md')
    if os.path.exists(rel_md):
        with open(rel_md) as handle:
            text = handle.read()
        _atomic(rel_md, replace_block(text, BEGIN_SCORE, END_SCORE, score_block(results, meta)))


def _atomic(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        handle.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------- main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--ref', default='HEAD', help='git revision to test (default HEAD)')
    parser.add_argument('--worktree', action='store_true', help='test the work tree as it is (uncommitted edits too)')
    parser.add_argument('--max-children', type=int, default=2)
    parser.add_argument('--budget', type=int, default=2400, help='wall-clock seconds for mutmut (default 2400)')
    parser.add_argument('--nice', type=int, default=19)
    parser.add_argument('--timeout-multiplier', type=float, default=3.0,
                        help="mutmut's CPU limit per mutant, in multiples of its tests' clean time (default 3; "
                             "mutmut's own default 15 lets every looping mutant of a wait loop burn ~30 s)")
    parser.add_argument('--report', default=os.path.join(REPO, 'docs', 'mutation.md'),
                        help='report to update (default docs/mutation.md); "-" writes none')
    parser.add_argument('--json', help='also write the raw results (mutant -> status) to this file')
    parser.add_argument('--keep', action='store_true', help='keep the throwaway copy (its path is printed)')
    parser.add_argument('--analyze', metavar='DIR', help='no run: report on the copy DIR kept by an earlier --keep run')
    parser.add_argument('--recheck', action='store_true',
                        help='with --analyze: continue the kept run within --budget (the survivors and unchecked '
                             'mutants of the safety code first) with the tests written for the survivors '
                             '(RECHECK_TESTS) of --ref')
    parser.add_argument('--safety-only', action='store_true',
                        help='mutate only the safety functions (SAFETY_FUNCTIONS), not every function of FILES')
    parser.add_argument('--list', action='store_true',
                        help='no run: list what would be mutated and check that every file, function and '
                             'explained-survivor rule named here exists (exit 1 when one does not)')
    args = parser.parse_args(argv)
    if args.max_children < 1 or args.budget < 60:
        parser.error('--max-children must be >= 1 and --budget >= 60')
    try:
        import mutmut
    except ImportError:
        mutmut = None
    if args.list:
        print('\n'.join(list_targets(safety_only=args.safety_only)))
        problems = check_targets(mutants=mutmut is not None)
        for problem in problems:
            print('mutation: missing target: %s' % problem)
        print('mutation: %s' % ('%d targets missing' % len(problems) if problems else 'every target exists%s' % (
            '' if mutmut is not None else ' (the rules were not matched against mutants: no mutmut)')))
        return 1 if problems else 0
    if mutmut is None:
        print('mutation: mutmut is not installed in %s (make venv installs requirements-dev.txt)' % sys.prefix)
        return 1
    problems = check_targets(mutants=False)
    if problems:   # a run on moved targets would report a score of code that is not the safety code
        for problem in problems:
            print('mutation: missing target: %s' % problem)
        print('mutation: fix FILES / SAFETY_FUNCTIONS / EXPLAINED in tools/mutation.py first (--list checks them)')
        return 1

    if args.analyze:
        dest = os.path.abspath(args.analyze)
        if not os.path.isfile(os.path.join(dest, 'setup.cfg')):
            parser.error('--analyze: %s is not a copy kept by tools/mutation.py --keep' % dest)
        args.keep = True
    else:
        dest = tempfile.mkdtemp(prefix='gsso-mutation-')
        print('mutation: throwaway copy %s' % dest)
    signal.signal(signal.SIGTERM, _terminate)     # SIGTERM too: stop mutmut and remove the copy
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if args.analyze:
            with open(os.path.join(dest, 'run.json')) as handle:
                stored = json.load(handle)
            tree, failing, rc, seconds, interrupted, log_path = stored[:6]
            extra = stored[6] if len(stored) > 6 else dict(safety_only=False, load='machine load not recorded')
            args.safety_only = args.safety_only or extra['safety_only']
            if args.recheck:
                started = time.time()
                load_start = machine_load()
                tree = recheck(dest, args, tree)
                seconds += time.time() - started
                extra['load'] += '; recheck: machine load %s at its start, %s at its end' % (load_start, machine_load())
                with open(os.path.join(dest, 'run.json'), 'w') as handle:    # a later --analyze says the same
                    json.dump([tree, failing, rc, seconds, interrupted, log_path, extra], handle)
        else:
            load_start = machine_load()
            tree, failing = export_tree(dest, args.ref, args.worktree, args.timeout_multiplier, args.max_children)
            rc, seconds, interrupted, log_path = run_mutmut(dest, args)
            extra = dict(safety_only=args.safety_only,
                         load='Machine load %s at the start, %s at the end' % (load_start, machine_load()))
            with open(os.path.join(dest, 'run.json'), 'w') as handle:
                json.dump([tree, failing, rc, seconds, interrupted, log_path, extra], handle)
        results = collect(dest, args.safety_only)
        if rc != 0 and not interrupted and not any(s != 'not checked' for st in results.values() for s in st.values()):
            with open(log_path, 'rb') as handle:
                tail = handle.read()[-4000:].decode('utf-8', 'replace')
            print(tail)
            print('mutation: mutmut failed (rc %s) before any mutant was tested' % rc)
            return 1
        candidates = [n for rel, st in results.items() for n, s in st.items()
                      if s == 'survived' and is_safety(*function_of(n))]
        diff_by_name = diffs(dest, candidates)
        rows = []
        sources = {}
        for name in candidates:
            rel, func = function_of(name)
            if rel not in sources:
                with open(os.path.join(dest, PKG, rel)) as handle:
                    sources[rel] = handle.read().splitlines()
            line, old, new = change_of(diff_by_name.get(name, ''), sources[rel], func)
            if not is_safety(rel, func, old):
                continue
            rows.append(dict(name=name, rel=rel, func=func, line=line, old=old, new=new,
                             why=classify(rel, func, old, new), diff=diff_by_name.get(name, '')))
        rows.sort(key=lambda r: (list(FILES).index(r['rel']), r['line'] or 0, r['name']))
        meta = dict(finished=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M'),
                    tree=tree, mutmut=getattr(mutmut, '__version__', '3'), seconds=seconds,
                    children=args.max_children, nice=args.nice, deselected=failing,
                    partial=_partial(results, interrupted), load=extra['load'],
                    scope=SCOPE_SAFETY if args.safety_only else SCOPE_ALL)
        text = render(results, meta, rows)
        print(text)
        if args.json:
            with open(args.json, 'w') as handle:
                json.dump(dict(meta=meta, results=results, survivors=rows), handle, indent=1, sort_keys=True)
        if args.report != '-':
            write_docs(os.path.abspath(args.report), results, meta, rows)
            print('mutation: report written to %s' % args.report)
        return 0
    finally:
        if args.keep:
            print('mutation: kept %s' % dest)
        else:
            shutil.rmtree(dest, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
