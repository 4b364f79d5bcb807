"""A workflow of our SDK for the sdk.testing tests: it sleeps as long as it is told and says
how much workflow time passed."""

from __future__ import annotations

import sdk.workflow

DAY = 86400.0


@sdk.workflow.defn(name="Sleeper")
class Sleeper:
    @sdk.workflow.run
    async def run(self, seconds: float) -> float:
        started = sdk.workflow.now()
        await sdk.workflow.sleep(seconds)
        return (sdk.workflow.now() - started).total_seconds()
