from typing import Literal

ProblemCode = Literal[
    "account_disabled",
    "account_locked",
    "bad_request",
    "cooldown",
    "csrf_rejected",
    "email_not_verified",
    "email_taken",
    "forbidden",
    "group_name_taken",
    "idempotency_in_progress",
    "idempotency_key_reused",
    "internal_error",
    "invalid_code",
    "invalid_credentials",
    "invalid_idempotency_key",
    "invalid_refresh_token",
    "invalid_token",
    "last_admin",
    "login_throttled",
    "malformed_body",
    "method_not_allowed",
    "not_found",
    "overloaded",
    "payload_too_large",
    "rate_limited",
    "refresh_token_reused",
    "service_unavailable",
    "unauthenticated",
    "unsupported_media_type",
    "username_taken",
    "validation_failed",
]

PROBLEM_CODE_VALUES: set[ProblemCode] = {
    "account_disabled",
    "account_locked",
    "bad_request",
    "cooldown",
    "csrf_rejected",
    "email_not_verified",
    "email_taken",
    "forbidden",
    "group_name_taken",
    "idempotency_in_progress",
    "idempotency_key_reused",
    "internal_error",
    "invalid_code",
    "invalid_credentials",
    "invalid_idempotency_key",
    "invalid_refresh_token",
    "invalid_token",
    "last_admin",
    "login_throttled",
    "malformed_body",
    "method_not_allowed",
    "not_found",
    "overloaded",
    "payload_too_large",
    "rate_limited",
    "refresh_token_reused",
    "service_unavailable",
    "unauthenticated",
    "unsupported_media_type",
    "username_taken",
    "validation_failed",
}


def check_problem_code(value: str) -> ProblemCode:
    if value in PROBLEM_CODE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {PROBLEM_CODE_VALUES!r}"
    )
