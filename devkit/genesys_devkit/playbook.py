"""The one playbook runner: ``ansible-playbook`` as a subprocess, or ansible-runner (the AWX engine).

``run_playbook(playbook, inventory=None, extra_vars=None, mode='subprocess', ...)`` returns a
:class:`PlaybookResult` in both modes: ``rc``, ``stdout``, ``stderr``, ``stats`` (per host: ``ok``, ``changed``,
``failures``, ``unreachable``, ``skipped``, ``rescued``, ``ignored``), ``recap`` (the totals over the hosts, with
``tasks_per_host``), ``elapsed`` and ``cpu_seconds`` (user+system of the run's processes), ``timed_out``,
``tasks`` (one ``{host, task, action, status, result}`` per task result: from ansible-runner's events, or in the
subprocess mode from the task recorder when ``record_tasks=True``), ``events`` and ``runner`` (ansible-runner mode).

Inputs: ``playbook`` and ``inventory`` may be a path, YAML text or Python data (``playbook`` also a collection
playbook FQCN); data and text are written into the run's private directory (``workdir``, a fresh 0700 temp dir by
default), extra vars always into a 0600 JSON file there passed as ``-e @file`` (never on the command line, which
``-vvvv`` prints). A run that outlives ``timeout`` is killed with its whole process group and comes back with
``timed_out`` (rc -9 in the subprocess mode); nothing is left running.

``start_playbook(...)`` (subprocess mode) starts the run and returns a :class:`RunningPlaybook` (``pid``,
``wait(timeout)`` -> the result, ``kill()``) for tests that act while the playbook runs (kill it mid-way).
``run_command(cmd, output_path, ...)`` is the timed, killable run of any command (the benchmark's peers).
"""

import json
import os
import re
import resource
import signal
import subprocess
import tempfile
import time

import yaml

from genesys_devkit.ansible_env import ansible_env
from genesys_devkit.paths import BIN, PYTHON, REPO

MODES = ('subprocess', 'runner')
STAT_KEYS = ('ok', 'changed', 'failures', 'unreachable', 'skipped', 'rescued', 'ignored')
# PLAY RECAP words -> stats keys (ansible's ``AggregateStats.summarize``)
_RECAP_WORDS = {'ok': 'ok', 'changed': 'changed', 'failed': 'failures', 'unreachable': 'unreachable',
                'skipped': 'skipped', 'rescued': 'rescued', 'ignored': 'ignored'}
# ansible-runner ``Runner.stats`` categories -> stats keys
_RUNNER_STATS = {'ok': 'ok', 'changed': 'changed', 'failures': 'failures', 'dark': 'unreachable',
                 'skipped': 'skipped', 'rescued': 'rescued', 'ignored': 'ignored'}
_RUNNER_STATUS = {'runner_on_ok': 'ok', 'runner_on_failed': 'failed', 'runner_on_skipped': 'skipped',
                  'runner_on_unreachable': 'unreachable'}
_FQCN = re.compile(r'^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$')


# --------------------------------------------------------------------------------------------- files

def private_dir(prefix='devkit-run-'):
    """A fresh directory only this user can read (``tempfile.mkdtemp``: mode 0700)."""
    return tempfile.mkdtemp(prefix=prefix)


def write_private(directory, name, content):
    """Write ``content`` (text as is; data as YAML, or JSON for a ``.json`` name) to a 0600 file; return its path."""
    path = os.path.join(directory, name)
    if not isinstance(content, str):
        content = json.dumps(content) if name.endswith('.json') else yaml.safe_dump(content, sort_keys=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, 'w', encoding='utf-8') as handle:
        handle.write(content)
    return path


def _as_file(directory, name, value):
    """A path given stays; data and YAML text are written to ``directory/name``."""
    if isinstance(value, str) and '\n' not in value and os.path.exists(value):
        return value
    return write_private(directory, name, value)


def default_inventory(python=PYTHON):
    """One host ``localhost`` (connection local, the venv interpreter)."""
    return {'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': python}}}}


# --------------------------------------------------------------------------------------------- recap

def parse_recap(text):
    """Per-host stats of the last PLAY RECAP in an ``ansible-playbook`` output (default-style callbacks)."""
    stats = {}
    lines = (text or '').splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith('PLAY RECAP')]
    if not starts:
        return stats
    for line in lines[starts[-1] + 1:]:
        if ' : ' not in line or 'ok=' not in line:
            continue
        host, counts = line.split(' : ', 1)
        fields = dict(p.split('=', 1) for p in counts.split() if '=' in p)
        stats[host.strip()] = dict((key, int(fields.get(word, 0))) for word, key in _RECAP_WORDS.items())
    return stats


def recap_totals(stats):
    """Totals over the hosts of per-host ``stats``: hosts, ok, changed, failed, unreachable, skipped, rescued,
    ignored, changed_hosts, failed_hosts and (with hosts) tasks_per_host: every task result Ansible gave a host
    (ran, skipped or rescued: each costs a worker fork), to two digits."""
    totals = dict(hosts=len(stats), ok=0, changed=0, failed=0, unreachable=0, skipped=0, rescued=0, ignored=0,
                  changed_hosts=0, failed_hosts=0)
    for host_stats in stats.values():
        for word, key in _RECAP_WORDS.items():
            totals[word] += int(host_stats.get(key, 0))
        totals['changed_hosts'] += 1 if host_stats.get('changed') else 0
        totals['failed_hosts'] += 1 if host_stats.get('failures') or host_stats.get('unreachable') else 0
    if totals['hosts']:
        # a task failed inside a block with a rescue counts as ``rescued`` instead of ``failed`` (ansible-core 2.19)
        done = totals['ok'] + totals['failed'] + totals['skipped'] + totals['unreachable'] + totals['rescued']
        totals['tasks_per_host'] = round(done / float(totals['hosts']), 2)
    return totals


def _runner_host_stats(runner_stats):
    stats = {}
    for category, key in _RUNNER_STATS.items():
        for host, count in ((runner_stats or {}).get(category) or {}).items():
            stats.setdefault(host, dict((k, 0) for k in STAT_KEYS))[key] = int(count)
    for host in ((runner_stats or {}).get('processed') or {}):
        stats.setdefault(host, dict((k, 0) for k in STAT_KEYS))
    return stats


def _runner_tasks(events):
    tasks = []
    for event in events:
        status = _RUNNER_STATUS.get(event.get('event'))
        if status is None:
            continue
        data = event.get('event_data') or {}
        res = data.get('res') or {}
        if status == 'ok' and res.get('changed'):
            status = 'changed'
        tasks.append(dict(host=data.get('host'), task=data.get('task'), action=data.get('task_action'),
                          status=status, result=res))
    return tasks


# --------------------------------------------------------------------------------------------- result

class PlaybookResult:
    """Outcome of :func:`run_playbook` (both modes; see the module docstring)."""

    def __init__(self, mode, rc, stdout='', stderr='', stats=None, tasks=None, elapsed=0.0, cpu_seconds=None,
                 timed_out=False, cmd=None, workdir=None, events=None, runner=None, status=None, log='',
                 log_path=None, artifact_dir=None):
        self.mode = mode
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.stats = stats if stats is not None else parse_recap(stdout)
        self.recap = recap_totals(self.stats)
        self.tasks = tasks or []
        self.elapsed = elapsed
        self.cpu_seconds = cpu_seconds
        self.timed_out = timed_out
        self.cmd = cmd
        self.workdir = workdir
        self.events = events or []
        self.runner = runner
        self.status = status or ('timeout' if timed_out else ('successful' if rc == 0 else 'failed'))
        self.log = log
        self.log_path = log_path
        self.artifact_dir = artifact_dir

    def results(self, name, host=None):
        """Every recorded result of the task called ``name`` (on ``host``)."""
        return [t for t in self.tasks if t['task'] == name and (host is None or t['host'] == host)]

    def task(self, name, host=None):
        """The last result of the task called ``name`` (on ``host``); KeyError when absent."""
        found = self.results(name, host)
        if not found:
            raise KeyError('no result for task %r; tasks: %s' % (name, [t['task'] for t in self.tasks]))
        return found[-1]

    @property
    def failed(self):
        return [t for t in self.tasks if t['status'] == 'failed']

    @property
    def output(self):
        return self.stdout + self.stderr

    def failed_hosts(self):
        return sorted(h for h, s in self.stats.items() if s.get('failures') or s.get('unreachable'))

    def changed_hosts(self):
        return sorted(h for h, s in self.stats.items() if s.get('changed'))

    def __repr__(self):
        return '<PlaybookResult %s rc=%s tasks=%d>\n%s\n%s' % (
            self.mode, self.rc, len(self.tasks), self.stdout[-4000:], self.stderr[-2000:])


# --------------------------------------------------------------------------------------------- processes

def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_timed(proc, deadline):
    """wait4 the process until ``deadline`` (monotonic; None: no limit); kill its group past it.
    Returns (rc, cpu seconds of it and its waited-for children, timed out)."""
    timed_out = False
    try:
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                _kill_group(proc.pid)
                pid, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
    except BaseException:
        # interrupted: end the process group started here, then re-raise
        _kill_group(proc.pid)
        try:
            os.wait4(proc.pid, 0)
        except ChildProcessError:
            pass
        proc.returncode = -9
        raise
    proc.returncode = -9 if timed_out else os.waitstatus_to_exitcode(status)
    return proc.returncode, rusage.ru_utime + rusage.ru_stime, timed_out


def run_command(cmd, output_path, stderr_path=None, env=None, cwd=None, timeout=900):
    """Run ``cmd`` in its own process group, stdout to ``output_path`` (stderr too unless ``stderr_path``).

    Returns ``dict(rc, elapsed, cpu, timed_out)``: cpu = user+system of it and its children; past ``timeout``
    seconds the whole group is killed (rc -9, timed_out True)."""
    out = open(output_path, 'wb')  # pylint: disable=consider-using-with
    err = open(stderr_path, 'wb') if stderr_path else None  # pylint: disable=consider-using-with
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err or subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd or REPO, start_new_session=True)
        deadline = time.monotonic() + timeout if timeout else None
        rc, cpu, timed_out = _wait_timed(proc, deadline)
        return dict(rc=rc, elapsed=time.perf_counter() - start, cpu=cpu, timed_out=timed_out)
    finally:
        out.close()
        if err:
            err.close()


def _read(path):
    if not path or not os.path.exists(path):
        return ''
    with open(path, 'rb') as handle:
        return handle.read().decode('utf-8', errors='replace')


class RunningPlaybook:
    """A subprocess-mode run in progress (:func:`start_playbook`)."""

    def __init__(self, proc, cmd, workdir, stdout_path, stderr_path, jsonl_path, log_path, timeout):
        self.proc = proc
        self.pid = proc.pid
        self.cmd = cmd
        self.workdir = workdir
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path
        self.jsonl_path = jsonl_path
        self.log_path = log_path
        self.started = time.perf_counter()
        self.deadline = time.monotonic() + timeout if timeout else None
        self._handles = []

    def poll(self):
        return self.proc.poll()

    def kill(self):
        """Kill the run's whole process group (every worker too)."""
        _kill_group(self.pid)

    def wait(self, timeout=None):
        """Wait for the end (at most ``timeout`` more seconds, else the run's own timeout) and return the result."""
        deadline = self.deadline
        if timeout is not None:
            deadline = time.monotonic() + timeout if deadline is None else min(deadline, time.monotonic() + timeout)
        try:
            rc, cpu, timed_out = _wait_timed(self.proc, deadline)
        finally:
            for handle in self._handles:
                handle.close()
            self._handles = []
        records = []
        if self.jsonl_path and os.path.exists(self.jsonl_path):
            with open(self.jsonl_path, encoding='utf-8') as handle:
                records = [json.loads(line) for line in handle if line.strip()]
        stdout = _read(self.stdout_path)
        stats = [r for r in records if r.get('event') == 'stats']
        return PlaybookResult(
            'subprocess', rc, stdout=stdout, stderr=_read(self.stderr_path),
            stats=stats[-1]['stats'] if stats else parse_recap(stdout),
            tasks=[r for r in records if r.get('event') == 'task'], elapsed=time.perf_counter() - self.started,
            cpu_seconds=cpu, timed_out=timed_out, cmd=self.cmd, workdir=self.workdir, log=_read(self.log_path),
            log_path=self.log_path)


def _cmdline(check, diff, verbosity, limit, tags, forks, args):
    cmd = []
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    if verbosity:
        cmd.append('-' + 'v' * int(verbosity))
    if limit:
        cmd += ['--limit', limit]
    if tags:
        cmd += ['--tags', tags if isinstance(tags, str) else ','.join(tags)]
    if forks:
        cmd += ['--forks', str(forks)]
    return cmd + list(args)


def _env_options(workdir, log, env_options, local_temp=True):
    options = dict(local_temp=os.path.join(workdir, 'tmp')) if local_temp else {}
    if log:
        options['log_path'] = log if isinstance(log, str) else os.path.join(workdir, 'ansible.log')
    options.update(env_options or {})
    return options


def start_playbook(playbook, inventory=None, extra_vars=None, check=False, diff=False, verbosity=0, limit=None,
                   tags=None, forks=None, args=(), env=None, timeout=300, workdir=None, cwd=None, record_tasks=False,
                   log=False, output_path=None, merge_output=False, env_options=None):
    """Start ``ansible-playbook`` (see :func:`run_playbook`); returns a :class:`RunningPlaybook`."""
    workdir = workdir or private_dir('devkit-pb-')
    os.makedirs(workdir, exist_ok=True)
    if isinstance(playbook, str) and _FQCN.match(playbook):
        pb_path = playbook
    else:
        pb_path = _as_file(workdir, 'playbook.yml', playbook)
    inv_path = _as_file(workdir, 'inventory.yml', default_inventory() if inventory is None else inventory)
    options = _env_options(workdir, log, env_options)
    cmd = [os.path.join(options.get('bin_dir', BIN), 'ansible-playbook'), '-i', inv_path, pb_path]
    if extra_vars:
        cmd += ['-e', '@' + write_private(workdir, 'extra_vars.json', extra_vars)]
    cmd += _cmdline(check, diff, verbosity, limit, tags, forks, args)
    jsonl = os.path.join(workdir, 'results.jsonl') if record_tasks else None
    full_env = ansible_env(env, record_tasks=jsonl, **options)
    stdout_path = output_path or os.path.join(workdir, 'stdout.txt')
    stderr_path = None if merge_output else os.path.join(workdir, 'stderr.txt')
    out = open(stdout_path, 'wb')  # pylint: disable=consider-using-with
    err = open(stderr_path, 'wb') if stderr_path else None  # pylint: disable=consider-using-with
    try:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err or subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=full_env, cwd=cwd or workdir, start_new_session=True)
    except BaseException:
        out.close()
        if err:
            err.close()
        raise
    running = RunningPlaybook(proc, cmd, workdir, stdout_path, stderr_path, jsonl, options.get('log_path'), timeout)
    running._handles = [h for h in (out, err) if h]
    return running


def _run_runner(playbook, inventory, extra_vars, check, diff, verbosity, limit, tags, forks, args, env, timeout,
                workdir, log, project_dir, runner_options, env_options):
    import ansible_runner  # pylint: disable=import-outside-toplevel

    workdir = workdir or private_dir('devkit-runner-')
    os.makedirs(workdir, exist_ok=True)
    if isinstance(playbook, str) and '\n' not in playbook and (os.path.exists(playbook) or _FQCN.match(playbook)):
        pb, project = playbook, project_dir or REPO
    else:
        project = os.path.join(workdir, 'project')
        os.makedirs(project, exist_ok=True)
        pb = os.path.basename(write_private(project, 'site.yml', playbook))
    options = _env_options(workdir, log, env_options, local_temp=False)
    # only our settings: the runner merges them over this process's environment (and may write them to files)
    envvars = ansible_env(env, inherit=False, stdout_callback=None, **options)
    cmdline = ' '.join(_cmdline(check, diff, 0, None, tags, None, args))
    kwargs = dict(private_data_dir=workdir, playbook=pb, project_dir=project,
                  inventory=default_inventory() if inventory is None else inventory, envvars=envvars,
                  extravars=extra_vars or {}, cmdline=cmdline or None, verbosity=verbosity or None, limit=limit,
                  forks=forks, quiet=True, timeout=timeout)
    kwargs.update(runner_options or {})
    start = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    runner = ansible_runner.run(**kwargs)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    events = list(runner.events)
    artifact_dir = runner.config.artifact_dir
    return PlaybookResult(
        'runner', runner.rc, stdout=_read(os.path.join(artifact_dir, 'stdout')), stats=_runner_host_stats(runner.stats),
        tasks=_runner_tasks(events), elapsed=time.perf_counter() - start,
        cpu_seconds=(cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
        timed_out=runner.status == 'timeout', cmd=getattr(runner.config, 'command', None), workdir=workdir,
        events=events, runner=runner, status=runner.status, log=_read(options.get('log_path')),
        log_path=options.get('log_path'), artifact_dir=artifact_dir)


def run_playbook(playbook, inventory=None, extra_vars=None, mode='subprocess', check=False, diff=False, verbosity=0,
                 limit=None, tags=None, forks=None, args=(), env=None, timeout=300, workdir=None, cwd=None,
                 record_tasks=False, log=False, output_path=None, merge_output=False, project_dir=None,
                 runner_options=None, env_options=None, result_class=None):
    """Run a playbook and return a :class:`PlaybookResult` (see the module docstring).

    ``mode``: ``subprocess`` (``ansible-playbook`` of the venv) or ``runner`` (``ansible_runner.run``, its events
    and artifacts in ``workdir``; ``project_dir`` defaults to the repo for a playbook path; ``runner_options``:
    further ``ansible_runner.run`` arguments such as ``suppress_env_files`` or ``ident``).
    ``env``: extra environment over :func:`genesys_devkit.ansible_env.ansible_env` (None removes a variable);
    ``env_options``: its keyword options (``collections_path``, ``emulator_path``, ``python``, ...).
    ``log``: True (``workdir/ansible.log``) or a path for ``ANSIBLE_LOG_PATH``; ``result.log`` is its text.
    ``record_tasks`` (subprocess): record every task result (``result.tasks``) with the task recorder callback.
    ``output_path``/``merge_output`` (subprocess): where stdout goes; stderr into it too.
    ``result_class``: a :class:`PlaybookResult` subclass to return (a suite's own helpers).
    """
    if mode not in MODES:
        raise ValueError('mode must be one of %s, not %r' % (', '.join(MODES), mode))
    if mode == 'runner':
        result = _run_runner(playbook, inventory, extra_vars, check, diff, verbosity, limit, tags, forks, args, env,
                             timeout, workdir, log, project_dir, runner_options, env_options)
    else:
        result = start_playbook(playbook, inventory, extra_vars, check=check, diff=diff, verbosity=verbosity,
                                limit=limit, tags=tags, forks=forks, args=args, env=env, timeout=timeout,
                                workdir=workdir, cwd=cwd, record_tasks=record_tasks, log=log, output_path=output_path,
                                merge_output=merge_output, env_options=env_options).wait()
    if result_class is not None and not isinstance(result, result_class):
        result.__class__ = result_class
    return result
