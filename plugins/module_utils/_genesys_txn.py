# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the local files that make a provider change one
recoverable unit - the per-org advisory lock and the change journal.

* :class:`OrgLock`: an exclusive ``flock`` on ``<lock_dir>/<api host>_<org>.lock``, held from the read that
  decides a change to the end of its verification. The kernel releases it when the holding process dies
  (SIGKILL included), so a crashed run never leaves a stale lock; the file only names the last holder.
  It protects runs on ONE controller (any number of ansible-playbook processes, AWX jobs on one node);
  runs on different controllers are protected only by the re-checks after the write (see docs/reliability.md).
* :class:`Journal`: a JSON document next to the backup, written (atomically, mode 0600) before the write and
  updated at every step: ``intent`` -> ``written`` (or ``unknown`` when the write's outcome is unknown) ->
  ``verified`` -> ``complete``; or -> ``rolling-back`` -> ``rolled-back``; ``rollback-failed`` needs an
  operator. A journal that is not in a final state is finished or undone by the next run on the same org
  before anything else.

No Ansible imports: used by the module and the action plugin alike.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import errno
import json
import os
import re
import socket
import stat
import time

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not on POSIX
    HAS_FCNTL = False

DEFAULT_LOCK_DIR = '~/.ansible/genesyscloud_sso_locks'

JOURNAL_FORMAT = 'genesyscloud.sso/change_journal'
JOURNAL_VERSION = 1
JOURNAL_SUFFIX = '.journal'

# states of a journal
INTENT = 'intent'            # about to send the write (a crash here: outcome unknown)
UNKNOWN = 'unknown'          # the write was sent but its outcome is unknown (time-out, reset after sending)
WRITTEN = 'written'          # the platform accepted the write
VERIFIED = 'verified'        # read back as intended
ROLLING_BACK = 'rolling-back'
ROLLBACK_FAILED = 'rollback-failed'
COMPLETE = 'complete'        # verified and the preserved clients passed (or none were given)
ROLLED_BACK = 'rolled-back'  # the previous state is back and was verified
ABANDONED = 'abandoned'      # the write never took effect (found out by the next run)
FINAL_STATES = (COMPLETE, ROLLED_BACK, ABANDONED)


class TxnError(Exception):
    """A lock or journal problem; the message says what and how to fix it."""


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(moment=None):
    return (moment or utcnow()).strftime('%Y-%m-%dT%H:%M:%SZ')


def safe_segment(text, default='x', limit=80):
    """A file-name part from any text: letters, digits, '.', '_' and '-' only, never '.' or '..'."""
    value = re.sub(r'[^A-Za-z0-9._-]+', '-', str(text or '')).strip('-.')[:limit]
    return value or default


def check_private_dir(directory, option):
    """Create ``directory`` with mode 0700, or check an existing one; never chmod an existing directory.

    An existing directory that others can write to (group/world-writable, not sticky-owned by us) is refused:
    another user could plant or swap backups and journals there.
    """
    if not isinstance(directory, str) or not directory or '\x00' in directory:
        raise TxnError('%s: %r is not a usable directory path (empty or contains a NUL byte).' % (option, directory))
    directory = os.path.expanduser(directory)
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
            return directory
        info = os.stat(directory)
    except (OSError, ValueError) as exc:
        raise TxnError('Cannot create the directory %s (%s): %s. Nothing was changed.' % (directory, option, exc))
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise TxnError('%s %s is writable by other users (mode %04o); it must be private, because the backups '
                       'and journals in it decide what a rollback writes. Use a directory of your own (it is '
                       'created with mode 0700 when missing), e.g. ~/.ansible/genesyscloud_sso_backups. Nothing '
                       'was changed.' % (option, directory, stat.S_IMODE(info.st_mode)))
    return directory


def write_json_atomic(path, document):
    """Write ``document`` to ``path`` atomically (temp file + fsync + rename), mode 0600."""
    tmp = '%s.tmp-%d' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, 'w') as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write('\n')
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class OrgLock:
    """Advisory per-org lock on the controller (``flock``; released by the kernel when the process dies)."""

    def __init__(self, lock_dir, api_host, org_key, timeout=120.0, sleep=time.sleep, clock=time.time, warn=None,
                 label=None):
        self.lock_dir = lock_dir
        self.name = '%s_%s.lock' % (safe_segment(api_host, 'api'), safe_segment(org_key, 'org'))
        self.path = None
        self.timeout = max(0.0, float(timeout or 0.0))
        self._sleep = sleep
        self._clock = clock
        self._warn = warn or (lambda msg: None)
        self._fd = None
        self.label = label or org_key
        self.waited = 0.0

    def _holder(self):
        try:
            with open(self.path) as handle:
                data = json.load(handle)
            return data if isinstance(data, dict) else {}
        except (OSError, IOError, ValueError):
            return {}

    def _describe(self, holder):
        if not holder:
            return 'another run'
        return 'another run (pid %s on %s, since %s%s)' % (
            holder.get('pid', '?'), holder.get('host', '?'), holder.get('since', '?'),
            ', %s' % holder['what'] if holder.get('what') else '')

    def acquire(self, what=None):
        if not HAS_FCNTL:  # pragma: no cover
            raise TxnError('The per-org lock needs fcntl (a POSIX controller).')
        directory = check_private_dir(self.lock_dir, 'lock_dir')
        self.path = os.path.join(directory, self.name)
        self.created = False
        try:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
                self.created = True
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
                fd = os.open(self.path, os.O_RDWR, 0o600)
        except OSError as exc:
            raise TxnError('Cannot open the lock file %s: %s. Nothing was changed.' % (self.path, exc))
        started = self._clock()
        warned = False
        delay = 0.1
        for dummy in range(100000):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (OSError, IOError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise TxnError('Cannot lock %s: %s. Nothing was changed.' % (self.path, exc))
            waited = self._clock() - started
            holder = self._holder()
            if waited >= self.timeout:
                os.close(fd)
                raise TxnError(
                    'Another run is changing the identity providers of %s: the lock %s is held by %s. Nothing was '
                    'changed. Wait for that run to finish and run again, or raise lock_timeout (now %ss) to wait '
                    'longer.' % (self.label, self.path, self._describe(holder), self.timeout))
            if not warned:
                warned = True
                self._warn('%s: waiting up to %ss for the lock of this org, held by %s.'
                           % (self.label, self.timeout, self._describe(holder)))
            self._sleep(min(delay, max(0.01, self.timeout - waited)))
            delay = min(delay * 2, 1.0)
        self.waited = self._clock() - started
        self._fd = fd
        self.previous = {} if self.created else self._holder()
        self._info = dict(pid=os.getpid(), host=socket.gethostname(), since=_iso(), what=what,
                          acquired=time.time())
        self._write_info(self._info)
        return self

    def _write_info(self, info):
        try:
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
            os.write(self._fd, json.dumps(info).encode('utf-8'))
        except OSError:
            pass

    def changed_since(self, moment):
        """False only when no run on this controller can have changed the org since ``moment`` (epoch s).

        True unless the lock file was created just now, or its previous holder released it (normally, with
        a ``released`` time) before ``moment``. A holder that died (SIGKILL) leaves no ``released`` time.
        """
        if self.created:
            return False
        released = (self.previous or {}).get('released')
        return not (isinstance(released, (int, float)) and released < moment)

    def release(self):
        if self._fd is not None:
            try:
                info = dict(self._info)
                info['released'] = time.time()
                self._write_info(info)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    @property
    def held(self):
        return self._fd is not None


class Journal:
    """One change's journal file (``<backup_dir>/<org>_<what>_<time>.journal``)."""

    def __init__(self, path, document):
        self.path = path
        self.doc = document

    @classmethod
    def create(cls, directory, stem, **fields):
        now = utcnow()
        path = os.path.join(directory, '%s_%s%s' % (stem, now.strftime('%Y%m%dT%H%M%S%fZ'), JOURNAL_SUFFIX))
        document = dict(format=JOURNAL_FORMAT, version=JOURNAL_VERSION, created=_iso(now), updated=_iso(now),
                        state=INTENT, history=[dict(state=INTENT, time=_iso(now))], pid=os.getpid(),
                        host=socket.gethostname())
        document.update(fields)
        journal = cls(path, document)
        try:
            write_json_atomic(path, document)
        except (OSError, IOError) as exc:
            raise TxnError('Cannot write the change journal %s: %s. Nothing was changed.' % (path, exc))
        return journal

    @property
    def state(self):
        return self.doc.get('state')

    @property
    def final(self):
        return self.state in FINAL_STATES

    def update(self, state=None, note=None, **fields):
        if state is not None:
            self.doc['state'] = state
            entry = dict(state=state, time=_iso())
            if note:
                entry['note'] = note
            self.doc.setdefault('history', []).append(entry)
        self.doc.update(fields)
        self.doc['updated'] = _iso()
        try:
            write_json_atomic(self.path, self.doc)
        except (OSError, IOError) as exc:
            raise TxnError('Cannot update the change journal %s: %s' % (self.path, exc))

    @classmethod
    def load(cls, path):
        try:
            with open(path) as handle:
                document = json.load(handle)
        except (OSError, IOError, ValueError) as exc:
            raise TxnError('Cannot read the change journal %s: %s' % (path, exc))
        if not isinstance(document, dict) or document.get('format') != JOURNAL_FORMAT:
            raise TxnError('%s is not a genesyscloud.sso change journal.' % path)
        if document.get('version') != JOURNAL_VERSION:
            raise TxnError('%s has journal version %r; this collection reads version %d.'
                           % (path, document.get('version'), JOURNAL_VERSION))
        return cls(path, document)

    @classmethod
    def unfinished(cls, directory, api_url):
        """Journals under ``directory`` for ``api_url`` that are not in a final state (oldest first)."""
        directory = os.path.expanduser(directory or '')
        try:
            names = sorted(n for n in os.listdir(directory) if n.endswith(JOURNAL_SUFFIX))
        except (OSError, IOError, ValueError):
            return []
        found = []
        for name in names:
            try:
                journal = cls.load(os.path.join(directory, name))
            except TxnError:
                continue
            if journal.final or journal.doc.get('api_url') != api_url:
                continue
            found.append(journal)
        return found
