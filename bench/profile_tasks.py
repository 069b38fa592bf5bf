#!/usr/bin/env python3
"""Where the CPU of a playbook run goes, per task: cProfile of every Ansible worker and of the controller.

Runs ``ansible-playbook`` in this process (the project venv's ansible-core) with two hooks:

* every worker process (one per host-task, forked by the strategy) runs ``WorkerProcess._run`` under its own
  ``cProfile`` and records its total CPU (``getrusage``: fork, TaskExecutor, action plugin, result sending);
* the controller process runs under ``cProfile`` as a whole (variable manager, templating, strategy, callbacks).

Then it prints, per task name: the workers, their mean CPU (rusage) and the functions with the most own time
(tottime) and cumulative time, summed over that task's workers; and the controller's top functions.

    .venv/bin/python bench/profile_tasks.py --out DIR -- -i INVENTORY PLAYBOOK [ansible-playbook args]
    .venv/bin/python bench/profile_tasks.py --out DIR --report [--task SUBSTRING] [--top 25]

The environment (ANSIBLE_COLLECTIONS_PATH etc.) is the caller's; ``bench/run.py`` is not needed.  A benchmark
helper, not collection content.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import resource
import sys
import time

PARENT = {'prof': None}


def _slug(text):
    return re.sub(r'[^A-Za-z0-9]+', '-', text or 'task').strip('-')[:80] or 'task'


def _profile():
    # CPU time, not wall time: a worker waiting on the network costs nothing here
    return cProfile.Profile(time.process_time)


def install_hooks(out_dir, profile=True):
    from ansible.executor.process import worker

    original = worker.WorkerProcess._run

    def profiled_run(self):
        if PARENT['prof'] is not None:
            PARENT['prof'].disable()  # inherited through fork: the worker gets its own profile
        prof = _profile() if profile else None
        started = time.time()
        if prof:
            prof.enable()
        try:
            return original(self)
        finally:
            if prof:
                prof.disable()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            name = self._task.get_name()
            base = os.path.join(out_dir, 'worker-%d-%s' % (os.getpid(), _slug(name)))
            if prof:
                prof.dump_stats(base + '.prof')
            with open(base + '.json', 'w') as f:
                json.dump(dict(task=name, host=str(self._host), pid=os.getpid(), start=started, end=time.time(),
                               cpu=usage.ru_utime + usage.ru_stime, maxrss_kb=usage.ru_maxrss), f)

    worker.WorkerProcess._run = profiled_run


def run_playbook(out_dir, ansible_args, profile=True):
    os.makedirs(out_dir, exist_ok=True)
    install_hooks(out_dir, profile)
    from ansible.cli.playbook import PlaybookCLI

    prof = _profile() if profile else None
    PARENT['prof'] = prof
    before = resource.getrusage(resource.RUSAGE_SELF)
    if prof:
        prof.enable()
    try:
        rc = PlaybookCLI(['ansible-playbook'] + list(ansible_args)).run()
    finally:
        if prof:
            prof.disable()
            prof.dump_stats(os.path.join(out_dir, 'controller.prof'))
        after = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(os.path.join(out_dir, 'controller.json'), 'w') as f:
            json.dump(dict(cpu=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
                           children_cpu=children.ru_utime + children.ru_stime), f)
    return rc


def _top(stats, key, top):
    buf = io.StringIO()
    stats.stream = buf
    stats.sort_stats(key).print_stats(top)
    text = buf.getvalue()
    start = text.find('   ncalls')
    return text[start:] if start >= 0 else text


def report(out_dir, task_filter=None, top=25):
    workers = {}
    for name in sorted(os.listdir(out_dir)):
        if name.startswith('worker-') and name.endswith('.json'):
            with open(os.path.join(out_dir, name)) as f:
                data = json.load(f)
            data['prof'] = os.path.join(out_dir, name[:-5] + '.prof')
            workers.setdefault(data['task'], []).append(data)
    print('%-80s %7s %14s %10s %12s' % ('task', 'workers', 'CPU ms/worker', 'span s', 'worker ms'))
    for task, ws in sorted(workers.items(), key=lambda kv: min(w.get('start', 0) for w in kv[1])):
        # span: first worker start to last worker end (the task's wall time across the hosts, lockstep strategy);
        # worker ms: mean wall time of one worker (run + waiting on the network)
        span = max(w.get('end', 0) for w in ws) - min(w.get('start', 0) for w in ws)
        print('%-80s %7d %14.1f %10.2f %12.1f' % (task[:80], len(ws), 1000.0 * sum(w['cpu'] for w in ws) / len(ws), span,
                                                  1000.0 * sum(w.get('end', 0) - w.get('start', 0) for w in ws) / len(ws)))
    print('%-90s %7d %14.1f  (all host-tasks; controller separately below)' % (
        'total', sum(len(ws) for ws in workers.values()),
        1000.0 * sum(w['cpu'] for ws in workers.values() for w in ws) / max(1, sum(len(ws) for ws in workers.values()))))
    for task, ws in workers.items():
        if task_filter and task_filter.lower() not in task.lower():
            continue
        if not all(os.path.exists(w['prof']) for w in ws):
            continue  # --rusage-only run
        stats = pstats.Stats(*[w['prof'] for w in ws])
        print('\n=== %s: %d worker(s), %.1f ms CPU per worker (rusage), %.1f ms profiled per worker ===' % (
            task, len(ws), 1000.0 * sum(w['cpu'] for w in ws) / len(ws), 1000.0 * stats.total_tt / len(ws)))
        print('-- own time (tottime), summed over the workers --')
        print(_top(stats, 'tottime', top))
        print('-- cumulative time, summed over the workers --')
        print(_top(stats, 'cumulative', top))
    ctl = os.path.join(out_dir, 'controller.prof')
    info_path = os.path.join(out_dir, 'controller.json')
    if os.path.exists(info_path) and not task_filter:
        with open(info_path) as f:
            info = json.load(f)
        print('\n=== controller: %.2f s CPU (workers and modules: %.2f s) ===' % (info['cpu'], info['children_cpu']))
    if os.path.exists(ctl) and not task_filter:
        stats = pstats.Stats(ctl)
        print(_top(stats, 'tottime', top))
        print(_top(stats, 'cumulative', top))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ansible_args = []
    if '--' in argv:
        i = argv.index('--')
        argv, ansible_args = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='directory for the profiles')
    p.add_argument('--report', action='store_true', help='only print the report of an earlier run')
    p.add_argument('--task', help='report: only tasks whose name contains this')
    p.add_argument('--top', type=int, default=25)
    p.add_argument('--rusage-only', action='store_true',
                   help='no cProfile (its overhead inflates the CPU): only the CPU of every worker and the controller')
    args = p.parse_args(argv)
    if args.report:
        report(args.out, args.task, args.top)
        return 0
    if not ansible_args:
        p.error('give the ansible-playbook arguments after --')
    rc = run_playbook(args.out, ansible_args, profile=not args.rusage_only)
    report(args.out, args.task, args.top)
    return rc


if __name__ == '__main__':
    sys.exit(main())
