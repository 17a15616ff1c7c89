"""Admission latency while the webhook refuses a burst of junk: bench.admission_latency's second
table.

The same operator and the same valid reviews as the rate steps (200 requests/s, open loop, from
the `--load` process), while a third process (this module run with `--junk KIND`) sends junk on
JUNK_CONNECTIONS connections, each sending the next as soon as the last is answered:

- oversized: 10 MiB bodies, refused with 413 from their Content-Length (the server still reads
  and discards each one, so that the sender sees the answer);
- costly: 3 MiB of `{"items":[{},{},...]}`, the most memory per byte JSON can make a decoder
  spend (about 25 times its size), refused with 400 once decoded, or with 413 while as many large
  bodies as the server takes at once are already in it;
- nested: 10,000 nested arrays, refused with 400.

Each row says what the junk got, the valid reviews' latency from sending and whether every answer
was right, the operator's CPU, and its peak memory (VmHWM) so far.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._stack import OperatorProcess, child, stop

JUNK_CONNECTIONS = 8
RATE, SECONDS = 200, 15
KINDS = ("oversized", "costly", "nested")


def junk(kind: str) -> bytes:
    """The body a junk sender repeats."""
    if kind == "oversized":
        return b" " * (10 * 1024 * 1024)
    if kind == "costly":
        size = 3 * 1024 * 1024
        return b'{"items":[' + b",".join([b"{}"] * ((size - 12) // 3)) + b"]}"
    return b'{"request":' + b"[" * 10_000 + b"]" * 10_000 + b"}"


async def send_junk(url: str, ca: str, body: bytes, until: float) -> dict[str, int]:
    """JUNK_CONNECTIONS senders until `until` (loop time); how often each answer came."""
    import aiohttp

    seen: collections.Counter[str] = collections.Counter()
    context = ssl.create_default_context(cafile=ca)
    connector = aiohttp.TCPConnector(ssl=context, limit=JUNK_CONNECTIONS)
    loop = asyncio.get_running_loop()

    async def sender(session: Any) -> None:
        while loop.time() < until:
            try:
                async with session.post(url, data=body) as response:
                    await response.read()
                    seen[str(response.status)] += 1
            except (aiohttp.ClientError, OSError) as error:
                seen[type(error).__name__] += 1
                await asyncio.sleep(0.05)

    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(sender(session) for _ in range(JUNK_CONNECTIONS)))
    return dict(seen)


def run_junk(args: argparse.Namespace) -> None:
    """The `--junk` entry point: send junk for `--seconds`, print what it got as JSON."""
    body = junk(args.junk)

    async def main() -> dict[str, int]:
        return await send_junk(
            args.url, args.ca, body, asyncio.get_running_loop().time() + args.seconds
        )

    print(json.dumps(asyncio.run(main())), flush=True)


Step = Callable[[int, int], tuple[list[str], bool]]  # (rate, seconds) -> (row, held)


def burst_rows(url: str, ca: Path, operator: OperatorProcess, step: Step) -> list[list[str]]:
    """One row per junk kind: the junk's answers, then the valid reviews' step row."""
    rows = []
    for kind in KINDS:
        argv = [sys.executable, "-m", "bench.admission_burst", "--junk", kind, "--url", url,
                "--ca", str(ca), "--seconds", str(SECONDS + 2)]  # fmt: skip
        sender = child(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1)  # the junk is flowing before the valid reviews start
        try:
            row, _ = step(RATE, SECONDS)
            out, err = sender.communicate(timeout=120)
        finally:
            stop(sender)
        if sender.returncode != 0:
            raise SystemExit(f"the junk sender failed:\n{err.decode()[-2000:]}")
        answers = json.loads(out)
        shown = " ".join(f"{k}×{v}" for k, v in sorted(answers.items()))
        peak = operator.status("VmHWM") / 1024
        # step's row: rate, sent at, requests, p50/p99/max from due, p50/p99 from send, CPU, ...
        sent_at, requests, p99_due, max_due, p50, p99, cpu, right = (
            row[i] for i in (1, 2, 4, 5, 6, 7, 8, 9)
        )
        rows.append([kind, shown, sent_at, requests, p50, p99, p99_due, max_due, cpu, right,
                     f"{peak:.0f} MiB"])  # fmt: skip
    return rows


HEADERS = ["junk", "junk answers", "valid sent at", "valid requests", "p50 from send",
           "p99 from send", "p99 from due", "max from due", "operator CPU", "answers right",
           "operator peak RSS so far"]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junk", choices=KINDS, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(1))
    run_junk(parser.parse_args())
