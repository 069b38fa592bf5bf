"""Command line: start the emulator, write DIR/endpoint.json when ready."""

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import time

import uvicorn

from .app import Emulator
from . import variants as variants_mod
from .store import SeedError, Store, load_seed_file
from .tlscerts import ensure_tls_files


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m genesys_emulator",
                                     description="Local Genesys Cloud login + platform API emulator (HTTPS).")
    parser.add_argument("--state-dir", required=True, help="directory for ca.pem, the server cert and endpoint.json")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--seed", help="seed file (YAML or JSON)")
    parser.add_argument("--latency-ms", type=int, default=0, help="latency added to every login/API request")
    parser.add_argument("--state-file", help="JSON file that keeps orgs/clients/providers across restarts")
    parser.add_argument("--rate-limit-per-minute", type=int, default=300, help="API requests per token per minute")
    parser.add_argument("--token-rate-limit-per-minute", type=int, default=300,
                        help="token requests per OAuth client per minute")
    parser.add_argument("--lifetime-seconds", type=float, default=None, help="exit by itself after this long")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="exit when the process that started the emulator ends (used by EmulatorProcess)")
    parser.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto")
    parser.add_argument("--variant", action="append", default=[], metavar="KEY=VALUE",
                        help="platform variant (repeatable): %s" % ", ".join(variants_mod.DEFAULTS))
    parser.add_argument("--variant-file", action="append", default=[], metavar="FILE",
                        help="YAML or JSON flat mapping {key: value} of the same keys (applied before --variant)")
    parser.add_argument("--variant-profile", choices=tuple(variants_mod.PROFILES), default=None,
                        help="named set of variants applied first (pessimistic = the worst plausible platform)")
    return parser.parse_args(argv)


class _Server(uvicorn.Server):
    def __init__(self, config, on_ready, lifetime, parent_pid=None, on_exit=None):
        super().__init__(config)
        self._on_ready = on_ready
        self._on_exit = on_exit
        self._lifetime = lifetime
        self._parent_pid = parent_pid

    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        if self.should_exit:
            return
        self._on_ready()
        if self._lifetime:
            asyncio.get_running_loop().call_later(self._lifetime, self._expire)
        if self._parent_pid:
            asyncio.get_running_loop().call_later(1.0, self._watch_parent)

    @contextlib.contextmanager
    def capture_signals(self):
        # uvicorn re-raises a captured SIGTERM/SIGINT when this context ends, which kills the process before
        # main()'s cleanup runs: clean up (endpoint.json, state file) first.
        with super().capture_signals():
            try:
                yield
            finally:
                if self._on_exit is not None:
                    self._on_exit()

    def _expire(self):
        self.should_exit = True

    def _watch_parent(self):
        if os.getppid() != self._parent_pid:  # re-parented: the starter is gone
            self.should_exit = True
            return
        asyncio.get_running_loop().call_later(1.0, self._watch_parent)


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def main(argv=None):
    args = parse_args(argv)
    t0 = time.time()
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    endpoint_path = os.path.join(state_dir, "endpoint.json")
    try:
        os.unlink(endpoint_path)
    except FileNotFoundError:
        pass
    try:
        seed = load_seed_file(args.seed) if args.seed else {}
        store = Store(seed, state_file=args.state_file, rate_limit=args.rate_limit_per_minute,
                      token_rate_limit=args.token_rate_limit_per_minute)
    except (OSError, ValueError, SeedError) as err:
        sys.stderr.write("genesys_emulator: bad seed or state file: %s\n" % err)
        return 2
    try:
        variants = variants_mod.from_options(args.variant_profile, args.variant_file, args.variant)
    except variants_mod.VariantError as err:
        sys.stderr.write("genesys_emulator: bad variant: %s\n" % err)
        return 2
    ca_path, cert_path, key_path = ensure_tls_files(state_dir)
    app = Emulator(store, latency_ms=args.latency_ms, variants=variants)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    port = sock.getsockname()[1]

    http = args.http
    if http == "auto":
        http = "httptools" if _has("httptools") else "h11"
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off",
        ssl_certfile=cert_path, ssl_keyfile=key_path, http=http, loop="uvloop" if _has("uvloop") else "asyncio",
        server_header=False, proxy_headers=False, timeout_keep_alive=30, backlog=1024, timeout_graceful_shutdown=0.5,
    )

    def on_ready():
        data = {"url": "https://127.0.0.1:%d" % port, "ca_path": ca_path, "pid": os.getpid(),
                "orgs": len(store.orgs), "startup_seconds": round(time.time() - t0, 3), "variants": app.variants}
        tmp = endpoint_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, endpoint_path)

    def on_exit():
        try:
            store.save()
        finally:
            try:
                os.unlink(endpoint_path)
            except FileNotFoundError:
                pass

    server = _Server(config, on_ready, args.lifetime_seconds, os.getppid() if args.exit_with_parent else None,
                     on_exit=on_exit)
    try:
        server.run(sockets=[sock])
    finally:
        on_exit()
    return 0
