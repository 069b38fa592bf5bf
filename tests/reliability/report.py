"""Figures collected while the reliability suite runs, and the docs/reliability.md written from them.

Tests call ``FIGURES.add(section, row)`` (a dict) or ``FIGURES.count(section, key, n)``.  Under
pytest-xdist each worker ships its figures to the controller (``workeroutput``), which merges them;
the controller (or the only process) writes the report at session finish.
"""

import datetime
import os
import platform

import secret_scan


class Figures(object):
    def __init__(self):
        self.rows = {}
        self.counts = {}

    def add(self, section, row):
        self.rows.setdefault(section, []).append(dict(row))

    def count(self, section, key, n=1):
        sec = self.counts.setdefault(section, {})
        sec[key] = sec.get(key, 0) + n

    def dump(self):
        counts = dict((k, dict(v)) for k, v in self.counts.items())
        counts["secret_scan"] = dict(secret_scan.TOTALS)
        return {"rows": self.rows, "counts": counts}

    def merge(self, data):
        for section, rows in data.get("rows", {}).items():
            self.rows.setdefault(section, []).extend(rows)
        for section, values in data.get("counts", {}).items():
            sec = self.counts.setdefault(section, {})
            for key, n in values.items():
                sec[key] = sec.get(key, 0) + n


FIGURES = Figures()


def _table(rows, columns):
    if not rows:
        return "_(no rows: this part did not run)_\n"
    out = ["| " + " | ".join(title for title, _ in columns) + " |",
           "|" + "---|" * len(columns)]
    for row in rows:
        out.append("| " + " | ".join(str(fmt(row)) for _, fmt in columns) + " |")
    return "\n".join(out) + "\n"


def _secs(value):
    return "%.1f s" % value if isinstance(value, (int, float)) else str(value)


def render(figures, session_info):
    rows = figures.rows
    counts = figures.counts
    own_scan = dict(secret_scan.TOTALS)
    scan = counts.get("secret_scan") or own_scan
    lines = []
    w = lines.append
    w("# Reliability and security figures\n")
    w("Written by the reliability suite itself (`make reliability`: `pytest tests/reliability`) at the end of "
      "its last full run — do not edit by hand. Source of the numbers: the counters the tests keep "
      "(`tests/reliability/report.py`).\n")
    w("- run finished: %s UTC, %s, Python %s, ansible-core %s" % (
        session_info["finished"], session_info["host"], session_info["python"], session_info["ansible"]))
    w("- tests: %(passed)d passed, %(failed)d failed, %(total)d in all; wall time %(wall).1f s "
      "(pytest-xdist workers: %(workers)s); load average at the end %(load)s (other work on the machine "
      "stretches every time below)\n" % session_info)

    fm = rows.get("fault_matrix", [])
    transient = [r for r in fm if r.get("kind") == "transient"]
    permanent = [r for r in fm if r.get("kind") == "permanent"]
    w("## 1. Fault matrix\n")
    w("Each fault rule of the emulator against each module (in-process, the action plugin's path) and against "
      "the whole `playbooks/configure_sso.yml`. Transient faults must end in success with the same end state as a "
      "clean run and one warning per retry; permanent faults in a clean failure that names the cause, the provider "
      "untouched or fully written, no traceback.\n")
    w("- transient faults survived: **%d of %d**" % (sum(1 for r in transient if r.get("ok")), len(transient)))
    w("- permanent faults failing cleanly: **%d of %d**" % (sum(1 for r in permanent if r.get("ok")), len(permanent)))
    w("- retries (warnings) seen: %d\n" % sum(int(r.get("retries") or 0) for r in fm))
    w(_table(sorted(fm, key=lambda r: (r.get("target", ""), r.get("fault", ""))), [
        ("target", lambda r: r.get("target")),
        ("fault", lambda r: r.get("fault")),
        ("kind", lambda r: r.get("kind")),
        ("result", lambda r: "ok" if r.get("ok") else "**FAILED**"),
        ("retries", lambda r: r.get("retries", "")),
        ("faults fired", lambda r: r.get("fired", "")),
        ("time", lambda r: _secs(r.get("seconds", ""))),
        ("outcome", lambda r: r.get("outcome", "")),
    ]))

    w("\n## 2. Scale under faults\n")
    w(_table(rows.get("scale", []), [
        ("orgs", lambda r: r["orgs"]),
        ("fault probability", lambda r: "%d %%" % round(100 * r["probability"])),
        ("failed orgs", lambda r: r["failed_orgs"]),
        ("end state = clean run", lambda r: "yes" if r["same_state"] else "**NO**"),
        ("requests", lambda r: r["requests"]),
        ("faults answered (429/503/reset)", lambda r: r["faults"]),
        ("retry warnings", lambda r: r.get("retry_warnings", "")),
        ("clean run", lambda r: _secs(r["clean_seconds"])),
        ("faulty run", lambda r: _secs(r["faulty_seconds"])),
        ("CPU of the faulty run", lambda r: _secs(r.get("cpu_seconds", ""))),
    ]))
    for note in [r.get("note") for r in rows.get("scale", []) if r.get("note")]:
        w("\n%s\n" % note)

    w("\n## 3. Bad input (hypothesis)\n")
    bad = counts.get("bad_input", {})
    w("Hostile option sets fed to each module's argument spec + core exactly as the action plugin runs them; each "
      "must fail cleanly, name the bad option, send no request and raise nothing.\n")
    problems = counts.get("bad_input_problems", {})
    w(_table([dict(module=k, n=v, p=problems.get(k, 0)) for k, v in sorted(bad.items())], [
        ("module", lambda r: r["module"]), ("hostile inputs tried", lambda r: r["n"]),
        ("kinds (options × failure) not refused cleanly", lambda r: r["p"] if not r["p"] else "**%d**" % r["p"])]))
    w("\n- total hostile inputs: **%d**; kinds that sent a request: **%d**; kinds that raised an exception "
      "(a traceback): **%d** (the failing test lists each with an example)\n" % (
          sum(bad.values()), counts.get("bad_input_requests", {}).get("n", 0),
          counts.get("bad_input_tracebacks", {}).get("n", 0)))
    for row in rows.get("bad_input_e2e", []):
        w("- end to end (`ansible-playbook`): %s → %s" % (row["case"], row["outcome"]))

    w("\n## 4. Secrets\n")
    w("- secret values registered (client secrets, passwords, issued access tokens): %d; token-format patterns: %d"
      % (scan.get("secrets", 0), scan.get("patterns", 0)))
    w("- scanned: %d files + %d texts, %d bytes (stdout at -vvvv, ANSIBLE_LOG_PATH, ansible-runner events and "
      "artifacts, diffs, backups, emulator request log and state)" % (scan.get("files", 0), scan.get("texts", 0),
                                                                      scan.get("bytes", 0)))
    w("- **hits found: %d**\n" % scan.get("hits", 0))

    w("\n## 5. TLS\n")
    w(_table(rows.get("tls", []), [
        ("case", lambda r: r["case"]), ("expected", lambda r: r["expected"]),
        ("result", lambda r: "ok" if r["ok"] else "**FAILED**"), ("message", lambda r: r.get("msg", ""))]))

    w("\n## 6. Check-mode fidelity\n")
    w(_table(rows.get("check_mode", []), [
        ("scenario", lambda r: r["scenario"]),
        ("changed (check / real)", lambda r: "%s / %s" % (r["check_changed"], r["real_changed"])),
        ("diff equal", lambda r: "yes" if r["diff_equal"] else "**NO**"),
        ("writes in check run", lambda r: r["check_writes"]),
    ]))
    w("\n## 7. Safety invariants (what each test file proves, and how it ended in this run)\n")
    outcomes = counts.get("files", {})
    w("| file | proves | passed / failed |")
    w("|---|---|---|")
    for name, claim in SAFETY_FILES:
        w("| `%s` | %s | %d / %d |" % (name, claim, outcomes.get(name + ":passed", 0), outcomes.get(name + ":failed", 0)))
    w("")
    w(DIFFERENT_CONTROLLERS)
    return "\n".join(lines) + "\n"


SAFETY_FILES = (
    ("test_safety_transaction.py",
     "a real `ansible-playbook` run killed (SIGKILL of every process of the run, or SIGINT) between its write and its "
     "verification leaves an unfinished journal; the next run undoes the change when it broke a preserved client "
     "(never \"No change was made\") or finishes and validates it (never \"no change needed\"); two concurrent "
     "`ansible-playbook` runs disabling the two enabled providers of an SSO-only org never lock it out - on one "
     "controller the per-org lock serialises them and the second run's guard refuses, on two controllers the guard "
     "re-checked after the write rolls the lockout back; a backup of another org is refused; a timed-out create "
     "is found again, never duplicated"),
    ("test_safety_inputs.py",
     "hostile ids (option, backup, listing), control characters and non-https URLs, malformed metadata URLs, "
     "ambiguous or unsigned metadata, a trickling metadata server: a clean error naming the option and no request"),
    ("test_safety_transport.py",
     "the task's `environment:` decides the org on both execution paths (a disagreement fails naming both "
     "sources); redirects are refused (a 307 to http never gets the password); echoed credentials in every form "
     "never reach ansible-runner job events at default verbosity; a token with a trailing newline is stripped"),
    ("test_safety_role.py",
     "a role input error is one line, before any request, with no secret in stdout, log, artifacts or job events; a "
     "misspelt `saml_sso_*` variable fails naming the closest; without preserved clients the admin grant is checked "
     "and the run says OAuth automation NOT verified; hostile host names keep every file inside its directory; "
     "report files are 0600"),
    ("test_secrets.py", "no secret in any output of the modules and the role at -vvvv, runner events and artifacts"),
)

DIFFERENT_CONTROLLERS = (
    "What protects runs on different controllers (two AWX nodes, two laptops): the per-org lock is a `flock` on "
    "the controller, so it serialises only runs on one machine. Across machines: (1) every write is preceded by a "
    "fresh read under the lock and the lockout guard; (2) after a write that disables or deletes an enabled "
    "provider, the guard is checked again from a fresh listing and a lockout is rolled back at once, failing the "
    "task with LOCKOUT PREVENTED; (3) after `settle_delay`, a fresh read compared with the intent reports a "
    "CONCURRENT CHANGE instead of \"verified\". What is NOT protected: two machines writing the same provider "
    "within the same second can still overwrite each other's fields (last writer wins; the loser's run reports the "
    "concurrent change); keep one controller per org, e.g. one AWX instance group or a shared lock_dir on a "
    "filesystem with working `flock` (local disks, NFSv4 with locking), to rule it out.\n")


MUTATION_BEGIN = "<!-- BEGIN mutation-score"   # block written by tools/mutation.py (make mutation): kept as is
MUTATION_END = "<!-- END mutation-score -->"


def write_report(path, figures, session_info):
    text = render(figures, session_info)
    try:
        with open(path) as handle:
            old = handle.read()
    except (IOError, OSError):
        old = ""
    if MUTATION_BEGIN in old and MUTATION_END in old:
        block = MUTATION_BEGIN + old.split(MUTATION_BEGIN, 1)[1].split(MUTATION_END, 1)[0] + MUTATION_END
        text += "\n" + block + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
    return text


def session_info(passed, failed, total, wall, workers):
    try:
        from ansible.release import __version__ as ansible_version
    except ImportError:  # pragma: no cover
        ansible_version = "?"
    return dict(finished=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
                host="%s, %d CPUs" % (platform.machine(), os.cpu_count() or 0),
                python=platform.python_version(), ansible=ansible_version,
                passed=passed, failed=failed, total=total, wall=wall, workers=workers,
                load="%.1f / %.1f / %.1f" % os.getloadavg())
