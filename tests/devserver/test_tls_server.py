"""`tempo server start-dev` serves TLS, mutual TLS and an API key itself: our SDK's client and
worker, the `tempo` CLI, the official SDK and the real `temporal` CLI all connect with their
usual TLS options, and each way of getting it wrong is one clear line.

(The real dev server has no TLS or API key flags: there is nothing to compare with, and the
real server's behaviour followed here is that of its authorizer, which leaves the health
checks open.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import temporalio.client
import temporalio.service
from cryptography.hazmat.primitives import serialization
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from sdk import Client, RPCError, ServerUnreachableError
from sdk import workflow as tempo_workflow
from sdk.client import TLSConfig
from sdk.worker import Worker
from tests.certificates import Certificates, make_certificates
from tests.secure_servers import (
    API_KEY,
    SecureServer,
    client_flags,
    one_line_error,
    start_dev,
    tempo,
    temporal,
    tls_flags,
)


@tempo_workflow.defn(name="SecureGreeting")
class SecureGreeting:
    @tempo_workflow.run
    async def run(self, name: str) -> str:
        return f"Hello over TLS, {name}!"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Certificates of another CA: trusted by nobody here."""
    return make_certificates(tmp_path_factory.mktemp("other"), ca_name="Another CA")


def _running(log: Path, *flags: str) -> Iterator[SecureServer]:
    server = start_dev(log, *flags)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_server(certificates: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    yield from _running(tmp_path_factory.mktemp("tls") / "server.log", *tls_flags(certificates))


@pytest.fixture(scope="module")
def mtls_server(certificates: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    yield from _running(tmp_path_factory.mktemp("mtls") / "server.log", *tls_flags(certificates, mutual=True))


@pytest.fixture(scope="module")
def key_server(certificates: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    """TLS and an API key (every client turns TLS on with a key unless told not to)."""
    flags = [*tls_flags(certificates), "--api-key", API_KEY]
    yield from _running(tmp_path_factory.mktemp("key") / "server.log", *flags)


def sdk_tls(certificates: Certificates, *, mutual: bool = False) -> TLSConfig:
    if not mutual:
        return TLSConfig(server_root_ca_cert=certificates.ca)
    return TLSConfig(
        server_root_ca_cert=certificates.ca,
        client_cert=certificates.client_cert,
        client_private_key=certificates.client_key,
    )


def official_tls(certificates: Certificates, *, mutual: bool = False) -> temporalio.service.TLSConfig:
    if not mutual:
        return temporalio.service.TLSConfig(server_root_ca_cert=certificates.ca)
    return temporalio.service.TLSConfig(
        server_root_ca_cert=certificates.ca,
        client_cert=certificates.client_cert,
        client_private_key=certificates.client_key,
    )


async def run_greeting(client: Client) -> str:
    queue = f"secure-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[SecureGreeting]):
        result: str = await client.execute_workflow(
            SecureGreeting.run, "Ada", id=f"secure-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
    return result


# ---- the banner ------------------------------------------------------------------------------


def test_the_banner_says_how_clients_connect(
    tls_server: SecureServer, mtls_server: SecureServer, key_server: SecureServer
) -> None:
    assert tls_server.banner[0] == f"Tempo dev server listening on {tls_server.address} (in memory; TLS)"
    assert mtls_server.banner[0] == (
        f"Tempo dev server listening on {mtls_server.address} (in memory; mutual TLS: client certificates required)"
    )
    assert (
        key_server.banner[0] == f"Tempo dev server listening on {key_server.address} (in memory; TLS; API key required)"
    )
    assert (
        f"Connect:    tempo workflow list --address {mtls_server.address} --tls-ca-path CA_FILE "
        "--tls-cert-path CLIENT_CERT --tls-key-path CLIENT_KEY"
    ) in mtls_server.banner
    assert f"Connect:    tempo workflow list --address {key_server.address} --tls-ca-path CA_FILE --api-key KEY" in (
        key_server.banner
    )
    assert not any(API_KEY in line for line in key_server.banner)  # the key is not printed


# ---- our SDK ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tls", "mtls", "key"])
async def test_our_client_and_worker_run_a_workflow(
    kind: str, request: pytest.FixtureRequest, certificates: Certificates
) -> None:
    server: SecureServer = request.getfixturevalue(f"{kind}_server")
    client = await Client.connect(
        server.address, tls=sdk_tls(certificates, mutual=kind == "mtls"), api_key=API_KEY if kind == "key" else None
    )
    try:
        assert await run_greeting(client) == "Hello over TLS, Ada!"
    finally:
        await client.close()


async def test_our_client_says_what_is_wrong(
    tls_server: SecureServer,
    mtls_server: SecureServer,
    key_server: SecureServer,
    certificates: Certificates,
    other_ca: Certificates,
) -> None:
    with pytest.raises(ServerUnreachableError, match="not signed by a trusted CA"):
        await Client.connect(tls_server.address, tls=TLSConfig(server_root_ca_cert=other_ca.ca))
    with pytest.raises(ServerUnreachableError, match="wants a client certificate"):
        await Client.connect(mtls_server.address, tls=sdk_tls(certificates))
    with pytest.raises(ServerUnreachableError, match="not for this host name"):
        await Client.connect(
            tls_server.address, tls=TLSConfig(server_root_ca_cert=certificates.ca, domain="wrong.tempo.test")
        )
    with pytest.raises(ServerUnreachableError, match="may want TLS"):
        await Client.connect(tls_server.address, tls=False)
    client = await Client.connect(key_server.address, tls=sdk_tls(certificates), api_key="not-the-key")
    try:
        with pytest.raises(RPCError) as info:
            await client.count_workflows()
        assert info.value.status_code == grpc.StatusCode.UNAUTHENTICATED
        assert str(info.value) == "Request unauthenticated: the API key is not valid"
        client.api_key = API_KEY  # the same connection, the right key
        assert await client.count_workflows() >= 0
    finally:
        await client.close()


async def test_without_the_key_only_the_health_checks_answer(
    key_server: SecureServer, certificates: Certificates
) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=certificates.ca)
    async with grpc.aio.secure_channel(key_server.address, credentials) as channel:
        stub = WorkflowServiceStub(channel)
        health = channel.unary_unary("/grpc.health.v1.Health/Check")
        assert await health(b"", timeout=10) == b"\x08\x01"  # SERVING
        info = await stub.GetSystemInfo(wsv1.GetSystemInfoRequest(), timeout=10)
        assert info.server_version
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListWorkflowExecutions(wsv1.ListWorkflowExecutionsRequest(namespace="default"), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert refused.value.details() == (
            "Request unauthenticated: this server needs an API key (send the header 'authorization: Bearer <key>')"
        )
        with pytest.raises(grpc.aio.AioRpcError) as not_bearer:
            await stub.ListWorkflowExecutions(
                wsv1.ListWorkflowExecutionsRequest(namespace="default"),
                metadata=[("authorization", API_KEY)],
                timeout=10,
            )
        assert not_bearer.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "must be 'Bearer <key>'" in (not_bearer.value.details() or "")
        listed = await stub.ListWorkflowExecutions(
            wsv1.ListWorkflowExecutionsRequest(namespace="default"),
            metadata=[("authorization", f"Bearer {API_KEY}")],
            timeout=10,
        )
        assert listed is not None


# ---- the official SDK ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tls", "mtls", "key"])
async def test_the_official_sdk_connects(kind: str, request: pytest.FixtureRequest, certificates: Certificates) -> None:
    server: SecureServer = request.getfixturevalue(f"{kind}_server")
    official = await temporalio.client.Client.connect(
        server.address,
        tls=official_tls(certificates, mutual=kind == "mtls"),
        api_key=API_KEY if kind == "key" else None,
    )
    workflow_id = f"official-{uuid.uuid4().hex[:8]}"
    await official.start_workflow("Anything", id=workflow_id, task_queue="nobody-polls")
    described = await official.get_workflow_handle(workflow_id).describe()
    assert described.id == workflow_id


async def test_the_official_sdk_gets_unauthenticated_with_a_wrong_key(
    key_server: SecureServer, certificates: Certificates
) -> None:
    official = await temporalio.client.Client.connect(
        key_server.address, tls=official_tls(certificates), api_key="not-the-key"
    )
    with pytest.raises(temporalio.service.RPCError) as info:
        await official.count_workflows()
    assert info.value.status == temporalio.service.RPCStatusCode.UNAUTHENTICATED
    assert info.value.message == "Request unauthenticated: the API key is not valid"


# ---- the tempo and temporal command lines ----------------------------------------------------


@pytest.mark.parametrize("kind", ["tls", "mtls", "key"])
def test_tempo_starts_and_lists_with_the_connection_flags(
    kind: str, request: pytest.FixtureRequest, certificates: Certificates, tmp_path: Path
) -> None:
    server: SecureServer = request.getfixturevalue(f"{kind}_server")
    flags = ["--address", server.address, *client_flags(certificates, mutual=kind == "mtls")]
    flags += ["--api-key", API_KEY] if kind == "key" else []
    workflow_id = f"cli-{uuid.uuid4().hex[:8]}"
    started = tempo(tmp_path, "workflow", "start", "--type", "Anything", "--task-queue", "q", "-w", workflow_id, *flags)
    assert started.returncode == 0, started.stderr
    listed = tempo(tmp_path, "workflow", "list", "--query", f"WorkflowId = '{workflow_id}'", *flags)
    assert listed.returncode == 0, listed.stderr
    assert workflow_id in listed.stdout
    real = temporal(tmp_path, "workflow", "list", "--query", f"WorkflowId = '{workflow_id}'", *flags)
    assert real.returncode == 0, real.stderr
    assert workflow_id in real.stdout


@pytest.mark.parametrize(
    ("kind", "mistake", "said"),
    [
        ("tls", "another CA", "the server's TLS certificate is not signed by a trusted CA (check the CA certificate)"),
        ("tls", "another server name", "the server's TLS certificate is not for this host name"),
        ("tls", "no TLS", "the server closed the connection: it may want TLS"),
        ("mtls", "no client certificate", "it wants a client certificate (mutual TLS) it trusts"),
        ("mtls", "a client certificate of another CA", "it wants a client certificate (mutual TLS) it trusts"),
        ("key", "a wrong key", "server refused the request (UNAUTHENTICATED): Request unauthenticated: the API key"),
        ("key", "no key", "(UNAUTHENTICATED): Request unauthenticated: this server needs an API key"),
    ],
)
def test_tempo_says_each_mistake_in_one_line(
    kind: str,
    mistake: str,
    said: str,
    request: pytest.FixtureRequest,
    certificates: Certificates,
    other_ca: Certificates,
    tmp_path: Path,
) -> None:
    server: SecureServer = request.getfixturevalue(f"{kind}_server")
    flags = {
        "another CA": client_flags(other_ca),
        "another server name": [*client_flags(certificates), "--tls-server-name", "wrong.tempo.test"],
        "no TLS": [],
        "no client certificate": client_flags(certificates),
        "a client certificate of another CA": [
            *client_flags(certificates),
            *("--tls-cert-path", str(other_ca.client_cert_path), "--tls-key-path", str(other_ca.client_key_path)),
        ],
        "a wrong key": [*client_flags(certificates), "--api-key", "not-the-key"],
        "no key": client_flags(certificates),
    }[mistake]
    result = tempo(tmp_path, "workflow", "list", "--address", server.address, *flags, timeout=60)
    assert said in one_line_error(result)


def test_the_real_cli_is_refused_without_the_key(
    key_server: SecureServer, certificates: Certificates, tmp_path: Path
) -> None:
    result = temporal(tmp_path, "workflow", "list", "--address", key_server.address, *client_flags(certificates))
    assert result.returncode != 0
    assert "Unauthenticated" in result.stderr and "needs an API key" in result.stderr, result.stderr


# ---- bad flags and files ---------------------------------------------------------------------


def test_bad_tls_files_are_one_line_errors(certificates: Certificates, other_ca: Certificates, tmp_path: Path) -> None:
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    encrypted = tmp_path / "encrypted.key"
    key_object = serialization.load_pem_private_key(certificates.server_key, password=None)
    encrypted.write_bytes(
        key_object.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    cert, key, ca = str(certificates.server_cert_path), str(certificates.server_key_path), str(certificates.ca_path)
    cases = {
        "a missing certificate": (
            ["--tls-cert-path", str(tmp_path / "missing.pem"), "--tls-key-path", key],
            f"cannot read the TLS certificate {tmp_path / 'missing.pem'}: no such file",
        ),
        "an unreadable key": (
            ["--tls-cert-path", cert, "--tls-key-path", str(tmp_path)],
            f"cannot read the TLS key {tmp_path}: it is a directory",
        ),
        "a key that is not PEM": (
            ["--tls-cert-path", cert, "--tls-key-path", str(not_pem)],
            f"the TLS key {not_pem} is not a PEM private key",
        ),
        "an encrypted key": (
            ["--tls-cert-path", cert, "--tls-key-path", str(encrypted)],
            f"the TLS key {encrypted} is encrypted: give it without a passphrase",
        ),
        "a certificate that is not PEM": (
            ["--tls-cert-path", str(not_pem), "--tls-key-path", key],
            f"the TLS certificate {not_pem} is not a PEM certificate",
        ),
        "the key of another certificate": (
            ["--tls-cert-path", cert, "--tls-key-path", str(other_ca.server_key_path)],
            f"the TLS key {other_ca.server_key_path} is not the key of the certificate {cert}",
        ),
        "a client CA that is not PEM": (
            ["--tls-cert-path", cert, "--tls-key-path", key, "--tls-ca-path", str(not_pem)],
            f"the TLS CA certificate {not_pem} is not a PEM certificate",
        ),
        "a certificate without its key": (
            ["--tls-cert-path", cert],
            "give --tls-cert-path and --tls-key-path together",
        ),
        "a client CA without TLS": (
            ["--tls-ca-path", ca],
            "--tls-ca-path (mutual TLS) needs --tls-cert-path and --tls-key-path",
        ),
        "an empty API key": (["--api-key", " "], "--api-key is empty"),
    }
    for mistake, (flags, said) in cases.items():
        result = tempo(tmp_path, "server", "start-dev", "--headless", "--port", "0", *flags, timeout=60)
        assert one_line_error(result) == said, mistake
        assert result.stdout == "", mistake  # it never said it was listening


@pytest.mark.parametrize(
    ("flags", "warns"),
    [(["tls"], True), (["tls", "mutual"], False), (["tls", "key"], False)],
    ids=["tls only: anyone may connect", "mutual TLS", "API key"],
)
def test_listening_beyond_loopback_warns_only_without_authentication(
    flags: list[str], warns: bool, certificates: Certificates, tmp_path: Path
) -> None:
    server_flags = tls_flags(certificates, mutual="mutual" in flags) + (
        ["--api-key", API_KEY] if "key" in flags else []
    )
    server = start_dev(tmp_path / "server.log", "--ip", "0.0.0.0", *server_flags)
    server.stop()
    log = server.log.read_text() if server.log else ""
    assert ("warning: listening on 0.0.0.0: the dev server has no authentication" in log) == warns, log
