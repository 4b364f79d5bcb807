"""Activity retry rules as pure functions: Temporal's defaults and backoff."""

from __future__ import annotations

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb

from devserver.core.protos import duration, seconds_of, with_value_names

DEFAULT_INITIAL_INTERVAL = 1.0
DEFAULT_BACKOFF = 2.0
DEFAULT_MAX_INTERVAL_FACTOR = 100.0

RetryState = with_value_names(wf_enums.RetryState)


def with_defaults(policy: common.RetryPolicy | None) -> common.RetryPolicy:
    """The policy the server records: unset fields filled with Temporal's defaults."""
    filled = common.RetryPolicy()
    if policy is not None:
        filled.CopyFrom(policy)
    initial = seconds_of(filled.initial_interval) or DEFAULT_INITIAL_INTERVAL
    filled.initial_interval.CopyFrom(duration(initial))
    if filled.backoff_coefficient == 0:
        filled.backoff_coefficient = DEFAULT_BACKOFF
    if seconds_of(filled.maximum_interval) == 0:
        filled.maximum_interval.CopyFrom(duration(initial * DEFAULT_MAX_INTERVAL_FACTOR))
    return filled


def validate(policy: common.RetryPolicy) -> str | None:
    """An error message for a policy Temporal would reject, else None."""
    if seconds_of(policy.initial_interval) < 0:
        return "InitialInterval cannot be negative on retry policy."
    if policy.backoff_coefficient and policy.backoff_coefficient < 1:
        return "BackoffCoefficient cannot be less than 1 on retry policy."
    if seconds_of(policy.maximum_interval) < 0:
        return "MaximumInterval cannot be negative on retry policy."
    if policy.maximum_attempts < 0:
        return "MaximumAttempts cannot be negative on retry policy."
    return None


def failure_type(failure: failure_pb.Failure | None) -> tuple[str, bool]:
    """(error type, non_retryable flag) of a failure, looking at application failures."""
    if failure is None:
        return "", False
    if failure.HasField("application_failure_info"):
        info = failure.application_failure_info
        return info.type, info.non_retryable
    if failure.HasField("timeout_failure_info"):
        timeout_type = failure.timeout_failure_info.timeout_type
        if timeout_type not in wf_enums.TimeoutType.values():
            # A worker may send any number (proto3 enums are open); Go names it by its number.
            return f"TemporalTimeout:{timeout_type}", False
        name = wf_enums.TimeoutType.Name(timeout_type)
        return "TemporalTimeout:" + name.removeprefix("TIMEOUT_TYPE_").title().replace("_", ""), False
    return "", False


def next_backoff(
    policy: common.RetryPolicy,
    attempt: int,
    failure: failure_pb.Failure | None,
    now: float,
    expiration: float | None,
) -> tuple[float | None, int]:
    """Delay before attempt `attempt + 1`, or None and the RetryState that ends retrying.

    `attempt` is the attempt that just failed; `expiration` the absolute
    schedule-to-close deadline, if any.
    """
    error_type, non_retryable = failure_type(failure)
    if non_retryable or (error_type and error_type in policy.non_retryable_error_types):
        return None, RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE
    if policy.maximum_attempts and attempt >= policy.maximum_attempts:
        return None, RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
    initial = seconds_of(policy.initial_interval) or DEFAULT_INITIAL_INTERVAL
    coefficient = policy.backoff_coefficient or DEFAULT_BACKOFF
    maximum = seconds_of(policy.maximum_interval) or initial * DEFAULT_MAX_INTERVAL_FACTOR
    # Guard the exponent: past ~1000 attempts the float overflows long before it matters.
    delay = min(initial * coefficient ** min(attempt - 1, 1000), maximum)
    if expiration is not None and now + delay >= expiration:
        return None, RetryState.RETRY_STATE_TIMEOUT
    return delay, RetryState.RETRY_STATE_IN_PROGRESS
