"""The webhook server's limits, over TLS: what anyone who can reach the port can make it do.

The size and shape checks run against an in-process `WebhookServer` (`echo_routes`). The burst
runs against a server in its own process (`webhook_server_support.served`: the real routes of
runtime/admission.py, an empty registry), so that its peak memory (VmHWM) is the server's alone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from budgetwarden.adapters.webhook_server import ReloadingTLS, WebhookServer
from budgetwarden_dev.devenv.certs import write_serving_cert
from webhook_server_support import (
    deep_body,
    echo_routes,
    exception_review,
    fetch_chunked,
    many_containers,
    peak_mib,
    served,
    verdict,
    workload_review,
)
from webhook_support import fetch

CAP = 3_670_016  # 3.5 MiB: object and oldObject of at most ~1.5 MiB each, and the envelope
PATH = "/validate/workloads"
BURST, BURST_BYTES, PEAK_LIMIT_MIB = 100, 3 * 1024 * 1024, 256


ANSWERED = (200, '{"response":{"uid":"u-1","allowed":true}}')


def over(size: int) -> str:
    """The 413 text for a body that declares `size` bytes."""
    return f"{PATH}: the body is {size} bytes, more than the {CAP} an AdmissionReview can be\n"


SENT_AND_ANSWERED = [
    (b"x" * (10 * 1024 * 1024), (413, over(10 * 1024 * 1024))),  # from its Content-Length
    (b" " * (CAP + 1), (413, over(CAP + 1))),
    (b'{"request": {"uid": "u-1"}}'.ljust(CAP), ANSWERED),  # exactly the cap is read
    (deep_body(10_000), (400, f"{PATH}: the body nests too deeply to be an AdmissionReview\n")),
    (b"[1, 2]", (400, f"{PATH}: the body is a JSON array, not an AdmissionReview object\n")),
    (b'"review"', (400, f"{PATH}: the body is a JSON string, not an AdmissionReview object\n")),
    (b'{"response": {}}',
     (400, f"{PATH}: the body is not an AdmissionReview: it has no request object\n")),
    (b'{"request": {"uid": 7}}',
     (400, f"{PATH}: the body is not an AdmissionReview: request.uid is not a string\n")),
    (b'{"a":"\xff"}', (400, f"{PATH}: the body is not JSON: 'utf-8' codec can't decode byte 0xff"
                           " in position 6: invalid start byte\n")),
]  # fmt: skip


def test_bodies_over_the_cap_are_refused_and_malformed_ones_named(tmp_path: Path) -> None:
    certs = write_serving_cert(tmp_path)

    async def scenario() -> list[tuple[int, str]]:
        server = WebhookServer(echo_routes(), ReloadingTLS(certs.cert, certs.key), "127.0.0.1", 0)
        await server.start()
        try:
            answers = [
                await fetch(server.port, certs.ca, "POST", PATH, body)
                for body, _ in SENT_AND_ANSWERED
            ]
            answers.append(await fetch_chunked(server.port, certs.ca, PATH, CAP + 1))
            answers.append(
                await fetch(server.port, certs.ca, "POST", PATH, b'{"request":{"uid":"u-1"}}')
            )
            return answers
        finally:
            await server.stop()

    assert asyncio.run(scenario()) == [
        *(answer for _, answer in SENT_AND_ANSWERED),
        (413, f"{PATH}: the body is more than the {CAP} bytes an AdmissionReview can be\n"),
        ANSWERED,  # and the server still answers
    ]


def test_a_burst_of_large_bodies_stays_within_memory_while_reviews_are_answered(
    tmp_path: Path,
) -> None:
    certs = write_serving_cert(tmp_path)
    junk = many_containers(BURST_BYTES)  # JSON's most expensive shape to decode: ~25x its size
    sent = [workload_review(f"u-{i}") if i % 2 else exception_review(f"u-{i}") for i in range(8)]

    async def scenario(port: int) -> tuple[list[tuple[int, str]], list[tuple[int, bool]]]:
        burst = [
            asyncio.create_task(fetch(port, certs.ca, "POST", PATH, junk)) for _ in range(BURST)
        ]
        reviews: list[tuple[int, bool]] = []
        while not all(task.done() for task in burst) or len(reviews) < len(sent):
            path, body = sent[len(reviews) % len(sent)]
            status, text = await fetch(port, certs.ca, "POST", path, body)
            reviews.append((status, verdict(text)))
        return await asyncio.gather(*burst), reviews

    with served(certs) as (port, pid):
        answers, reviews = asyncio.run(scenario(port))
        peak = peak_mib(pid)

    assert peak < PEAK_LIMIT_MIB, f"the server's peak RSS was {peak:.0f} MiB"
    refused = f"{PATH}: the body is not an AdmissionReview: it has no request object\n"
    busy = f"{PATH}: busy: 8 bodies over 262144 bytes are being handled; retry\n"
    assert {answer for answer in answers} == {(400, refused), (413, busy)}
    expected = [(200, i % 2 == 1) for i in range(len(sent))]  # workloads allowed, exceptions not
    assert reviews == [expected[i % len(sent)] for i in range(len(reviews))]
