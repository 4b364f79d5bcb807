"""The event-sourcing core: pure, synchronous, no network, no asyncio.

`MutableState` (one workflow run) turns requests and worker commands into
history events; everything it wants done afterwards (tasks to hand out, timers
to arm, waiters to wake) is collected in a `Changes` object that the engine
commits and carries out.
"""
