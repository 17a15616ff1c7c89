"""`budgetwarden demo-receiver`: where the demo's Alertmanager delivers, recorded per receiver.

Serves on loopback until stopped: POST /<receiver name> takes Alertmanager's webhook
notifications, GET /deliveries lists every alert delivered so far (the drill prints them), and
`--record` appends each one to a JSON-lines file. `budgetwarden demo up` starts it;
docs/demo.md shows what it receives during a drill.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "a local receiver that records what the demo's Alertmanager delivers"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the receiver's flags."""
    parser.add_argument("--port", type=int, default=0,
                        help="loopback port; 0 picks a free one (default 0)")  # fmt: skip
    parser.add_argument("--port-file", type=Path, metavar="PATH",
                        help="write the bound port here once serving")  # fmt: skip
    parser.add_argument("--record", type=Path, metavar="PATH",
                        help="append every delivered alert to this JSON-lines file")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT: 0 on a clean stop, 1 if the port cannot be bound."""
    from budgetwarden_dev.demo.receiver import Inbox, server

    if not 0 <= args.port <= 65535:
        print(f"budgetwarden demo-receiver: --port must be 0 to 65535; got {args.port}",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        httpd = server(("127.0.0.1", args.port), Inbox(args.record))
        if args.port_file is not None:
            args.port_file.write_text(str(httpd.server_address[1]))
    except OSError as error:
        print(f"budgetwarden demo-receiver: {error}", file=sys.stderr)
        return 1
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0
