"""Start the emulator as a subprocess from tests: ``with EmulatorProcess(seed=...) as emu: emu.url``.

Stable API (other parts of the repo code against it): ``EmulatorProcess(state_dir=None, seed=<path or dict>,
latency_ms=0, extra_args=(), variants=None, variant_profile=None)`` with ``.url``, ``.ca_path``, ``.pid``, ``.state_dir``, ``.requests()``,
``.clear_requests()``, ``.add_fault()``, ``.clear_faults()``, ``.reset()``, ``.state()``,
``.patch_client()``, ``.add_orgs()``, ``.expire_tokens()``, ``.token()``, ``.variants()``, ``.set_variants()``,
``.restore_variants()``, ``.stop()``. ``variants=`` (a flat mapping of variant keys) is written to
``state_dir/variants.json`` and passed as ``--variant-file``; ``variant_profile=`` as ``--variant-profile``.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import requests

EMULATOR_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EmulatorError(RuntimeError):
    pass


class EmulatorProcess:
    def __init__(self, state_dir=None, seed=None, latency_ms=0, extra_args=(), start_timeout=15.0,
                 lifetime_seconds=1800, exit_with_parent=True, variants=None, variant_profile=None):
        self._own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="genesys-emu-")
        os.makedirs(self.state_dir, exist_ok=True)
        self.seed = seed
        self.latency_ms = latency_ms
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.lifetime_seconds = lifetime_seconds
        self.exit_with_parent = exit_with_parent
        self.start_variants = dict(variants) if variants else None
        self.variant_profile = variant_profile
        self.proc = None
        self.url = None
        self.ca_path = None
        self.pid = None
        self.endpoint = None
        self._session = None

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self):
        args = [sys.executable, "-m", "genesys_emulator", "--state-dir", self.state_dir, "--port", "0",
                "--latency-ms", str(int(self.latency_ms))]
        if self.seed is not None:
            if isinstance(self.seed, dict):
                path = os.path.join(self.state_dir, "seed.json")
                with open(path, "w", encoding="utf-8") as handle:
                    json.dump(self.seed, handle)
            else:
                path = str(self.seed)
            args += ["--seed", path]
        if self.lifetime_seconds and "--lifetime-seconds" not in self.extra_args:
            args += ["--lifetime-seconds", str(self.lifetime_seconds)]
        if self.exit_with_parent:
            args.append("--exit-with-parent")
        if self.variant_profile:
            args += ["--variant-profile", self.variant_profile]
        if self.start_variants:
            vpath = os.path.join(self.state_dir, "variants.json")
            with open(vpath, "w", encoding="utf-8") as handle:
                json.dump(self.start_variants, handle)
            args += ["--variant-file", vpath]
        args += self.extra_args
        env = dict(os.environ)
        env["PYTHONPATH"] = EMULATOR_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        endpoint_path = os.path.join(self.state_dir, "endpoint.json")
        self._log = open(os.path.join(self.state_dir, "emulator.log"), "ab")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmulatorError("emulator exited with %s; see %s" % (
                    self.proc.returncode, os.path.join(self.state_dir, "emulator.log")))
            try:
                with open(endpoint_path, "r", encoding="utf-8") as handle:
                    data = json.load(handle)
                if data.get("pid") == self.proc.pid:
                    self.endpoint = data
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        else:
            self.stop()
            raise EmulatorError("emulator did not become ready within %.0f s" % self.start_timeout)
        self.url = self.endpoint["url"]
        self.ca_path = self.endpoint["ca_path"]
        self.pid = self.proc.pid
        # verify= is passed on every call: a session-level verify loses against REQUESTS_CA_BUNDLE
        self._session = requests.Session()
        return self

    def stop(self, timeout=10.0):
        if self._session is not None:
            self._session.close()
            self._session = None
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self._own_dir and os.environ.get("GENESYS_EMULATOR_KEEP_STATE") != "1":
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- control helpers -------------------------------------------------------------------------
    def _call(self, method, path, **kwargs):
        if self._session is None:
            raise EmulatorError("emulator is not running")
        resp = self._session.request(method, self.url + path, timeout=30, verify=self.ca_path, **kwargs)
        if resp.status_code >= 400:
            raise EmulatorError("%s %s -> %s %s" % (method, path, resp.status_code, resp.text[:500]))
        return resp.json() if resp.content else None

    def requests(self, org=None, since=None):
        params = {}
        if org is not None:
            params["org"] = org
        if since is not None:
            params["since"] = since
        return self._call("GET", "/_emulator/requests", params=params)

    def clear_requests(self):
        return self._call("DELETE", "/_emulator/requests")

    def add_fault(self, **rule):
        return self._call("POST", "/_emulator/faults", json=rule)

    def faults(self):
        return self._call("GET", "/_emulator/faults")

    def clear_faults(self):
        return self._call("DELETE", "/_emulator/faults")

    def reset(self):
        return self._call("POST", "/_emulator/reset")

    def state(self):
        return self._call("GET", "/_emulator/state")

    def add_orgs(self, orgs):
        return self._call("POST", "/_emulator/orgs", json=list(orgs))

    def patch_client(self, org, client_id, **changes):
        return self._call("PATCH", "/_emulator/orgs/%s/clients/%s" % (org, client_id), json=changes)

    def add_client(self, org, **client):
        return self._call("POST", "/_emulator/orgs/%s/clients" % org, json=client)

    def expire_tokens(self, org=None):
        return self._call("POST", "/_emulator/tokens/expire", json={"org": org} if org else {})

    def config(self, **changes):
        if changes:
            return self._call("PATCH", "/_emulator/config", json=changes)
        return self._call("GET", "/_emulator/config")

    def variants(self, **changes):
        """The effective platform variants; with keyword arguments, change those keys first (run time)."""
        if changes:
            return self.set_variants(changes)
        return self._call("GET", "/_emulator/variants")

    def set_variants(self, mapping=None, profile=None, **changes):
        """Change variants at run time (merged over the current ones, or over ``profile``); returns them all."""
        body = dict(mapping or {})
        body.update(changes)
        return self._call("POST", "/_emulator/variants", json=body, params={"profile": profile} if profile else None)

    def restore_variants(self):
        """Back to the variants given at start (``POST /_emulator/reset`` does this too)."""
        return self._call("DELETE", "/_emulator/variants")

    def token(self, client_id, client_secret):
        """Client-credentials token (Basic auth, like the SDKs)."""
        resp = self._session.post(self.url + "/oauth/token", data={"grant_type": "client_credentials"},
                                  auth=(client_id, client_secret), timeout=30, verify=self.ca_path)
        if resp.status_code != 200:
            raise EmulatorError("token request failed: %s %s" % (resp.status_code, resp.text[:300]))
        return resp.json()["access_token"]
