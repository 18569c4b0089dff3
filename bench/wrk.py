"""One wrk measurement on loopback: a Lua script rotates through the request bodies (one body
repeated, or a few hundred with varied values), counts every answer that is not a success
(non-2xx, or a 2xx whose body carries "errors") per thread in `response()`, and `done()`
adds the threads up and prints one line with the counts and latency percentiles."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LUA = r"""
local threads = {}
local started = 0

function setup(thread)
  thread:set("offset", started)
  started = started + 1
  table.insert(threads, thread)
end

function init(args)
  prepared = {}
  for i, body in ipairs(bodies) do
    prepared[i] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
  end
  position = (offset * 7919) % #prepared
  responses = 0
  errors = 0
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local answered, failed = 0, 0
  for _, thread in ipairs(threads) do
    answered = answered + thread:get("responses")
    failed = failed + thread:get("errors")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH responses=%d errors=%d connect=%d read=%d write=%d timeout=%d duration_us=%d p50_us=%d p99_us=%d\n",
    answered, failed, e.connect, e.read, e.write, e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class WrkResult:
    rps: float  # answers without errors per second
    p50_ms: float
    p99_ms: float
    errors: int  # error answers (HTTP or GraphQL) and socket errors
    responses: int


def lua_string(text: str) -> str:
    """A Lua string literal of ASCII text (JSON bodies are ASCII-escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def script(bodies: list[str]) -> str:
    entries = ",\n".join(lua_string(json.dumps(json.loads(b), ensure_ascii=True)) for b in bodies)
    return "bodies = {\n" + entries + "\n}\n" + LUA


def ensure_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"refusing to load {host!r}: only loopback targets")


def parse(output: str) -> WrkResult:
    line = re.search(r"^BENCH (.*)$", output, re.M)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {output[-500:]}")
    values = {k: int(v) for k, v in (item.split("=") for item in line.group(1).split())}
    errors = values["errors"] + sum(values[k] for k in ("connect", "read", "write", "timeout"))
    good = values["responses"] - values["errors"]
    seconds = values["duration_us"] / 1e6
    return WrkResult(
        rps=good / seconds if seconds > 0 else 0.0,
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        errors=errors,
        responses=values["responses"],
    )


def run(url: str, bodies: list[str], seconds: float, clients: int, threads: int = 2) -> WrkResult:
    ensure_loopback(url)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        path = Path(folder) / "bodies.lua"
        path.write_text(script(bodies))
        try:
            completed = subprocess.run(
                ["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
                 "-s", str(path), url],
                capture_output=True, text=True, timeout=seconds + 120, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return WrkResult(0.0, 0.0, 0.0, clients, 0)
    return parse(completed.stdout + completed.stderr)
