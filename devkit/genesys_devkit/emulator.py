"""The one emulator launcher: ``genesys_emulator.testing.EmulatorProcess`` (emulator/README.md) plus the helpers the
suites and the benchmark share.

``Emulator(seed=..., latency_ms=0, state_dir=None, ...)`` takes every ``EmulatorProcess`` argument and adds:
``seed_data`` (the seed when given as a dict), ``connection()`` (``api_url``/``login_url``/``ca_path`` for tasks or
module_defaults), ``writes(org, since)`` (logged requests that change platform state), ``last_seq()`` and
``cpu_seconds()`` (user+system CPU of the emulator process so far, from /proc).

``emulator_class(root)`` is the same class built on the ``EmulatorProcess`` of another emulator tree (the
benchmark's frozen copy of a commit): the launcher always comes with the emulator it launches.
"""

import importlib.util
import os

from genesys_devkit.paths import EMULATOR_DIR, on_sys_path

WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')
_CLASSES = {}


def write_requests(requests):
    """The requests of a request log that change platform state (token requests are not writes)."""
    return [r for r in requests if r['method'] in WRITE_METHODS and r['path'].startswith('/api/v2/')]


def connection_vars(emulator):
    """Connection options that reach a running emulator (any ``EmulatorProcess``): a task's or module_defaults' dict."""
    return {'api_url': emulator.url, 'login_url': emulator.url, 'ca_path': emulator.ca_path}


def _testing_module(root):
    if os.path.realpath(root) == os.path.realpath(EMULATOR_DIR):
        on_sys_path(EMULATOR_DIR)
        import genesys_emulator.testing  # pylint: disable=import-outside-toplevel
        return genesys_emulator.testing
    path = os.path.join(root, 'genesys_emulator', 'testing.py')
    name = 'genesys_devkit._emulator_testing_%d' % len(_CLASSES)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its EMULATOR_ROOT is ``root``: it starts that tree's emulator
    return module


def emulator_class(root=EMULATOR_DIR):
    """The kit's emulator class for the emulator tree ``root`` (default: the repo's ``emulator/``)."""
    key = os.path.realpath(root)
    if key in _CLASSES:
        return _CLASSES[key]
    base = _testing_module(root).EmulatorProcess

    class Emulator(base):
        def __init__(self, seed=None, latency_ms=0, state_dir=None, **kwargs):
            super(Emulator, self).__init__(state_dir=state_dir, seed=seed, latency_ms=latency_ms, **kwargs)
            self.seed_data = seed if isinstance(seed, dict) else None

        def connection(self):
            return connection_vars(self)

        def writes(self, org=None, since=None):
            """Logged requests that change platform state (token requests are not writes)."""
            return write_requests(self.requests(org=org, since=since))

        def last_seq(self):
            return max([r['seq'] for r in self.requests()], default=0)

        def cpu_seconds(self):
            """user+system CPU of the emulator process so far (None when it cannot be read)."""
            try:
                with open('/proc/%d/stat' % self.proc.pid) as handle:
                    fields = handle.read().rsplit(')', 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / float(os.sysconf('SC_CLK_TCK'))
            except (AttributeError, OSError, IndexError, ValueError):
                return None

    Emulator.__name__ = Emulator.__qualname__ = 'Emulator'
    Emulator.__doc__ = __doc__
    _CLASSES[key] = Emulator
    return Emulator


def start_emulator(seed=None, root=EMULATOR_DIR, **kwargs):
    """A started :func:`emulator_class` instance (stop it with ``.stop()`` or use it as a context manager)."""
    return emulator_class(root)(seed=seed, **kwargs).start()


def __getattr__(name):
    # ``from genesys_devkit.emulator import Emulator, EmulatorProcess`` without importing the emulator at import time
    if name == 'Emulator':
        return emulator_class()
    if name in ('EmulatorProcess', 'EmulatorError'):
        return getattr(_testing_module(EMULATOR_DIR), name)
    raise AttributeError(name)
