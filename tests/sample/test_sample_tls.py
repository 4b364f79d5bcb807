"""The sample against a server behind mutual TLS and an API key (`tempo server start-dev
--tls-* --api-key`), connected the three ways a deployment configures it: flags, the
``TEMPORAL_*`` variables, and a profile of the profiles file. An order placed on the menu is
paid by the worker, so the worker, the menu and the driver portal all reached the server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.certificates import Certificates, make_certificates
from tests.sample.support import SampleProcess, unique_task_queue
from tests.secure_servers import API_KEY, SecureServer, client_flags, start_dev, tls_flags

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("sample-certificates"))


@pytest.fixture(scope="module")
def secure_server(certificates: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    log = tmp_path_factory.mktemp("sample-tls") / "server.log"
    server = start_dev(log, *tls_flags(certificates, mutual=True), "--api-key", API_KEY)
    try:
        yield server
    finally:
        server.stop()


def _order_gets_paid(sample: SampleProcess) -> None:
    deadline = time.monotonic() + 60
    placed = None
    while placed is None:
        try:
            placed = httpx.post(f"{sample.menu}/api/orders", json={"productId": 2}, timeout=10)
        except httpx.ConnectError:
            assert time.monotonic() < deadline, sample.output()
            time.sleep(0.1)
    assert placed.status_code == 201, (placed.text, sample.output())
    order_id = placed.json()["orderId"]
    while True:
        status = httpx.get(f"{sample.menu}/api/orders/{order_id}", timeout=10).json()
        if status["state"] == "Paid":
            return
        assert time.monotonic() < deadline, (status, sample.output())
        time.sleep(0.1)


def _run(sample: SampleProcess) -> None:
    sample.start()
    try:
        _order_gets_paid(sample)
    finally:
        sample.stop()


def test_the_sample_connects_with_flags(
    secure_server: SecureServer, certificates: Certificates, tmp_path: Path
) -> None:
    options = (*client_flags(certificates, mutual=True), "--api-key", API_KEY, "--failure-rate", "0")
    _run(SampleProcess(secure_server.address, unique_task_queue(), tmp_path / "sample.log", options=options))


def test_the_sample_connects_from_the_environment(
    secure_server: SecureServer, certificates: Certificates, tmp_path: Path
) -> None:
    env = {
        "TEMPORAL_API_KEY": API_KEY,
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(certificates.ca_path),
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(certificates.client_cert_path),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(certificates.client_key_path),
        "TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    sample = SampleProcess(secure_server.address, unique_task_queue(), tmp_path / "sample.log", env=env)
    sample.options = ("--failure-rate", "0")
    _run(sample)


def test_the_sample_connects_with_a_profile(
    secure_server: SecureServer, certificates: Certificates, tmp_path: Path
) -> None:
    profiles = tmp_path / "temporal.toml"
    profiles.write_text(
        "[profile.shop]\n"
        f'address = "{secure_server.address}"\n'
        f'api_key = "{API_KEY}"\n'
        "[profile.shop.tls]\n"
        f'server_ca_cert_path = "{certificates.ca_path}"\n'
        f'client_cert_path = "{certificates.client_cert_path}"\n'
        f'client_key_path = "{certificates.client_key_path}"\n'
    )
    sample = SampleProcess(
        "", unique_task_queue(), tmp_path / "sample.log", env={"TEMPORAL_CONFIG_FILE": str(profiles)}
    )
    sample.options = ("--profile", "shop", "--failure-rate", "0")
    _run(sample)


def test_a_wrong_profile_is_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "sample_food_delivery", "worker", "--profile", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"TEMPORAL_CONFIG_FILE": str(tmp_path / "missing.toml"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("error: Profile 'nope' not found")
