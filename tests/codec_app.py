"""A payload codec that "encrypts" (XOR with a key, then the bytes of the whole payload),
the same codec for the official SDK, and a workflow to run with them.

Importable by tests and by ``tempo codec-server --codec tests.codec_app:XorCodec``; run as
``python -m tests.codec_app ADDRESS TASK_QUEUE WORKFLOW_ID`` it runs one
:class:`SecretWorkflow` to its end with our worker and client, both using the codec; as
``python -m tests.codec_app serve ADDRESS TASK_QUEUE`` it runs a worker with the codec.
"""

from __future__ import annotations

import asyncio
import http.server
import itertools
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta

import temporalio.converter
import temporalio.workflow
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from sdk import activity, workflow
from sdk.client import Client
from sdk.converter import DataConverter, PayloadCodec
from sdk.exceptions import ApplicationError
from sdk.worker import Worker

ENCODING = b"binary/encrypted"
KEY = b"tempo-test-key"
PLAINTEXT_MARK = "open sesame"
"""Part of the workflow's input and result: must never appear in the history's bytes."""


def _xor(data: bytes) -> bytes:
    return bytes(b ^ k for b, k in zip(data, itertools.cycle(KEY), strict=False))


def encrypt(payloads: Sequence[Payload]) -> list[Payload]:
    return [
        Payload(metadata={"encoding": ENCODING, "encryption-key-id": b"test"}, data=_xor(p.SerializeToString()))
        for p in payloads
    ]


def decrypt(payloads: Sequence[Payload]) -> list[Payload]:
    decoded = []
    for payload in payloads:
        if payload.metadata.get("encoding") != ENCODING:
            decoded.append(payload)  # not ours: leave it as it is
            continue
        key_id = payload.metadata.get("encryption-key-id", b"").decode()
        if key_id != "test":
            raise ValueError(f"unknown encryption key {key_id!r}")
        plain = Payload()
        plain.ParseFromString(_xor(payload.data))
        decoded.append(plain)
    return decoded


class XorCodec(PayloadCodec):
    """The codec for Tempo's SDK (and for ``tempo codec-server``)."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return encrypt(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return decrypt(payloads)


class OfficialXorCodec(temporalio.converter.PayloadCodec):
    """The same codec for the official ``temporalio`` SDK."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return encrypt(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return decrypt(payloads)


CONVERTER = DataConverter(payload_codec=XorCodec())
OFFICIAL_CONVERTER = temporalio.converter.DataConverter(payload_codec=OfficialXorCodec())


@activity.defn
async def whisper(text: str) -> str:
    return f"{text} (whispered)"


@workflow.defn
class SecretWorkflow:
    def __init__(self) -> None:
        self.heard: list[str] = []

    @workflow.run
    async def run(self, secret: str, wait_for_signal: bool = False) -> str:
        if wait_for_signal:
            await workflow.wait_condition(lambda: bool(self.heard))
        whispered = await workflow.execute_activity(whisper, secret, start_to_close_timeout=timedelta(seconds=10))
        if secret == "fail":
            raise ApplicationError("the secret is out", {"leaked": PLAINTEXT_MARK}, type="Leak", non_retryable=True)
        return f"{whispered} heard {self.heard}"

    @workflow.signal
    def tell(self, word: str) -> None:
        self.heard.append(word)

    @workflow.query
    def heard_so_far(self) -> list[str]:
        return self.heard


@temporalio.workflow.defn(name="OfficialSecretKeeper")
class OfficialSecretKeeper:
    """The official SDK's side: keeps what updates tell it until told to finish."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.done = False

    @temporalio.workflow.run
    async def run(self, owner: str) -> str:
        await temporalio.workflow.wait_condition(lambda: self.done)
        return f"{owner} kept {self.secrets}"

    @temporalio.workflow.update
    def keep(self, secret: str) -> str:
        self.secrets.append(secret)
        return f"kept {secret}"

    @temporalio.workflow.signal
    def finish(self) -> None:
        self.done = True


async def run_one(address: str, task_queue: str, workflow_id: str) -> str:
    """Run one SecretWorkflow to its end with a codec on both the client and the worker."""
    client = await Client.connect(address, data_converter=CONVERTER)
    try:
        async with Worker(client, task_queue=task_queue, workflows=[SecretWorkflow], activities=[whisper]):
            handle = await client.start_workflow(
                SecretWorkflow, PLAINTEXT_MARK, True, id=workflow_id, task_queue=task_queue
            )
            await handle.signal(SecretWorkflow.tell, "psst")
            result: str = await handle.result()
            return result
    finally:
        await client.close()


class RecordingCodecServer:
    """A codec server (decode only) on a thread that records the headers of each request,
    to see what a CLI sends: ``with RecordingCodecServer() as server: ... server.headers``."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    def __enter__(self) -> RecordingCodecServer:
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                recorder.headers.append({k.lower(): v for k, v in self.headers.items()})
                body = self.rfile.read(int(self.headers["Content-Length"]))
                payloads = Payloads()
                json_format.Parse(body, payloads)
                answer = json_format.MessageToJson(Payloads(payloads=decrypt(payloads.payloads))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


async def serve(address: str, task_queue: str) -> None:
    """Run a worker with the codec until killed; prints ``ready`` once it polls."""
    client = await Client.connect(address, data_converter=CONVERTER)
    async with Worker(client, task_queue=task_queue, workflows=[SecretWorkflow], activities=[whisper]):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        asyncio.run(serve(*sys.argv[2:4]))
    else:
        print(asyncio.run(run_one(*sys.argv[1:4])))
