"""A short kill loop (CI): official-SDK starts, signals, activities and timers while the server
is SIGKILLed and restarted on the same file; nothing it acknowledged is lost or duplicated.
`bench/kill_loop.py` is the long version (100 kills, and the real dev server as reference).
TEMPO_KILL_SEED reproduces a run."""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

from tests.reliability.harness import logged
from tests.reliability.kill_loop import KillLoop
from tests.servers import tempo_server


async def test_a_few_kills_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("TEMPO_KILL_SEED", random.randrange(1 << 30)))
    server = logged(tempo_server("--db-filename", str(tmp_path / "tempo.db")), tmp_path / "server.log").start()
    try:
        loop = KillLoop(server, kills=4, workflows=16, seed=seed)
        verdict = await asyncio.wait_for(loop.run(), 240)
    finally:
        server.stop()
    summary = verdict.summary()
    assert verdict.clean, f"seed {seed}: {summary} {verdict}"
    assert verdict.starts >= 16 + 2 * 4 and verdict.signals == 3 * verdict.starts, summary
    assert verdict.timers_due_while_down > 0, f"seed {seed}: no timer came due while the server was down"
    assert "Traceback" not in server.log(), server.log()[-3000:]
    print(summary)
