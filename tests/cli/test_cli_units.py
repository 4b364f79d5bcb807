"""Parts of the CLI that need no server: input parsing and import hygiene."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from sdk.client import WorkflowIdConflictPolicy, WorkflowIdReusePolicy
from tempo_cli._context import UsageError
from tempo_cli._inputs import parse_conflict_policy, parse_duration, parse_reuse_policy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30", timedelta(seconds=30)),
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("250ms", timedelta(milliseconds=250)),
        ("1.5h", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
    ],
)
def test_durations_like_the_real_cli(text: str, expected: timedelta) -> None:
    assert parse_duration("--run-timeout", text) == expected


@pytest.mark.parametrize("text", ["soon", "10 s", "5x", "-3s", "0", "1h30"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--run-timeout: "):
        parse_duration("--run-timeout", text)


@pytest.mark.parametrize("text", ["RejectDuplicate", "reject-duplicate", "REJECT_DUPLICATE", "rejectduplicate"])
def test_policies_are_case_and_separator_insensitive(text: str) -> None:
    assert parse_reuse_policy(text) is WorkflowIdReusePolicy.REJECT_DUPLICATE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UseExisting", WorkflowIdConflictPolicy.USE_EXISTING),
        ("terminate-existing", WorkflowIdConflictPolicy.TERMINATE_EXISTING),
        ("FAIL", WorkflowIdConflictPolicy.FAIL),
    ],
)
def test_conflict_policies_by_the_real_clis_names(text: str, expected: WorkflowIdConflictPolicy) -> None:
    assert parse_conflict_policy(text) is expected


def test_an_unknown_policy_names_the_option() -> None:
    with pytest.raises(UsageError, match=r"^--id-reuse-policy"):
        parse_reuse_policy("Sometimes")
    assert parse_reuse_policy(None) is None


def test_help_and_completion_do_not_import_the_sdk_or_the_tui() -> None:
    # `tempo workflow --help` and tab completion should start fast: no protobufs, no Textual.
    code = (
        "import sys; import tempo_cli.workflow; "
        "print(sorted(m for m in ('temporalio', 'sdk', 'textual', 'grpc') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    assert out.stdout.strip() == "[]"


def test_payload_shorthand_follows_temporals_go_rules() -> None:
    # The same rules as `temporal ... -o json`: only payloads that read back unambiguously.
    from temporalio.api.common.v1 import Memo, Payload, Payloads

    from tempo_cli._render import proto_json

    def payload(data: bytes, **metadata: bytes) -> Payload:
        return Payload(metadata=metadata, data=data)

    memo = Memo()
    memo.fields["plain"].CopyFrom(payload(b'{"a": [1]}', encoding=b"json/plain"))
    memo.fields["typed"].CopyFrom(payload(b'"x"', encoding=b"json/plain", type=b"Keyword"))
    memo.fields["bytes"].CopyFrom(payload(b"\x00", encoding=b"binary/plain"))
    memo.fields["none"].CopyFrom(payload(b"", encoding=b"binary/null"))
    memo.fields["proto"].CopyFrom(payload(b'{"name": "T"}', encoding=b"json/protobuf", messageType=b"a.B"))
    fields = proto_json(memo)["fields"]
    assert fields["plain"] == {"a": [1]}
    assert fields["typed"] == {"metadata": {"encoding": "anNvbi9wbGFpbg==", "type": "S2V5d29yZA=="}, "data": "Ingi"}
    assert fields["bytes"] == {"metadata": {"encoding": "YmluYXJ5L3BsYWlu"}, "data": "AA=="}
    assert fields["none"] == {"metadata": {"encoding": "YmluYXJ5L251bGw="}}
    assert fields["proto"] == {"name": "T", "_protoMessageType": "a.B"}
    # A list is shortened only if every element is.
    mixed = Payloads(payloads=[payload(b"1", encoding=b"json/plain"), payload(b"\x00", encoding=b"binary/plain")])
    assert proto_json(mixed) == {
        "payloads": [
            {"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "MQ=="},
            {"metadata": {"encoding": "YmluYXJ5L3BsYWlu"}, "data": "AA=="},
        ]
    }
    assert proto_json(Payloads(payloads=[payload(b"1", encoding=b"json/plain")])) == [1]


def test_values_print_as_temporal_prints_them() -> None:
    import datetime

    from tempo_cli._go_format import cli_duration, float32_number, go_duration, relative_time, rfc3339_nano

    assert [go_duration(n) for n in (0, 250 * 10**6, 2_601_993_601, 72_733_554_020, 3723 * 10**9)] == [
        "0s", "250ms", "2.601993601s", "1m12.73355402s", "1h2m3s",
    ]  # fmt: skip
    assert cli_duration(72_733_554_020) == "1m 12.73355402s"
    assert cli_duration(3 * 86400 * 10**9) == "3d 0h 0m 0s"
    assert (float32_number(100000.0), float32_number(2.623305), float32_number(0.0)) == (100000, 2.623305, 0)
    now = datetime.datetime(2026, 12, 4, 12, 0, 0, tzinfo=datetime.UTC)
    ago = [relative_time(now - datetime.timedelta(seconds=s), now) for s in (0.2, 1, 2, 61, 7200)]
    assert ago == ["now", "1 second ago", "2 seconds ago", "1 minute ago", "2 hours ago"]
    assert rfc3339_nano(now, 854_339_100) == "2026-12-04T12:00:00.8543391Z"
    assert rfc3339_nano(now, 0) == "2026-12-04T12:00:00Z"
