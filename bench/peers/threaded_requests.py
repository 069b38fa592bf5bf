#!/usr/bin/env python3
"""Peer (c) of the benchmark: the requests of peer (a) on a pool of threads.

The same ``configure_org`` as ``sequential_requests.py`` (the role's requests by default, ``--flow``
as there), the orgs spread over ``--threads`` worker threads (default 10, the forks of the fleet
measurement): one ``requests.Session`` per org, so each thread keeps one connection per org it works
on, like peer (a).  This is what a short script written for speed does; the issue's target for the
collection is to be within 4x of it.

Exit status 0 when every org succeeded, 1 otherwise; prints one JSON summary line.
"""

import concurrent.futures
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sequential_requests as seq  # noqa: E402  (bench/peers/ is not a package)


def main(argv=None):
    parser = seq.parser_with_flow(__doc__.splitlines()[1])
    parser.add_argument('--threads', type=int, default=10)
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error('--threads must be at least 1')
    orgs = seq.load_inventory(args.inventory)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        outcomes = list(pool.map(lambda org: seq.run_org(org, args.flow), orgs))
    return seq.summary(orgs, outcomes, flow=args.flow, threads=args.threads)


if __name__ == '__main__':
    sys.exit(main())
