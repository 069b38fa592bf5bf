"""Tables (stdout and Markdown), docs/performance.md and the fleet plot of the benchmark."""

import os

TOOL_NAMES = {
    'collection': 'genesyscloud.sso role',
    'sequential': 'peer (a) sequential requests',
    'uri': 'peer (b) ansible.builtin.uri',
}
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


def requests_table(req, minimum):
    rows = []
    for tool in ('collection', 'sequential', 'uri'):
        for scenario in ('fresh', 'converged', 'check'):
            d = req.get(tool, {}).get(scenario)
            if not d:
                continue
            rows.append([TOOL_NAMES[tool], scenario + (' (--check --diff, fresh org)' if scenario == 'check' else ''),
                         d['total'], minimum[scenario], _fmt(d['ratio']), d['writes'], d['tokens'],
                         'ok' if d.get('rc') == 0 else 'FAILED rc=%s' % d.get('rc')])
    return _table(['tool', 'org state', 'requests', 'minimum', 'ratio', 'writes', 'token grants', 'run'], rows)


def requests_breakdown(req):
    """Per-endpoint counts of the collection's runs (Markdown)."""
    out = []
    for scenario in ('fresh', 'converged', 'check'):
        d = req.get('collection', {}).get(scenario)
        if not d:
            continue
        rows = sorted(d['per_endpoint'].items())
        out.append('**%s**: ' % scenario + ', '.join('`%s` x%d' % (k, v) for k, v in rows))
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
    rows = []
    for r in ratios:
        rows.append([r['size'], r['forks'], r['scenario'], _fmt(r['collection']), _fmt(r['sequential']),
                     _fmt(r['uri']), _x(r['speedup_vs_sequential']), _x(r['speedup_vs_uri']),
                     r['n']])
    return _table(['orgs', 'forks', 'org state', 'collection s', 'peer (a) sequential s', 'peer (b) uri s',
                   'speed-up vs (a)', 'speed-up vs (b)', 'runs (median of)'], rows)


def plot_fleet(results, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fleet = results['fleet']
    forks = results['settings']['forks_sweep']
    scenarios = ('converged', 'fresh')
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5), sharex=True)
    styles = {'collection': ('o-', 'tab:blue'), 'sequential': ('s--', 'tab:orange'), 'uri': ('^:', 'tab:red')}
    for col, scenario in enumerate(scenarios):
        for row, metric in enumerate(('wall', 'cpu')):
            ax = axes[row][col]
            for tool in ('collection', 'sequential', 'uri'):
                pts = sorted((m['size'], m) for m in fleet['medians']
                             if m['tool'] == tool and m['scenario'] == scenario
                             and (m['forks'] == forks or tool == 'sequential'))
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                fmt, color = styles[tool]
                label = TOOL_NAMES[tool] + ('' if tool == 'sequential' else ' (forks %d)' % forks)
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
        L.append('Minimum per org, and why:')
        L.append('')
        L.append('- **converged: 6** = 1 admin token + 1 list of providers (the overview step) + 1 read of the '
                 'managed provider + for the preserved client 1 token + 1 `tokens/me` + 1 probe. Nothing changed, '
                 'so no write, no re-read and no second OAuth validation (issue 9).')
        L.append('- **fresh: 11** = those 6 + 1 write (per-type `PUT`) + 1 re-read to verify activation (the '
                 'per-type `PUT` answers only `{id,name,disabled,selfUri}`, so issuer, target URL and certificates '
                 'can only be verified by reading the provider back) + the preserved client validated again after '
                 'the change: 1 new token (what must be proven is that the client-credentials *grant* still works '
                 'after SSO was switched on, which an old token cannot show) + 1 `tokens/me` + 1 probe.')
        L.append('- **check: 6** = the reads of a converged run; check mode writes nothing and skips the '
                 'verification and the second validation (nothing was changed), so the fresh-org extras vanish. '
                 'The writes column must be 0.')
        L.append('- Above these minimums, a run that changes (or in check mode would change) the provider reads '
                 '`GET /api/v2/organizations/me` once: the `OrganizationName` attribute the IdP admin must enter is '
                 'the org short name, which no other response carries (the role\'s `saml_sso_org_name` saves it). '
                 'A converged run does not read it.')
        L.append('')
        L.append('Requests of the collection per endpoint:')
        L.append('')
        L.append(requests_breakdown(req))
        L.append('')
        L.append('The peers do the same requests by construction (`bench/peers/`); their counts above check it.')
        L.append('')

    fleet = results.get('fleet')
    if fleet:
        L.append('## 2. Fleet wall time')
        L.append('')
        L.append('Emulator latency %d ms per request. Wall time of one whole run (process start to exit) of '
                 '`ansible-playbook playbooks/configure_sso.yml`, of peer (a) `bench/peers/sequential_requests.py` '
                 '(one `requests.Session` per org, orgs one after another; forks do not apply) and of peer (b) '
                 '`ansible-playbook bench/peers/uri_playbook.yml`, all three on the same inventory. "fresh": the '
                 'emulator is reset to the seed first (no provider); "converged": the same tool runs again right '
                 'after. Every run is checked through the request log: a fresh run must write exactly once per org, '
                 'a converged run never. Planned: %d run(s) per point below %d orgs, %d at %d orgs; the last column '
                 'gives how many runs of (collection/peer a/peer b) each median is made of (the time budget may have '
                 'cut some, listed below).' % (
                     s['latency_ms'], s['reps_small'], max(s['sizes']), s['reps_big'], max(s['sizes'])))
        L.append('')
        if fleet.get('note'):
            L.append('**Note on this run:** ' + fleet['note'])
            L.append('')
        L.append(fleet_table(fleet['ratios']))
        L.append('')
        L.append('Speed-up = peer wall time / collection wall time (medians of the same benchmark run). '
                 'Targets (issue 9, stated for the fleet of %d orgs): faster than (a), i.e. > 1x; at least 3x faster '
                 'than (b). The smaller sizes show the trend (plot below): at 10 orgs Ansible\'s own start-up '
                 '(several seconds) exceeds what the sequential script needs in all.' % max(s['sizes']))
        L.append('')
        big = max(s['sizes'])
        tph = {}
        for r in fleet['runs']:
            if (r.get('recap') or {}).get('tasks_per_host') is not None and r['ok']:
                tph.setdefault((r['tool'], r['scenario']), r['recap']['tasks_per_host'])
        cpu_rows = []
        for r in fleet['medians']:
            tasks = tph.get((r['tool'], r['scenario']))
            cpu_rows.append([r['size'], TOOL_NAMES[r['tool']], r['forks'] or '-', r['scenario'], r['n'],
                             _fmt(r['wall_median']), _fmt(r['cpu_median']), _fmt(r['cpu_median'] / r['size'], 3),
                             tasks if tasks is not None else '-',
                             '%.0f' % (1000.0 * r['cpu_median'] / r['size'] / tasks) if tasks else '-',
                             r['requests_median']])
        if cpu_rows:
            L.append('Every measured point, with CPU time (user+system of the tool and all its children; the emulator '
                     'not included) and the host-tasks Ansible runs or skips per org:')
            L.append('')
            L.append(_table(['orgs', 'tool', 'forks', 'org state', 'runs', 'wall s (median)', 'CPU s', 'CPU s per org',
                             'host-tasks per org', 'CPU ms per host-task', 'requests'], cpu_rows))
            L.append('')
            L.append('On 2 cores a playbook cannot finish faster than (CPU s per org x orgs) / 2, whatever the forks; '
                     'the sequential peer instead waits on latency (requests x %d ms per org) and uses almost no CPU.'
                     % s['latency_ms'])
            L.append('')
        if png_name:
            L.append('![wall time against number of orgs](%s)' % png_name)
            L.append('')
        if tph:
            L.append('Each host-task costs a worker process fork and templating on the controller, even when skipped, '
                     'so on 2 cores the fleet time of a playbook grows with tasks x orgs.')
            L.append('')
        loads = [r['loadavg_before'][0] for r in fleet['runs'] if r.get('loadavg_before')]
        if loads:
            L.append('1-minute load average before each fleet run: min %.1f, median %.1f, max %.1f (2 cores).' % (
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


def targets_section(results):
    """Targets of issues 4 and 9 against what this run measured (met / not met)."""
    L = ['## Targets: measured', '']
    rows = []
    fleet = results.get('fleet') or {}
    planned = (results.get('settings') or {}).get('sizes') or [r['size'] for r in fleet.get('ratios', [])] or [0]
    for r in fleet.get('ratios', []):
        if r['size'] != max(planned):
            continue  # issue 9 states its targets for the fleet (the largest size); the rest is the trend
        where = '%d orgs, forks %s, %s' % (r['size'], r['forks'], r['scenario'])
        if r['speedup_vs_sequential'] is not None:
            rows.append(['faster than peer (a) sequential requests', where,
                         '%.2fx' % r['speedup_vs_sequential'], 'met' if r['speedup_vs_sequential'] > 1 else 'NOT met'])
        if r['speedup_vs_uri'] is not None:
            rows.append(['>= 3x faster than peer (b) uri playbook', where,
                         '%.2fx' % r['speedup_vs_uri'], 'met' if r['speedup_vs_uri'] >= 3 else 'NOT met'])
    for r in results.get('per_task') or []:
        if r.get('action_over_module_cpu') is None:
            continue
        rows.append(['action path <= 1/10 of module path (issue 4)', r['module'],
                     'wall %.3f, CPU %.3f' % (r['action_over_module_wall'], r['action_over_module_cpu']),
                     ('met' if r['action_over_module_wall'] <= 0.1 else 'NOT met') + ' (wall), ' +
                     ('met' if r['action_over_module_cpu'] <= 0.1 else 'NOT met') + ' (CPU)'])
    req = results.get('requests') or {}
    for scenario in ('fresh', 'converged', 'check'):
        d = req.get('collection', {}).get(scenario)
        if d:
            rows.append(['requests at the minimum', scenario, '%d vs %d' % (d['total'], d['minimum']),
                         'met' if d['total'] <= d['minimum'] else 'NOT met (%+d)' % (d['total'] - d['minimum'])])
    if not rows:
        return []
    L.append(_table(['target', 'where', 'measured', 'result'], rows))
    L.append('')
    return L


def summary_section(results):
    """A few sentences computed from the data: the headline numbers of this run."""
    L = ['## Summary', '']
    req = (results.get('requests') or {}).get('collection') or {}
    if req:
        L.append('- Requests per org (one provider, one preserved client): ' + ', '.join(
            '%s %d (minimum %d)' % (sc, req[sc]['total'], req[sc]['minimum'])
            for sc in ('fresh', 'converged', 'check') if sc in req) + '; check mode wrote %s.' % (
                req.get('check', {}).get('writes', 'n/a')))
    fleet = results.get('fleet') or {}
    ratios = fleet.get('ratios') or []
    if ratios:
        big = max(r['size'] for r in ratios)
        for r in ratios:
            if r['size'] != big:
                continue
            parts = ['collection %.1f s' % r['collection']]
            if r['sequential'] is not None:
                parts.append('peer (a) %.1f s (collection %.2fx as fast)' % (r['sequential'], r['speedup_vs_sequential']))
            if r['uri'] is not None:
                parts.append('peer (b) %.1f s (collection %.2fx as fast)' % (r['uri'], r['speedup_vs_uri']))
            L.append('- Fleet, %d orgs, %s, forks %s: %s.' % (big, r['scenario'], r['forks'], ', '.join(parts)))
        with_uri = [r for r in ratios if r['speedup_vs_uri'] is not None]
        if with_uri:
            biggest = max(r['size'] for r in with_uri)
            L.append('- Against peer (b) at the largest size where it ran (%d orgs): ' % biggest + ', '.join(
                '%s forks %s %.2fx' % (r['scenario'], r['forks'], r['speedup_vs_uri'])
                for r in with_uri if r['size'] == biggest) + '.')
        med = dict(((m['tool'], m['scenario']), m) for m in sorted(fleet.get('medians', []), key=lambda m: m['size']))
        coll = med.get(('collection', 'converged'))
        if coll:
            tph = None
            for r in fleet.get('runs', []):
                if r['tool'] == 'collection' and r['scenario'] == 'converged' and (r.get('recap') or {}).get('tasks_per_host'):
                    tph = r['recap']['tasks_per_host']
            L.append('- Cost: the role runs %s per converged org; at %d orgs a converged run used %.2f CPU-s per '
                     'org (the sequential peer: latency-bound, almost no CPU). On 2 cores that CPU, not the 50 ms '
                     'latency, sets the playbooks\' fleet time, so more forks do not help much.' % (
                         '%s host-tasks' % tph if tph is not None else 'many host-tasks (see section 2)', coll['size'], coll['cpu_median'] / coll['size']))
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
