"""The load generator: wrk (C, event-driven, so it takes little of the CPU it shares with
the server), driven by a Lua script that varies each request.

    result = run(server, Scenario.get(["/api/v1/requests/K7M4-Q2XP"]),
                 seconds=10, connections=16)
    result.requests_per_s, result.p50_ms, result.p99_ms, result.errors

``server`` is a ``serve.Server`` (then the result also carries the server's CPU time per
request) or a base URL.

Every request in a scenario cycles through its paths; a POST scenario sends one JSON
body and, when ``idempotency_prefix`` is set, a unique Idempotency-Key per request.
Connections are kept alive when the server allows it. Any non-2xx/3xx answer, failed
connect/read/write or timeout counts as an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.bench.serve import Server, scratch_dir

LUA = r"""
local counter, next_id = 0, 0
local method, paths, body, key_prefix, position

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  method, key_prefix = args[1], args[4]
  paths = {}
  for line in io.lines(args[2]) do paths[#paths + 1] = line end
  if args[3] ~= "" then
    local file = io.open(args[3], "rb")
    body = file:read("*a")
    file:close()
  end
  position = (thread_id * 7919) % #paths
end

function request()
  position = position % #paths + 1
  local headers = {}
  if body then headers["Content-Type"] = "application/json" end
  if key_prefix ~= "" then
    counter = counter + 1
    headers["Idempotency-Key"] = key_prefix .. "-" .. thread_id .. "-" .. counter
  end
  return wrk.format(method, paths[position], headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class Scenario:
    """What to send: a method, the paths to cycle through, an optional JSON body."""

    method: str
    paths: Sequence[str]
    body: dict | None = None
    idempotency_prefix: str = ""

    @classmethod
    def get(cls, paths: Sequence[str]) -> Scenario:
        return cls("GET", list(paths))

    @classmethod
    def post_json(
        cls,
        path: str,
        body: dict,
        *,
        unique_idempotency_keys: bool = False,
    ) -> Scenario:
        prefix = f"bench-{uuid.uuid4().hex[:12]}" if unique_idempotency_keys else ""
        return cls("POST", [path], body, prefix)

    def fresh(self) -> Scenario:
        """The same scenario with new Idempotency-Keys (for a second run against one DB)."""
        if not self.idempotency_prefix:
            return self
        return Scenario(self.method, self.paths, self.body, f"bench-{uuid.uuid4().hex[:12]}")


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    error_counts: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float | None = None

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_s is None or self.server_cpu_s < 0 or not self.requests:
            return None  # unknown, or a worker restarted and took its CPU time with it
        return self.server_cpu_s / self.requests * 1000

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(self.error_counts.values())


def ensure_wrk() -> str:
    """The wrk binary; installed from the distribution's packages if missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise RuntimeError("wrk is needed: install it with your package manager")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    installed = subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], env=env)
    if installed.returncode != 0:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], env=env, check=True)
    return shutil.which("wrk") or "wrk"


def run(
    server: Server | str,
    scenario: Scenario,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    timeout_s: int = 10,
) -> Result:
    """Drive the server for ``seconds`` with ``connections`` concurrent connections."""
    wrk = ensure_wrk()
    base_url = server.url if isinstance(server, Server) else server
    with scratch_dir("frontdoor-wrk-") as tmp:
        script, paths, body = tmp / "scenario.lua", tmp / "paths.txt", tmp / "body.json"
        script.write_text(LUA)
        paths.write_text("\n".join(scenario.paths) + "\n")
        if scenario.body is not None:
            body.write_text(json.dumps(scenario.body))
        command = [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={timeout_s}s",
            "-s",
            str(script),
            base_url,
            "--",
            scenario.method,
            str(paths),
            str(body) if scenario.body is not None else "",
            scenario.idempotency_prefix,
        ]
        cpu_before = server.cpu_seconds() if isinstance(server, Server) else None
        done = subprocess.run(command, capture_output=True, text=True)
        result = _parse(done, command)
    if cpu_before is not None:
        result.server_cpu_s = server.cpu_seconds() - cpu_before
    return result


def _parse(done: subprocess.CompletedProcess, command: list[str]) -> Result:
    lines = [line for line in done.stdout.splitlines() if line.startswith("WRK-RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({' '.join(command)}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(lines[-1].removeprefix("WRK-RESULT "))
    return Result(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        error_counts={
            k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]
        },
    )
