"""A real headless browser for end-to-end tests: Debian's chromium driven by Playwright.

Playwright's own browser download cannot reach the internet here, so the tests launch
the system chromium through `executable_path`. `.ci/run` installs it when it is missing;
on a machine without it the browser tests are skipped with that reason.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Without the background-networking flags chromium keeps dialing Google's hosts, which
# this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_available() -> bool:
    return shutil.which("chromium") is not None


needs_chromium = pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed")


@asynccontextmanager
async def chromium_browser(*, popup_blocker: bool = False) -> AsyncIterator[Any]:
    """A headless chromium, closed on exit.

    Args:
        popup_blocker: Block popups as a browser people use does (Playwright turns the
            blocker off by default).
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            ignore_default_args=["--disable-popup-blocking"] if popup_blocker else None,
            timeout=120_000,  # Playwright's 30 s default: chromium starts slowly on a busy machine
        )
        try:
            yield browser
        finally:
            await browser.close()
