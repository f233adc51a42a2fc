"""The tests' conformant fake server in a process of its own, for benchmarks that time the toolkit.

    .venv/bin/python benchmarks/conformant_server.py [--token T]

Prints its base URL on the first line of stdout, serves until its standard
input closes, then prints ``requests: N`` (how many requests it answered)
and exits. It answers in about a millisecond, so a run against it times the
toolkit's own cost; in its own process, it does not share the runner's
event loop or interpreter lock.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The fake server lives with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.fake_server import fake_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--token", default=None, help="the token the server requires (none: it accepts any)")
    args = parser.parse_args()
    stats: dict[str, int] = {}
    with fake_server(token=args.token, stats=stats) as url:
        print(url, flush=True)
        sys.stdin.read()
    print(f"requests: {stats['requests']}", flush=True)


if __name__ == "__main__":
    main()
