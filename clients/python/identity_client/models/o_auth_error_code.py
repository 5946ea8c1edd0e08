from typing import Literal

OAuthErrorCode = Literal[
    "invalid_client",
    "invalid_grant",
    "invalid_request",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "unsupported_grant_type",
]

O_AUTH_ERROR_CODE_VALUES: set[OAuthErrorCode] = {
    "invalid_client",
    "invalid_grant",
    "invalid_request",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "unsupported_grant_type",
}


def check_o_auth_error_code(value: str) -> OAuthErrorCode:
    if value in O_AUTH_ERROR_CODE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {O_AUTH_ERROR_CODE_VALUES!r}"
    )
