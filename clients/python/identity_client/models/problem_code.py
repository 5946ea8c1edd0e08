from enum import StrEnum


class ProblemCode(StrEnum):
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_LOCKED = "account_locked"
    BAD_REQUEST = "bad_request"
    COOLDOWN = "cooldown"
    CSRF_REJECTED = "csrf_rejected"
    EMAIL_NOT_VERIFIED = "email_not_verified"
    EMAIL_TAKEN = "email_taken"
    FORBIDDEN = "forbidden"
    GROUP_NAME_TAKEN = "group_name_taken"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INTERNAL_ERROR = "internal_error"
    INVALID_CODE = "invalid_code"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    INVALID_REFRESH_TOKEN = "invalid_refresh_token"
    INVALID_TOKEN = "invalid_token"
    LAST_ADMIN = "last_admin"
    LOGIN_THROTTLED = "login_throttled"
    MALFORMED_BODY = "malformed_body"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_FOUND = "not_found"
    OVERLOADED = "overloaded"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"
    SERVICE_UNAVAILABLE = "service_unavailable"
    UNAUTHENTICATED = "unauthenticated"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    USERNAME_TAKEN = "username_taken"
    VALIDATION_FAILED = "validation_failed"

    def __str__(self) -> str:
        return str(self.value)
