"""Connecting beyond plaintext: TLS, mutual TLS, API keys, headers and retries of transient failures.

A real TLS front (tests/sdk_client/tls_peer.py) stands before each dev server (ours, the real one), with
certificates made for the test by a throw-away CA.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import temporalio.client
import temporalio.service

from sdk import Client, RPCError, ServerUnreachableError
from sdk import workflow as tempo_workflow
from sdk.client import RetryConfig, TLSConfig
from sdk.worker import Worker
from tests.sdk_client.tls_peer import Certificates, TLSFront, make_certificates


@tempo_workflow.defn(name="SecureGreeting")
class SecureGreeting:
    @tempo_workflow.run
    async def run(self, name: str) -> str:
        return f"Hello over TLS, {name}!"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
async def tls_front(server_address: str, certificates: Certificates) -> AsyncIterator[TLSFront]:
    front = await TLSFront(server_address, certificates).start()
    yield front
    await front.stop()


@pytest.fixture
async def mtls_front(server_address: str, certificates: Certificates) -> AsyncIterator[TLSFront]:
    front = await TLSFront(server_address, certificates, require_client_cert=True).start()
    yield front
    await front.stop()


@pytest.fixture
async def plain_front(server_address: str) -> AsyncIterator[TLSFront]:
    front = await TLSFront(server_address, None).start()
    yield front
    await front.stop()


async def run_greeting(client: Client) -> str:
    queue = f"tls-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[SecureGreeting]):
        result: str = await client.execute_workflow(
            SecureGreeting.run, "Ada", id=f"tls-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
    return result


async def test_client_and_worker_run_a_workflow_over_tls(tls_front: TLSFront, certificates: Certificates) -> None:
    client = await Client.connect(
        tls_front.address, tls=TLSConfig(server_root_ca_cert=certificates.ca), api_key="worker-key"
    )
    try:
        assert await run_greeting(client) == "Hello over TLS, Ada!"
    finally:
        await client.close()
    # The worker's polls and answers went through the front too, with the key.
    polls = tls_front.headers_of("PollWorkflowTaskQueue")
    answers = tls_front.headers_of("RespondWorkflowTaskCompleted")
    assert polls and answers
    assert {headers.get("authorization") for headers in polls + answers} == {"Bearer worker-key"}


async def test_mutual_tls_needs_the_client_certificate(mtls_front: TLSFront, certificates: Certificates) -> None:
    with_cert = TLSConfig(
        server_root_ca_cert=certificates.ca,
        client_cert=certificates.client_cert,
        client_private_key=certificates.client_key,
    )
    client = await Client.connect(mtls_front.address, tls=with_cert)
    try:
        assert await run_greeting(client) == "Hello over TLS, Ada!"
    finally:
        await client.close()
    with pytest.raises(ServerUnreachableError, match="wants a client certificate"):
        await Client.connect(mtls_front.address, tls=TLSConfig(server_root_ca_cert=certificates.ca))


async def test_the_official_sdk_connects_to_the_same_front(mtls_front: TLSFront, certificates: Certificates) -> None:
    official = await temporalio.client.Client.connect(
        mtls_front.address,
        tls=temporalio.service.TLSConfig(
            server_root_ca_cert=certificates.ca,
            client_cert=certificates.client_cert,
            client_private_key=certificates.client_key,
        ),
    )
    assert (await official.count_workflows()).count >= 0


async def test_a_server_certificate_from_another_ca_is_refused(tls_front: TLSFront, tmp_path: Path) -> None:
    other = make_certificates(tmp_path)
    with pytest.raises(ServerUnreachableError) as info:
        await Client.connect(tls_front.address, tls=TLSConfig(server_root_ca_cert=other.ca))
    assert str(info.value) == (
        f"cannot connect to {tls_front.address}: "
        "the server's TLS certificate is not signed by a trusted CA (check the CA certificate)"
    )


async def test_plaintext_to_a_tls_server_says_it_may_want_tls(tls_front: TLSFront) -> None:
    with pytest.raises(ServerUnreachableError, match="it may want TLS"):
        await Client.connect(tls_front.address)


async def test_domain_names_the_certificate_expected(server_address: str, tmp_path: Path) -> None:
    named = make_certificates(tmp_path, server_names=("frontend.tempo.test",))
    front = await TLSFront(server_address, named).start()
    try:
        with pytest.raises(ServerUnreachableError, match="not for this host name"):  # 127.0.0.1 is not in it
            await Client.connect(front.address, tls=TLSConfig(server_root_ca_cert=named.ca))
        client = await Client.connect(
            front.address, tls=TLSConfig(server_root_ca_cert=named.ca, domain="frontend.tempo.test")
        )
        assert await client.count_workflows() >= 0
        await client.close()
    finally:
        await front.stop()


async def test_api_key_and_metadata_reach_the_server_and_can_change(
    tls_front: TLSFront, certificates: Certificates
) -> None:
    client = await Client.connect(
        tls_front.address,
        tls=TLSConfig(server_root_ca_cert=certificates.ca),
        api_key="first-key",
        rpc_metadata={"X-Team": "deliveries"},
    )
    try:
        await client.count_workflows()
        assert tls_front.headers_of("CountWorkflowExecutions")[-1]["authorization"] == "Bearer first-key"
        assert tls_front.headers_of("CountWorkflowExecutions")[-1]["x-team"] == "deliveries"
        # A rotated key and new headers apply from the next call, on the same connection.
        client.api_key = "second-key"
        client.rpc_metadata = {"x-team": "kitchen"}
        await client.count_workflows()
        latest = tls_front.headers_of("CountWorkflowExecutions")[-1]
        assert (latest["authorization"], latest["x-team"]) == ("Bearer second-key", "kitchen")
        # An authorization header of one's own wins over the key, as in the official SDK.
        client.rpc_metadata = {"authorization": "Custom token"}
        await client.count_workflows()
        assert tls_front.headers_of("CountWorkflowExecutions")[-1]["authorization"] == "Custom token"
        client.api_key = None
        client.rpc_metadata = {}
        await client.count_workflows()
        assert "authorization" not in tls_front.headers_of("CountWorkflowExecutions")[-1]
    finally:
        await client.close()


async def test_an_api_key_turns_tls_on_unless_told_otherwise(plain_front: TLSFront) -> None:
    # With a key and nothing said about TLS, the client insists on TLS: a plaintext server fails.
    with pytest.raises(ServerUnreachableError, match="the server does not speak TLS"):
        await Client.connect(plain_front.address, api_key="secret")
    assert plain_front.calls == []  # the key never went out in the clear
    client = await Client.connect(plain_front.address, api_key="secret", tls=False)
    try:
        await client.count_workflows()
        assert plain_front.headers_of("CountWorkflowExecutions")[-1]["authorization"] == "Bearer secret"
    finally:
        await client.close()


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED])
async def test_transient_failures_are_retried(plain_front: TLSFront, code: grpc.StatusCode) -> None:
    client = await Client.connect(plain_front.address)
    try:
        plain_front.fail_next(code, 2)
        assert await client.count_workflows() >= 0
        assert len(plain_front.headers_of("CountWorkflowExecutions")) == 3
    finally:
        await client.close()


async def test_other_failures_are_not_retried(plain_front: TLSFront) -> None:
    client = await Client.connect(plain_front.address)
    try:
        plain_front.fail_next(grpc.StatusCode.PERMISSION_DENIED, 1)
        with pytest.raises(RPCError) as info:
            await client.count_workflows()
        assert info.value.status_code == grpc.StatusCode.PERMISSION_DENIED
        assert len(plain_front.headers_of("CountWorkflowExecutions")) == 1
    finally:
        await client.close()


async def test_a_message_over_the_size_limit_is_not_retried(plain_front: TLSFront) -> None:
    client = await Client.connect(plain_front.address)
    try:
        message = "Received message larger than max (5242893 vs. 4194304)"
        plain_front.fail_next(grpc.StatusCode.RESOURCE_EXHAUSTED, 1, message)
        with pytest.raises(RPCError, match="larger than max"):
            await client.count_workflows()
        assert len(plain_front.headers_of("CountWorkflowExecutions")) == 1
    finally:
        await client.close()


async def test_retries_stop_at_the_configured_limit(plain_front: TLSFront) -> None:
    client = await Client.connect(plain_front.address, retry_config=RetryConfig(max_retries=2))
    try:
        plain_front.fail_next(grpc.StatusCode.RESOURCE_EXHAUSTED, 5)
        with pytest.raises(RPCError) as info:
            await client.count_workflows()
        assert info.value.status_code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert len(plain_front.headers_of("CountWorkflowExecutions")) == 3
    finally:
        await client.close()


def test_backoff_grows_and_is_jittered() -> None:
    config = RetryConfig(initial_interval_millis=100, multiplier=2, max_interval_millis=350, randomization_factor=0.2)
    waits = [[config.backoff(n) for n in (1, 2, 3, 4)] for _ in range(50)]
    for first, second, third, fourth in waits:
        assert 0.08 <= first <= 0.12 and 0.16 <= second <= 0.24
        assert 0.28 <= third <= 0.42 and 0.28 <= fourth <= 0.42  # capped at max_interval
    assert len({round(w[0], 6) for w in waits}) > 1  # jittered, not one fixed value


def test_a_half_client_certificate_is_refused() -> None:
    with pytest.raises(ValueError, match="together"):
        TLSConfig(client_cert=b"cert")
