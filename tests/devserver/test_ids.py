"""The identifiers the server mints and checks without the `uuid` module (devserver.core.ids)
read and write as the `uuid` module does; task tokens keep their bytes across versions."""

from __future__ import annotations

import os
import uuid

import pytest

from devserver.core.ids import is_uuid, new_run_id, random_uuid
from devserver.core.tokens import TaskToken
from devserver.errors import InvalidArgument


def test_random_uuids_are_version_4_written_as_uuid_writes_them() -> None:
    made = {random_uuid() for _ in range(2000)}
    assert len(made) == 2000
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)


def test_a_forked_process_mints_ids_of_its_own() -> None:
    # The ids come from a pool of random bytes: a child forked with the pool half used must not
    # mint the ids its parent mints next (two servers forked from one would share run ids).
    random_uuid()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        os.write(write_end, " ".join([random_uuid(), new_run_id()]).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        child_uuid, child_run_id = pipe.read().split()
    os.waitpid(pid, 0)
    assert random_uuid() != child_uuid
    assert new_run_id()[13:] != child_run_id[13:]  # past the milliseconds, where they may agree


def test_run_ids_are_version_7_and_sort_by_creation() -> None:
    made = [new_run_id() for _ in range(50)]
    assert all(uuid.UUID(text).version == 7 and str(uuid.UUID(text)) == text for text in made)
    assert [text[:13] for text in made] == sorted(text[:13] for text in made)  # the milliseconds


@pytest.mark.parametrize(
    "text",
    [
        "8f2d6a9e-5c1b-4e7a-9d3f-0b8c2e4a6f10",
        "8F2D6A9E-5C1B-4E7A-9D3F-0B8C2E4A6F10",
        "{8f2d6a9e-5c1b-4e7a-9d3f-0b8c2e4a6f10}",
        "urn:uuid:8f2d6a9e-5c1b-4e7a-9d3f-0b8c2e4a6f10",
        "8f2d6a9e5c1b4e7a9d3f0b8c2e4a6f10",
        "8f2d6a9e-5c1b-4e7a-9d3f-0b8c2e4a6f1",
        "8f2d6a9e-5c1b-4e7a-9d3f-0b8c2e4a6f1g",
        "8f2d6a9e_5c1b_4e7a_9d3f_0b8c2e4a6f10",
        "8f2d6a9e-5c1b-4e7a-9d3f+0b8c2e4a6f10",
        "not a run id",
        "",
        " 8f2d6a9e-5c1b-4e7a-9d3f-0b8c2e4a6f10 ",
        "\uff18f2d6a9e-5c1b-4e7a-9d3f-0b8c2e4a6f10",  # a full-width digit
    ],
)
def test_a_run_id_is_read_as_the_uuid_module_reads_it(text: str) -> None:
    try:
        uuid.UUID(text)
        reads = True
    except ValueError:
        reads = False
    assert is_uuid(text) is reads


def test_a_task_token_an_older_server_handed_out_still_reads() -> None:
    # A worker may hold a token across a server's restart (`--db-filename`) and upgrade.
    written = (
        b'tempo1:{"kind":"activity","namespace":"ns","workflow_id":"w","run_id":"r","ref":5,"attempt":2,"name":"a"}'
    )
    token = TaskToken("activity", "ns", "w", "r", ref=5, attempt=2, name="a")
    assert TaskToken.decode(written) == token
    assert TaskToken.decode(token.encode()) == token


@pytest.mark.parametrize(
    "raw",
    [
        b'tempo2:["activity","ns","w","r",5,2]',  # a field short
        b'tempo2:{"kind":"activity"}',
        b'tempo2:["nothing","ns","w","r",5,2,"a"]',
        b"tempo2:\xff",
        b'tempo1:["activity","ns","w","r",5,2,"a"]',
    ],
)
def test_bytes_that_are_not_a_token_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidArgument, match="Error deserializing task token"):
        TaskToken.decode(raw)
