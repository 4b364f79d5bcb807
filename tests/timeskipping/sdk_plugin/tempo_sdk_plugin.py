"""A pytest plugin for the official Python SDK's own test suite: its time-skipping
environment (`WorkflowEnvironment.start_time_skipping()`, which would download the Java test
server) runs on `tempo-test-server` instead. See README.md, "Testing".

Load it with `-p tempo_sdk_plugin` and this directory on PYTHONPATH; TEMPO_TEST_SERVER names
the executable (default: `tempo-test-server` on PATH).
"""

from __future__ import annotations

import functools
import os
import shutil
from typing import Any

from temporalio.testing import WorkflowEnvironment

_start_time_skipping = WorkflowEnvironment.start_time_skipping.__func__  # type: ignore[attr-defined]


@functools.wraps(_start_time_skipping)
async def _on_tempo(cls: type[WorkflowEnvironment], *args: Any, **kwargs: Any) -> WorkflowEnvironment:
    path = os.environ.get("TEMPO_TEST_SERVER") or shutil.which("tempo-test-server")
    if path is None:
        raise RuntimeError("tempo-test-server is not on PATH (or set TEMPO_TEST_SERVER)")
    kwargs.setdefault("test_server_existing_path", path)
    environment: WorkflowEnvironment = await _start_time_skipping(cls, *args, **kwargs)
    return environment


WorkflowEnvironment.start_time_skipping = classmethod(_on_tempo)  # type: ignore[method-assign,assignment]
