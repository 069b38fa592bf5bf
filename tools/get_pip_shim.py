#!/usr/bin/env python
"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test creates its per-test virtual environments ``--without-pip`` and
then downloads ``get-pip-<ver>.py`` from ci-files.testing.ansible.com, which is
not reachable from these machines.  It looks in ``~/.ansible/test/cache/``
first, so ``make`` copies this file there as ``get_pip_24_2.py`` (core 2.19)
and ``get_pip_25_2.py`` (core 2.21).

What it does instead:
1. drops the ``--no-setuptools`` / ``--no-wheel`` arguments get-pip accepts;
2. runs ``python -m ensurepip --upgrade`` in a *subprocess* (ensurepip blanks
   the PIP_* environment in its own process, losing the machine's pip
   certificate settings);
3. runs ``python -m pip install`` with the remaining arguments (ansible-test
   pins the pip version there), from the configured package index.
"""
import subprocess
import sys


def main(argv):
    args = [a for a in argv if a not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
    if args:
        subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
