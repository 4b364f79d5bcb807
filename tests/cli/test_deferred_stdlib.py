"""`inspect` imported only when something uses it (tempo_cli._deferred_stdlib), and asyncio for a
plaintext server without `ssl` (tempo_cli._plain_asyncio): whoever uses either later gets the
whole module, once."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_fresh(code: str) -> str:
    """What `code` printed, run in a fresh interpreter after import_without_ssl()."""
    prelude = "from tempo_cli._plain_asyncio import import_without_ssl\nimport_without_ssl()\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_asyncio_loads_without_ssl_ast_or_dis_and_ssl_still_imports_later() -> None:
    printed = run_fresh(
        """
        import sys
        print(sorted(m for m in ("ssl", "_ssl", "ast", "dis") if m in sys.modules))
        import ssl
        print(ssl.PROTOCOL_TLS_CLIENT.name)
        """
    )
    assert printed.splitlines() == ["[]", "PROTOCOL_TLS_CLIENT"]


def test_inspect_works_in_full_for_whoever_imported_it_before_or_after_its_first_use() -> None:
    printed = run_fresh(
        """
        import asyncio, functools, sys
        import inspect as early

        async def pay(order: int, *, tip: float = 0.0) -> str:
            return "paid"

        print(asyncio.iscoroutinefunction(pay), asyncio.iscoroutinefunction(print))
        import inspect as late
        print(late is sys.modules["inspect"], str(late.signature(pay)))
        print(early.signature is late.signature, early.getfullargspec(pay).kwonlyargs)
        print(repr(asyncio.get_event_loop_policy().new_event_loop().create_task(pay(1))).split(" ")[0])
        """
    )
    assert printed.splitlines() == [
        "True False",
        "True (order: int, *, tip: float = 0.0) -> str",
        "True ['tip']",
        "<Task",
    ]


def test_threads_using_inspect_at_once_load_it_once() -> None:
    printed = run_fresh(
        """
        import builtins, sys, threading
        import inspect
        stand_in = inspect
        loads = []
        real_import = builtins.__import__

        def counting_import(name, *args, **kwargs):
            if name == "inspect" and "inspect" not in sys.modules:
                loads.append(threading.get_ident())
            return real_import(name, *args, **kwargs)

        builtins.__import__ = counting_import
        start = threading.Barrier(8)
        answers = []

        def use() -> None:
            start.wait()
            answers.append(stand_in.isfunction(use))

        threads = [threading.Thread(target=use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(len(loads), answers.count(True), stand_in.ismodule(sys.modules["inspect"]))
        """
    )
    assert printed == "1 8 True"
