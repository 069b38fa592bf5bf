"""``python -m genesys_devkit shell-env [--python PY]`` (run with ``devkit/`` as the current directory or on sys.path):
make the ``.collections`` link and print the kit's Ansible environment as shell lines (``unset`` for what the kit
drops, ``export`` for what it sets) for ``eval`` in a shell script (tools/demo.sh)."""

import argparse
import os
import re
import shlex
import sys

from genesys_devkit.ansible_env import DROPPED, DROPPED_PREFIXES, ansible_env

_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')  # what a shell can unset


def shell_env(python=None):
    options = dict(python=python, bin_dir=os.path.dirname(python)) if python else {}
    lines = ['unset %s' % name for name in sorted(os.environ)
             if (name.startswith(DROPPED_PREFIXES) or name in DROPPED) and _NAME.match(name)]
    env = ansible_env(inherit=False, **options)
    lines += ['export %s=%s' % (name, shlex.quote(value)) for name, value in sorted(env.items())]
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m genesys_devkit')
    sub = parser.add_subparsers(dest='command', required=True)
    env_cmd = sub.add_parser('shell-env', help='the Ansible environment of the dev kit as shell lines')
    env_cmd.add_argument('--python', help="the interpreter of the runs (default: the repo's .venv python)")
    args = parser.parse_args(argv)
    sys.stdout.write(shell_env(args.python and os.path.abspath(args.python)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
