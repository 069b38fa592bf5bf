#!/usr/bin/env python
"""Capacity benchmark of the Genesys Cloud emulator (issue 3 item 6). A benchmark, not a test.

1. start-up: generate a seed with --orgs orgs (seedgen), start the emulator --starts times, report the time from
   process start to endpoint.json (and the emulator's own start-up time);
2. throughput: --clients concurrent clients (asyncio + aiohttp, one keep-alive HTTPS connection and one org/token
   each) run a request mix for --duration seconds; report requests/s, errors, latency percentiles and the
   emulator's CPU use.

    PYTHONPATH=emulator .venv/bin/python emulator/bench_capacity.py [--orgs 500] [--clients 20] [--duration 20]

The per-token API limit (300/min, like the real platform) is raised for the throughput run with
--rate-limit-per-minute, because 1,000 req/s over 20 tokens is 3,000 requests per token per minute.
"""

import argparse
import asyncio
import base64
import json
import os
import random
import resource
import ssl
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import aiohttp  # noqa: E402

from genesys_emulator.seedgen import make_seed  # noqa: E402
from genesys_emulator.testing import EmulatorProcess  # noqa: E402


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def measure_startup(seed_path, starts, extra):
    results = []
    for _ in range(starts):
        t0 = time.monotonic()
        with EmulatorProcess(seed=seed_path, extra_args=extra) as emu:
            results.append({"ready_s": round(time.monotonic() - t0, 3),
                            "emulator_startup_s": emu.endpoint.get("startup_seconds"),
                            "orgs": emu.endpoint.get("orgs")})
    return results


OKTA = {"name": "Okta", "issuerURI": "https://idp.example/entity", "ssoTargetURI": "https://idp.example/sso",
        "disabled": True}
MIX = [("GET", "/api/v2/identityproviders", 60), ("GET", "/api/v2/identityproviders/okta", 15),
       ("GET", "/api/v2/tokens/me", 10), ("GET", "/api/v2/organizations/me", 10),
       ("PUT", "/api/v2/identityproviders/okta", 5)]


async def one_client(idx, url, ctx, deadline, stats):
    org = "org-%04d" % (idx + 1)
    conn = aiohttp.TCPConnector(ssl=ctx, limit=1)
    async with aiohttp.ClientSession(connector=conn) as session:
        basic = base64.b64encode(("%s-admin:%s-admin-secret" % (org, org)).encode()).decode()
        async with session.post(url + "/oauth/token", data={"grant_type": "client_credentials"},
                                headers={"Authorization": "Basic " + basic}) as resp:
            token = (await resp.json())["access_token"]
        headers = {"Authorization": "Bearer " + token}
        async with session.put(url + "/api/v2/identityproviders/okta", json=OKTA, headers=headers) as resp:
            await resp.read()
        rnd = random.Random(idx)
        weights = [w for _, _, w in MIX]
        while time.monotonic() < deadline:
            method, path, _ = rnd.choices(MIX, weights)[0]
            t0 = time.perf_counter()
            try:
                async with session.request(method, url + path, headers=headers,
                                           json=OKTA if method == "PUT" else None) as resp:
                    await resp.read()
                    status = resp.status
            except aiohttp.ClientError as err:
                status = "exc:%s" % type(err).__name__
            stats["lat"].append(time.perf_counter() - t0)
            stats["n"] += 1
            if status != 200:
                stats["errors"][str(status)] = stats["errors"].get(str(status), 0) + 1


async def load(url, ca_path, clients, duration):
    ctx = ssl.create_default_context(cafile=ca_path)
    stats = {"n": 0, "errors": {}, "lat": []}
    start = time.monotonic()
    deadline = start + duration
    await asyncio.gather(*(one_client(i, url, ctx, deadline, stats) for i in range(clients)))
    elapsed = time.monotonic() - start
    lat = sorted(stats["lat"])

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None
    return {"requests": stats["n"], "seconds": round(elapsed, 2), "req_per_s": round(stats["n"] / elapsed, 1),
            "errors": stats["errors"], "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"))
    parser.add_argument("--out", help="write the JSON result here too")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="emu-bench-")
    seed_path = os.path.join(workdir, "seed.json")
    with open(seed_path, "w", encoding="utf-8") as handle:
        json.dump(make_seed(args.orgs), handle)
    extra = ["--http", args.http, "--rate-limit-per-minute", "100000000"]
    result = {"orgs": args.orgs, "clients": args.clients, "http": args.http, "cpus": os.cpu_count(),
              "loadavg_before": os.getloadavg()}
    result["startup"] = measure_startup(seed_path, args.starts, extra)
    with EmulatorProcess(seed=seed_path, extra_args=extra) as emu:
        cpu0 = cpu_seconds(emu.pid)
        own0 = resource.getrusage(resource.RUSAGE_SELF)
        result["load"] = asyncio.run(load(emu.url, emu.ca_path, args.clients, args.duration))
        own1 = resource.getrusage(resource.RUSAGE_SELF)
        result["emulator_cpu_s"] = round(cpu_seconds(emu.pid) - cpu0, 2)
        result["emulator_cpu_share"] = round(result["emulator_cpu_s"] / result["load"]["seconds"], 2)
        result["emulator_cpu_ms_per_request"] = round(1000 * result["emulator_cpu_s"] / max(1, result["load"]["requests"]), 3)
        result["emulator_capacity_req_per_cpu_s"] = round(result["load"]["requests"] / max(0.01, result["emulator_cpu_s"]))
        result["client_cpu_s"] = round(own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime, 2)
        # A projection, not a measurement: what the measured CPU cost per request allows when the run has both
        # cores to itself (the emulator is one process, so it can use at most one of them).
        n = max(1, result["load"]["requests"])
        server, client = max(1e-6, result["emulator_cpu_s"] / n), max(1e-6, result["client_cpu_s"] / n)
        result["projected_req_per_s_idle_2_cores"] = round(min(1.0 / server, 1.0 / client, 2.0 / (server + client)))
    result["loadavg_after"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0 if not result["load"]["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
