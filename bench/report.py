"""Tables (stdout and Markdown), docs/performance.md and the fleet plot of the benchmark."""

import os

TOOL_NAMES = {
    'collection': 'genesyscloud.sso role',
    'sequential': "peer (a) sequential, role's requests",
    'tutorial': "peer (a-t) sequential, tutorial's flow",
    'threaded': "peer (c) role's requests, thread pool",
    'uri': 'peer (b) ansible.builtin.uri',
}
TOOL_ORDER = ('collection', 'sequential', 'tutorial', 'threaded', 'uri')
PEER_ORDER = TOOL_ORDER[1:]
SHORT = {'sequential': '(a)', 'tutorial': '(a-t)', 'threaded': '(c)', 'uri': '(b)'}

# What each tool requests per org, and why (docs/performance.md, section "The tools"); the counts come from the
# run's results (``peer_requests``, ``minimum``: bench/run.py's table), never from here.
REQUEST_LISTS = [
    ('collection',
     'step 4 (`genesys_identity_provider`) with the preserved client: client token, `tokens/me`, probe '
     '`organizations/me`; the admin token (token.yml); the overview `GET /identityproviders`; '
     '`GET /identityproviders/<type>`; on a change: the admin-side `GET /organizations/me` (unless the org is given), '
     'the write, the read-back after `settle_delay` and the client proven again (new token, `tokens/me`, probe); '
     'in check mode the admin\'s `tokens/me` (section 1)'),
    ('sequential',
     "exactly the role's requests (the same count per endpoint, the admin-side org read before the write included), "
     'one `requests.Session` per org, orgs one after another: the ratio collection / (a) is what the tool itself '
     'costs on top of the same network work'),
    ('tutorial',
     "the tutorial's flow: the bare flow without the overview `GET /identityproviders` (a script reads only the "
     "provider it configures; the role lists them for the module's own safety checks) and without the safety reads "
     '(no admin-side org read). The strictest sequential peer: the issue states its 2x target against this script'),
    ('threaded',
     "the requests of (a) on a pool of as many threads as the playbooks' forks, one `requests.Session` per "
     'org, orgs spread over the threads: what a short script written for speed does'),
    ('uri',
     "the role's requests as `ansible.builtin.uri` tasks (one task per request, a loop per preserved client), "
     'same inventory and forks: what users write today with Ansible'),
]
VARIANT_NAMES = {
    'controller': 'action plugin (default)',
    'module': 'plain module',
    'uri': 'ansible.builtin.uri, same request(s)',
}


def _table(headers, rows):
    """A Markdown table (also readable on stdout)."""
    cells = [[str(c) for c in headers]] + [['' if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ['| ' + ' | '.join(c.ljust(widths[i]) for i, c in enumerate(cells[0])) + ' |',
             '|' + '|'.join('-' * (w + 2) for w in widths) + '|']
    for r in cells[1:]:
        lines.append('| ' + ' | '.join(c.ljust(widths[i]) for i, c in enumerate(r)) + ' |')
    return '\n'.join(lines)


def _fmt(x, digits=2):
    if x is None:
        return 'n/a'
    return ('%.' + str(digits) + 'f') % x


def _x(ratio):
    return 'n/a' if ratio is None else '%.2fx' % ratio


SCENARIOS = ('fresh', 'fresh-org-name', 'converged', 'check')
SCENARIO_NAMES = {
    'fresh': 'fresh',
    'fresh-org-name': 'fresh with saml_sso_org_name set',
    'converged': 'converged',
    'check': 'check (--check --diff, fresh org)',
}


MINIMUM_ORDER = ('converged', 'fresh', 'fresh-org-name', 'check')


def minimum_rows(table):
    """The distinct requests of the minimum table (``results['minimum_requests']``), in order of first appearance,
    each with its count per run type: [(need, {scenario: count})]."""
    rows = []
    for scenario in MINIMUM_ORDER:
        for need in table.get(scenario) or []:
            key = (need['endpoint'], need['promise'], need['asked'], need['safety_read'])
            for row in rows:
                if row[0] == key:
                    break
            else:
                row = (key, dict(need=need, counts={}))
                rows.append(row)
            row[1]['counts'][scenario] = row[1]['counts'].get(scenario, 0) + need['count']
    return [(r[1]['need'], r[1]['counts']) for r in rows]


def minimum_section(results):
    """"Minimum per org, and why", written from the run's table of the minimum (bench/run.py MINIMUM_REQUESTS)."""
    table = results.get('minimum_requests')
    if not table:
        return ['The results of this run predate the table of the minimum (`MINIMUM_REQUESTS` in bench/run.py); '
                're-run the benchmark for the section "Minimum per org, and why".', '']
    minimum, bare = results.get('minimum') or {}, results.get('minimum_bare') or {}
    scenarios = [sc for sc in MINIMUM_ORDER if sc in table]
    L = ['Minimum per org, and why (one request per row; the counts per run type; written from the table '
         '`MINIMUM_REQUESTS` of `bench/run.py`, which is also what the runs are compared with):', '']
    rows = []
    for need, counts in minimum_rows(table):
        rows.append(['`%s`' % need['endpoint']] + [counts.get(sc, '-') for sc in scenarios] +
                    [need['promise'], need['asked'], 'safety read' if need['safety_read'] else 'bare flow'])
    rows.append(['**minimum**'] + ['**%s**' % minimum.get(sc, 'n/a') for sc in scenarios] + ['', '', ''])
    rows.append(['bare flow (without the safety reads)'] + [bare.get(sc, 'n/a') for sc in scenarios] + ['', '', ''])
    L.append(_table(['request'] + [SCENARIO_NAMES[sc] for sc in scenarios] +
                    ['the promise it keeps', 'asked in', 'kind'], rows))
    L.append('')
    L.append('The bare flow without the safety reads: %s. The minimum is that flow plus the reads later issues require; '
             'each cannot be dropped without losing its promise:' % ', '.join(
                 '%s %s' % (SCENARIO_NAMES[sc], bare.get(sc, 'n/a')) for sc in scenarios))
    L.append('')
    for need, counts in minimum_rows(table):
        if need['safety_read']:
            where = ', '.join('%s on %s' % ('%+d' % counts[sc] if counts[sc] else '0 here', SCENARIO_NAMES[sc])
                              for sc in MINIMUM_ORDER if sc in counts)
            L.append('- **%s `%s`** (%s; %s): %s.' % (
                where, need['endpoint'], need['asked'],
                'in the minimum' if any(counts.values()) else 'none in this benchmark', need['promise']))
    L.append('')
    L.append('Check mode writes nothing (the writes column must be 0) and skips the verification and the second '
             'validation, nothing having changed.')
    L.append('')
    return L


def requests_table(req, minimum):
    rows = []
    for tool in TOOL_ORDER:
        for scenario in SCENARIOS:
            d = req.get(tool, {}).get(scenario)
            if not d:
                continue
            rows.append([TOOL_NAMES[tool], SCENARIO_NAMES[scenario], d['total'],
                         d.get('minimum', minimum.get(scenario)), _fmt(d['ratio']), d['writes'], d['tokens'],
                         'ok' if d.get('rc') == 0 else 'FAILED rc=%s' % d.get('rc')])
    return _table(['tool', 'org state', 'requests', 'minimum', 'ratio', 'writes', 'token grants', 'run'], rows)


def _extras_short(d):
    return ', '.join('%+d %s' % (x['count'], x['endpoint']) for x in d.get('extra') or [])


def requests_extras_table(req):
    """Per run type of the collection: the minimum, what the run made, and each request beyond it with its reason."""
    rows = []
    for scenario in SCENARIOS:
        d = req.get('collection', {}).get(scenario)
        if not d:
            continue
        extras = d.get('extra') or []
        if not extras:
            rows.append([SCENARIO_NAMES[scenario], d['minimum'], d['total'], '-', 'at the minimum'])
        for x in extras:
            rows.append([SCENARIO_NAMES[scenario], d['minimum'], d['total'], '%+d `%s`' % (x['count'], x['endpoint']),
                         x['reason']])
    return _table(['run', 'minimum', 'made', 'beyond the minimum', 'why'], rows)


def requests_breakdown(req):
    """Per-endpoint counts of the collection's runs (Markdown)."""
    out = []
    for scenario in SCENARIOS:
        d = req.get('collection', {}).get(scenario)
        if not d:
            continue
        rows = sorted(d['per_endpoint'].items())
        out.append('**%s**: ' % SCENARIO_NAMES[scenario] + ', '.join('`%s` x%d' % (k, v) for k, v in rows))
    return '\n\n'.join(out)


def per_task_table(rows):
    table = []
    for r in rows:
        line = [r['module'] if r['module'] != 'ansible.builtin.debug' else 'floor: ansible.builtin.debug (no request)']
        for v in ('controller', 'module', 'uri'):
            d = r['paths'].get(v)
            line.append('%s s / %s s (%s req)' % (_fmt(d['wall'], 3), _fmt(d['cpu'], 3), _fmt(d['requests'], 1))
                        if d else 'n/a')
        line.append('%s / %s' % (_fmt(r.get('action_over_module_wall'), 3), _fmt(r.get('action_over_module_cpu'), 3)))
        table.append(line)
    return _table(['module', 'action plugin: wall / CPU per task', 'plain module: wall / CPU per task',
                   'uri: wall / CPU per same request(s)', 'action/module (wall / CPU)'], table)


def fleet_table(ratios):
    """Wall time of each tool per point, and peer wall / collection wall (> 1x: the collection is faster)."""
    rows = []
    for r in ratios:
        line = [r['size'], r['forks'], r['scenario'], _fmt(r['collection'])]
        for p in PEER_ORDER:
            line.append('%s (%s)' % (_fmt(r.get(p)), _x(r.get('speedup_vs_' + p))) if r.get(p) is not None else 'n/a')
        line.append(r['n'])
        rows.append(line)
    return _table(['orgs', 'forks', 'org state', 'collection s'] +
                  ['%s s (peer/collection)' % SHORT[p] for p in PEER_ORDER] +
                  ['runs (median of: collection/%s)' % '/'.join(SHORT[p] for p in PEER_ORDER)], rows)


def fleet_cost_table(medians, minimum):
    """Per tool and point: wall, CPU of the process tree, CPU per org, host-tasks and requests per org, load."""
    rows = []
    for m in medians:
        tasks = m.get('host_tasks_per_org')
        mini = minimum.get(m['scenario'])
        loads = m.get('loadavg_before') or []
        rows.append([m['size'], TOOL_NAMES[m['tool']], m['forks'] or '-', m['scenario'], m['n'],
                     _fmt(m['wall_median']), _fmt(m['cpu_median']), _fmt(m.get('cpu_per_org', m['cpu_median'] / m['size']), 3),
                     _fmt(tasks, 1) if tasks is not None else '-',
                     '%.0f' % (1000.0 * m['cpu_median'] / m['size'] / tasks) if tasks else '-',
                     '%s (min %s)' % (_fmt(m.get('requests_per_org', m['requests_median'] / float(m['size'])), 2), mini),
                     '/'.join('%.1f' % x for x in loads) if loads else '-'])
    return _table(['orgs', 'tool', 'forks', 'org state', 'runs', 'wall s', 'CPU s', 'CPU s per org',
                   'host-tasks per org', 'CPU ms per host-task', 'requests per org', 'load before'], rows)


def plot_fleet(results, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fleet = results['fleet']
    forks = results['settings']['forks_sweep']
    scenarios = ('converged', 'fresh')
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5), sharex=True)
    styles = {'collection': ('o-', 'tab:blue'), 'sequential': ('s--', 'tab:orange'), 'tutorial': ('D--', 'tab:brown'),
              'threaded': ('v-.', 'tab:green'), 'uri': ('^:', 'tab:red')}
    for col, scenario in enumerate(scenarios):
        for row, metric in enumerate(('wall', 'cpu')):
            ax = axes[row][col]
            for tool in TOOL_ORDER:
                pts = sorted((m['size'], m) for m in fleet['medians']
                             if m['tool'] == tool and m['scenario'] == scenario
                             and (m['forks'] == forks or m['forks'] is None))
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                fmt, color = styles[tool]
                label = TOOL_NAMES[tool] + ('' if pts[0][1]['forks'] is None else
                                            ' (%s %d)' % ('threads' if tool == 'threaded' else 'forks', forks))
                if metric == 'wall':
                    ys = [p[1]['wall_median'] for p in pts]
                    lo = [p[1]['wall_median'] - p[1]['wall_min'] for p in pts]
                    hi = [p[1]['wall_max'] - p[1]['wall_median'] for p in pts]
                    ax.errorbar(xs, ys, yerr=[lo, hi], fmt=fmt, color=color, capsize=3, label=label)
                else:
                    ax.plot(xs, [p[1]['cpu_median'] for p in pts], fmt, color=color, label=label)
            if row == 0:
                ax.set_title('%s orgs, %d ms latency per request' % (scenario, results['settings']['latency_ms']))
                ax.set_ylabel('wall time of one run (s)\nmedian; bars = min..max')
            else:
                ax.set_ylabel('CPU time of the tool (s)\nuser+system incl. children')
                ax.set_xlabel('number of orgs')
            ax.grid(True, alpha=0.3)
            ax.set_xticks(sorted(set(results['settings']['sizes'])))
            ax.set_ylim(bottom=0)
    axes[0][0].legend(fontsize=8, loc='upper left')
    m = results['machine']
    fig.suptitle('Configure SAML SSO on a fleet: genesyscloud.sso vs peers (%s cores, shared; %s)' % (
        m['nproc'], m['date']), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_markdown(results, path, png_name):
    m = results['machine']
    s = results['settings']
    L = []
    L.append('# Performance of genesyscloud.sso')
    L.append('')
    L.append('Written by `%s` on %s; mode **%s**; the benchmark took %.0f s. '
             'Raw data: `bench/results.json`. Do not edit by hand: re-run the benchmark (`make bench`).' % (
                 results.get('command', 'bench/run.py'), m['date'], results['mode'], results.get('duration_s', 0)))
    L.append('')
    L.extend(summary_section(results))
    L.append('## Machine')
    L.append('')
    L.append(_table(['item', 'value'], [
        ['date', m['date']],
        ['nproc', m['nproc']],
        ['CPU', m['cpu_model']],
        ['memory', '%s GB' % m.get('memory_gb')],
        ['OS', m['os']],
        ['Python', m['python']],
        ['ansible-core', m['ansible_core']],
        ['requests', m['requests']],
        ['code measured', '%s%s%s' % ((m.get('code') or {}).get('commit', '')[:12],
                                      ' + %d uncommitted file(s)' % m['code']['uncommitted_files']
                                      if (m.get('code') or {}).get('uncommitted_files') else '',
                                      {'head': ' (copy of this commit)', 'worktree': ' (copy of the working tree at the start)'}
                                      .get((m.get('code') or {}).get('source'), ' (live working tree)'))],
        ['load average (1/5/15 min) at start', ' / '.join('%.2f' % x for x in m['loadavg_start'])],
        ['load average at end', ' / '.join('%.2f' % x for x in m.get('loadavg_end', []))],
    ]))
    L.append('')
    L.append('This is a shared 2-core machine: other work (tests of other engineers) may run at the same time, '
             'so absolute times are noisy. Compare the ratios, which come from runs interleaved in the same '
             'benchmark run (the tool order rotates between repetitions). The emulator runs on the same 2 cores '
             'and its CPU is part of what every tool waits for.')
    L.append('')
    if results.get('failures'):
        L.append('**%d run(s) failed or misbehaved in this benchmark run** (see `failures` in results.json): %s.' % (
            len(results['failures']), ', '.join(f['what'] for f in results['failures'])))
        L.append('')

    req = results.get('requests')
    if req:
        L.append('## 1. Requests per org')
        L.append('')
        L.append('From the emulator request log (`GET /_emulator/requests?org=`), one org, one managed provider '
                 '(`%s`), one preserved client with the default probe (`/api/v2/organizations/me`), emulator '
                 'latency 0. "fresh" = first run on an org without the provider, "converged" = the re-run, '
                 '"check" = `--check --diff` on a fresh org.' % s['provider_type'])
        L.append('')
        L.append(requests_table(req, results['minimum']))
        L.append('')
        L.extend(minimum_section(results))
        L.append('What the collection made beyond these minimums, request by request (from the per-endpoint counts '
                 'below), and why:')
        L.append('')
        L.append(requests_extras_table(req))
        L.append('')
        L.append('Requests of the collection per endpoint:')
        L.append('')
        L.append(requests_breakdown(req))
        L.append('')
        L.append('The peers make their request lists by construction (`bench/peers/`, section "The tools"); the '
                 'benchmark fails a peer whose count differs from its list (the counts above).')
        L.append('')

    L.extend(tools_section(results))
    fleet = results.get('fleet')
    if fleet:
        L.append('## 2. Fleet: wall time, CPU, host-tasks')
        L.append('')
        L.append('Emulator latency %d ms per request. Wall time of one whole run (process start to exit) of '
                 '`ansible-playbook playbooks/configure_sso.yml` and of each peer, all on the same inventory (one '
                 'host per org). "fresh": the emulator is reset to the seed first (no provider); "converged": the '
                 'same tool runs again right after. The tools of one point run back to back, their order rotating '
                 'between repetitions, so the ratios come from the same conditions. Every run is checked through '
                 'the request log: a fresh run must write exactly once per org, a converged run never, and a peer '
                 'must make exactly its request list per org (section "The tools"). Planned: %d run(s) per point '
                 'below %d orgs, %d at %d orgs; the uri peer (b) only up to %s orgs (it costs 3-5 s per org on 2 '
                 'cores). The last column gives how many runs each median is made of.' % (
                     s['latency_ms'], s['reps_small'], max(s['sizes']), s['reps_big'], max(s['sizes']),
                     s.get('uri_max_size') or 'any number of'))
        L.append('')
        orders = {}
        for r in fleet.get('runs', []):
            seq = orders.setdefault((r['size'], r['rep']), [])
            if r['tool'] not in seq:
                seq.append(r['tool'])
        if orders:
            L.append('Order of the tools (each fresh then converged) per point and repetition: ' + '; '.join(
                '%d orgs rep %d: %s' % (size, rep, ', '.join('collection' if t == 'collection' else SHORT[t] for t in seq))
                for (size, rep), seq in sorted(orders.items(), key=lambda kv: (-kv[0][0], kv[0][1]))) +
                '. The order rotates between repetitions (repetition 2 starts with the last tool of repetition 1); a '
                'point that ran once has one order only.')
            L.append('')
        if fleet.get('note'):
            L.append('**Note on this run:** ' + fleet['note'])
            L.append('')
        L.append(fleet_table(fleet['ratios']))
        L.append('')
        L.append('In brackets: peer wall time / collection wall time (medians of the same benchmark run): above '
                 '1x the collection is faster than that peer, below 1x slower.')
        L.append('')
        if fleet['medians']:
            L.append('Every measured point. CPU = user+system of the tool\'s whole process tree (ansible-playbook, '
                     'its workers and module processes; the emulator not included). Host-tasks per org = every task '
                     'result per host in the PLAY RECAP (ok + failed + skipped + unreachable + rescued; a loop counts once), '
                     'i.e. the worker processes Ansible forks, whether the task runs or is skipped (`bench/profile_tasks.py` '
                     'counts the workers themselves and finds the same number); a meta task (e.g. `meta: end_host`) is '
                     'decided in the controller without a worker and is not in the recap, so not counted. Requests per org from '
                     'the emulator\'s request log, beside the minimum of the collection (section 1). "load before": '
                     'the 1-minute load average of the machine before each run of the median.')
            L.append('')
            L.append(fleet_cost_table(fleet['medians'], results.get('minimum') or {}))
            L.append('')
            L.append('On 2 cores a playbook cannot finish faster than (CPU s per org x orgs) / 2, whatever the forks; '
                     'the sequential peers instead wait on latency (requests x %d ms per org) and use little CPU.'
                     % s['latency_ms'])
            L.append('')
        if png_name:
            L.append('![wall time against number of orgs](%s)' % png_name)
            L.append('')
        loads = [r['loadavg_before'][0] for r in fleet['runs'] if r.get('loadavg_before')]
        if loads:
            L.append('1-minute load average before each fleet run: min %.1f, median %.1f, max %.1f (2 cores, '
                     'shared with other engineers\' tests; the load average counts the benchmark\'s own runs too, so a '
                     'CPU-heavy run such as peer (b) or a collection run raises it for the next one).' % (
                         min(loads), sorted(loads)[len(loads) // 2], max(loads)))
            L.append('')
        if fleet.get('skipped'):
            L.append('Not run, because they were predicted not to fit the time budget (`--budget-min`): ' + ', '.join(
                '%s at %d orgs%s rep %d (~%d s)' % (TOOL_NAMES[k['tool']], k['size'],
                                                    ' forks %s' % k['forks'] if k['forks'] else '', k['rep'],
                                                    k['predicted_s']) for k in fleet['skipped']) + '.')
            L.append('')

    per_task = results.get('per_task')
    if per_task:
        L.append('## 3. Cost of one task')
        L.append('')
        L.append('Emulator latency 0. One host (`connection: local`), a playbook of N identical tasks minus the '
                 'same playbook with none: time per task = (T(N) - T(0)) / N, median of %d runs; N = %d for the '
                 'action plugin, %d for the plain module (`genesyscloud_sso_execution: module`) and for '
                 '`ansible.builtin.uri`. CPU = user+system of `ansible-playbook` and all its children (workers, '
                 'module processes). "req" = requests each task made (from the request log). The uri column does '
                 'the same request(s) as the module: `genesys_oauth_check` needs 3 uri tasks (token, tokens/me, '
                 'probe), so its uri figure is for those 3 tasks together.' % (
                     s['per_task_reps'], s['per_task_count'] * 3, s['per_task_count']))
        L.append('')
        L.append(per_task_table(per_task))
        L.append('')
        L.append('Target (issue 4): the action path costs at most 1/10 of the module path, i.e. the last column '
                 '<= 0.100. What is measured is the whole per-task cost as Ansible sees it (worker fork, '
                 'templating, callbacks, plus the module process on the module path), not only the module code.')
        L.append('')
    L.extend(targets_section(results))
    L.append('## How to reproduce')
    L.append('')
    L.append('```')
    L.append('make bench                                  # = .venv/bin/python bench/run.py')
    L.append('.venv/bin/python bench/run.py --quick       # smoke test: 10 orgs, 1 run (writes bench/out/quick/)')
    L.append('.venv/bin/python bench/run.py --help        # sizes, repetitions, forks, latency, parts to skip')
    L.append('```')
    L.append('')
    with open(path, 'w') as f:
        f.write('\n'.join(L))


def _tool_counts(results, tool):
    """'converged 6, fresh 12' of a tool, from the run's results (the collection: every run type's minimum)."""
    if tool == 'collection':
        counts = results.get('minimum') or {}
        return ', '.join('%s %s' % (SCENARIO_NAMES[sc], counts[sc]) for sc in MINIMUM_ORDER if sc in counts) or 'n/a'
    counts = (results.get('peer_requests') or {}).get(tool) or {}
    return ', '.join('%s %s' % (sc, counts[sc]) for sc in ('converged', 'fresh') if sc in counts) or 'n/a'


def tools_section(results):
    """What each tool does per org (request list) and why."""
    L = ['## The tools and their requests per org', '']
    L.append(_table(['tool', 'requests per org', 'what it does, and why'],
                    [[TOOL_NAMES[t], _tool_counts(results, t), why] for t, why in REQUEST_LISTS]))
    L.append('')
    L.append("Which peer each target is measured against: the issue's \"at least 2x faster than the sequential "
             "script\" against peer (a-t), the tutorial's flow (the stricter of the two sequential peers, one "
             "request per org fewer than the role); the ratio against (a), which makes exactly the role's requests, "
             "is shown beside it and isolates what the tool itself costs. \"Within 4x of a thread-pool peer\" against "
             "peer (c) (the role's requests, threads = forks).")
    L.append('')
    return L


TARGET_FORKS = 10


def _target_points(results):
    """The ratios and medians the issue states its targets for: the largest size, forks 10 (else the
    forks measured there)."""
    fleet = results.get('fleet') or {}
    ratios = fleet.get('ratios') or []
    if not ratios:
        return None, [], {}
    big = max(r['size'] for r in ratios)
    at_big = [r for r in ratios if r['size'] == big]
    forks = TARGET_FORKS if any(r['forks'] == TARGET_FORKS for r in at_big) else at_big[0]['forks']
    pts = [r for r in at_big if r['forks'] == forks]
    med = dict(((m['tool'], m['scenario']), m) for m in fleet.get('medians', [])
               if m['size'] == big and m['forks'] in (forks, None))
    return (big, forks), pts, med


def _met(ok):
    return 'met' if ok else 'NOT met'


def targets_section(results):
    """Targets of issue 15 (and the per-task one of issue 4) against what this run measured (met / NOT met)."""
    L = ['## Targets: measured', '']
    rows = []
    where, pts, med = _target_points(results)
    for r in pts:
        at = '%d orgs, forks %s, %s' % (where[0], where[1], r['scenario'])
        judge = 'tutorial' if r.get('speedup_vs_tutorial') is not None else 'sequential'
        if r.get('speedup_vs_' + judge) is not None:
            ref = ('; vs (a) role\'s requests %s' % _x(r['speedup_vs_sequential'])
                   if judge == 'tutorial' and r.get('speedup_vs_sequential') is not None else '')
            rows.append(['>= 2x faster than the sequential script %s' % SHORT[judge], at,
                         '%s (%.1f s vs %.1f s)%s' % (_x(r['speedup_vs_' + judge]), r['collection'], r[judge], ref),
                         _met(r['speedup_vs_' + judge] >= 2)])
        if r.get('speedup_vs_threaded') is not None:
            slower = r['collection'] / r['threaded'] if r['threaded'] else None
            rows.append(['within 4x of the thread-pool peer (c)', at,
                         'collection %.1f s = %.2fx the time of (c) %.1f s' % (r['collection'], slower, r['threaded']),
                         _met(slower is not None and slower <= 4)])
    conv = med.get(('collection', 'converged'))
    if conv:
        at = '%d orgs, forks %s, converged' % (where[0], where[1])
        rows.append(['converged org <= 0.25 CPU-s', at, '%.3f CPU-s per org' % conv['cpu_per_org'],
                     _met(conv['cpu_per_org'] <= 0.25)])
        if conv.get('host_tasks_per_org') is not None:
            rows.append(['converged org <= 6 host-tasks', at, '%.1f host-tasks per org' % conv['host_tasks_per_org'],
                         _met(conv['host_tasks_per_org'] <= 6)])
    req = results.get('requests') or {}
    for scenario in ('converged', 'fresh', 'fresh-org-name', 'check'):
        d = req.get('collection', {}).get(scenario)
        if d:
            bare = (results.get('minimum_bare') or {}).get(scenario)
            rows.append(['requests per org at the minimum', '1 org, %s' % SCENARIO_NAMES[scenario],
                         '%d vs %d%s%s' % (d['total'], d['minimum'],
                                           ' (bare flow %d + safety reads, section 1)' % bare
                                           if bare is not None and bare != d['minimum'] else '',
                                           ' (beyond: %s; section 1)' % _extras_short(d) if d.get('extra') else ''),
                         'met' if d['total'] <= d['minimum'] else 'NOT met (%+d)' % (d['total'] - d['minimum'])])
        m = med.get(('collection', scenario))
        if m:
            mini = (results.get('minimum') or {}).get(scenario)
            rows.append(['requests per org at the minimum', '%d orgs, forks %s, %s' % (where[0], where[1], scenario),
                         '%.2f vs %s' % (m['requests_per_org'], mini),
                         'met' if mini and m['requests_per_org'] <= mini else 'NOT met (%+.2f)' % (m['requests_per_org'] - mini)])
    for r in results.get('per_task') or []:
        if r.get('action_over_module_cpu') is None:
            continue
        rows.append(['action path <= 1/10 of module path (issue 4)', r['module'],
                     'wall %.3f, CPU %.3f' % (r['action_over_module_wall'], r['action_over_module_cpu']),
                     ('met' if r['action_over_module_wall'] <= 0.1 else 'NOT met') + ' (wall), ' +
                     ('met' if r['action_over_module_cpu'] <= 0.1 else 'NOT met') + ' (CPU)'])
    if not rows:
        return []
    L.append('Issue 15 states its fleet targets for 200 orgs, 50 ms latency, forks 10, measured in one run; the rows '
             'below use the largest size of this run%s.' % (
                 ' (%d orgs, forks %s)' % where if where else ''))
    L.append('')
    L.append(_table(['target', 'where', 'measured', 'result'], rows))
    L.append('')
    return L


def summary_section(results):
    """A few sentences computed from the data: the headline numbers of this run."""
    L = ['## Summary', '']
    req = (results.get('requests') or {}).get('collection') or {}
    if req:
        L.append('- Requests per org (one provider, one preserved client): ' + ', '.join(
            '%s %d (minimum %d)' % (SCENARIO_NAMES[sc], req[sc]['total'], req[sc]['minimum'])
            for sc in SCENARIOS if sc in req) + '; check mode wrote %s.' % (
                req.get('check', {}).get('writes', 'n/a')))
    where, pts, med = _target_points(results)
    for r in pts:
        parts = ['collection %.1f s' % r['collection']]
        for p in PEER_ORDER:
            if r.get(p) is not None:
                parts.append('%s %.1f s (%s)' % (SHORT[p], r[p], _x(r['speedup_vs_' + p])))
        m = med.get(('collection', r['scenario']))
        if m:
            parts.append('collection %.3f CPU-s and %s host-tasks per org' % (
                m['cpu_per_org'], _fmt(m.get('host_tasks_per_org'), 1)))
        L.append('- Fleet, %d orgs, forks %s, %s: %s.' % (where[0], where[1], r['scenario'], ', '.join(parts)))
    if pts:
        L.append('  In brackets: peer wall / collection wall (above 1x the collection is faster).')
    fleet = results.get('fleet') or {}
    if fleet.get('skipped'):
        L.append('- %d planned fleet run(s) did not fit the time budget and were skipped (listed in section 2).'
                 % len(fleet['skipped']))
    pt = [r for r in results.get('per_task') or [] if r.get('action_over_module_cpu') is not None]
    if pt:
        L.append('- One task through the action plugin costs %s of the plain-module task in CPU (%s in wall time).' % (
            '/'.join('%.2f' % r['action_over_module_cpu'] for r in pt),
            '/'.join('%.2f' % r['action_over_module_wall'] for r in pt)) +
            ' (%s).' % ', '.join(r['module'] for r in pt))
    loads = [r['loadavg_before'][0] for r in fleet.get('runs', []) if r.get('loadavg_before')]
    m = results['machine']
    L.append('- Load: 1-minute load average %.1f at the start%s on %s cores shared with other work; '
             'wall times are inflated accordingly, ratios and CPU times much less.' % (
                 m['loadavg_start'][0], ', median %.1f before the fleet runs' % sorted(loads)[len(loads) // 2]
                 if loads else '', m['nproc']))
    L.append('')
    return L
