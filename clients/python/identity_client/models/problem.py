from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.problem_code import ProblemCode, check_problem_code
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.problem_field import ProblemField


T = TypeVar("T", bound="Problem")


@_attrs_define
class Problem:
    """An RFC 9457 problem document.

    Example:
        {'code': 'validation_failed', 'detail': 'email: this is not a valid email address', 'errors': [{'code':
            'invalid_email', 'field': 'email', 'message': 'this is not a valid email address'}], 'status': 422, 'title':
            'Unprocessable Entity', 'type': 'urn:identity:problem:validation_failed'}

    Attributes:
        code (ProblemCode): Stable machine code of a problem; clients branch on it. New codes may be added.

            - `malformed_body` (400): The body is empty, not valid JSON, or could not be read.
            - `invalid_token` (400): The token from the mail is unknown, expired or already used.
            - `invalid_mfa_token` (401): The sign-in is no longer waiting for a second factor (expired, finished, or too
            many wrong codes): sign in again.
            - `invalid_code` (400): The code is wrong or expired; `attempts_left` says how many tries remain.
            - `invalid_idempotency_key` (400): `Idempotency-Key` is not 1–255 visible ASCII characters.
            - `bad_request` (400): The HTTP request itself is invalid (refused before reaching an operation).
            - `unauthenticated` (401): The access token is missing, invalid or expired, or its session or account ended.
            - `invalid_mfa_code` (401): The second factor's code is wrong or was already used; `attempts_left` says how many
            tries the `mfa_token` has left.
            - `mfa_required` (403): A second factor is needed: a session signed in with one (`REQUIRE_MFA_FOR_ADMINS`), or
            the factor's code with the password.
            - `invalid_credentials` (401): Unknown account, wrong password, or an account that may not sign in.
            - `invalid_refresh_token` (401): The refresh token is missing, unknown or expired.
            - `refresh_token_reused` (401): An already used refresh token was replayed: the session is revoked.
            - `forbidden` (403): Signed in, but not allowed to do this (e.g. not an admin).
            - `reauthentication_required` (403): The operation needs a recent proof of who you are: `POST
            /v1/auth/reauthenticate` (`REAUTH_MAX_AGE_SECONDS`), then retry.
            - `precondition_failed` (412): `If-Match` names a version that is no longer current: read the resource again,
            then retry.
            - `precondition_required` (428): A change of a versioned resource needs `If-Match` with the `ETag` it was read
            with.
            - `csrf_rejected` (403): A cookie-authenticated unsafe request came without an allowed `Origin`.
            - `account_locked` (403): The account is locked.
            - `account_disabled` (403): The account is disabled.
            - `email_not_verified` (403): The address must be verified first (`REQUIRE_VERIFIED_EMAIL`).
            - `not_found` (404): No such resource (or not the caller's).
            - `method_not_allowed` (405): The resource exists but not with this method; see `Allow`.
            - `email_taken` (409): The address already has an account.
            - `username_taken` (409): The username is taken.
            - `group_name_taken` (409): A group with this name (regardless of case) exists.
            - `mfa_already_enabled` (409): An authenticator app is set up already: remove it before setting up another.
            - `mfa_not_enabled` (409): The account has no second factor to go with this.
            - `last_admin` (409): The last active admin must stay an active admin.
            - `job_state_conflict` (409): The job's state does not allow this (cancel a running job, retry a succeeded one).
            - `idempotency_in_progress` (409): A request with this `Idempotency-Key` is still running; see `Retry-After`.
            - `payload_too_large` (413): The body is larger than `MAX_BODY_BYTES`.
            - `unsupported_media_type` (415): The body is not of the documented content type.
            - `validation_failed` (422): Fields or parameters are missing, unknown or invalid; `errors` names each.
            - `idempotency_key_reused` (422): This `Idempotency-Key` was used with another request body.
            - `rate_limited` (429): Too many requests from this client; see `Retry-After` and `RateLimit-*`.
            - `cooldown` (429): A mail was sent moments ago; see `Retry-After`.
            - `login_throttled` (429): Too many failed sign-ins for this account; see `Retry-After`.
            - `internal_error` (500): An unexpected error; nothing about it is disclosed.
            - `bad_gateway` (502): The built-in proxy could not reach the upstream of the path, or it broke off its answer.
            - `service_unavailable` (503): A dependency is down; see `Retry-After`.
            - `overloaded` (503): Password hashing is saturated; see `Retry-After`.
            - `too_many_sockets` (503): The user's or the replica's WebSocket limit is reached, or the replica is stopping;
            see `Retry-After`.
            - `gateway_timeout` (504): The upstream of a proxied path did not connect or answer in time
            (`PROXY_*_TIMEOUT_SECONDS`).
        detail (str): What went wrong, for a human.
        status (int):
        title (str): Short summary (the HTTP reason phrase).
        type_ (str): URI identifying the problem type: `urn:identity:problem:<code>`.
        attempts_left (int | None | Unset): Wrong registration codes still allowed before the registration is void
            (`invalid_code` only).
        errors (list[ProblemField] | Unset): Invalid fields, for `validation_failed`.
    """

    code: ProblemCode
    detail: str
    status: int
    title: str
    type_: str
    attempts_left: int | None | Unset = UNSET
    errors: list[ProblemField] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code: str = self.code

        detail = self.detail

        status = self.status

        title = self.title

        type_ = self.type_

        attempts_left: int | None | Unset
        if isinstance(self.attempts_left, Unset):
            attempts_left = UNSET
        else:
            attempts_left = self.attempts_left

        errors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = []
            for errors_item_data in self.errors:
                errors_item = errors_item_data.to_dict()
                errors.append(errors_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "status": status,
                "title": title,
                "type": type_,
            }
        )
        if attempts_left is not UNSET:
            field_dict["attempts_left"] = attempts_left
        if errors is not UNSET:
            field_dict["errors"] = errors

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.problem_field import ProblemField

        d = dict(src_dict)
        code = check_problem_code(d.pop("code"))

        detail = d.pop("detail")

        status = d.pop("status")

        title = d.pop("title")

        type_ = d.pop("type")

        def _parse_attempts_left(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        attempts_left = _parse_attempts_left(d.pop("attempts_left", UNSET))

        _errors = d.pop("errors", UNSET)
        errors: list[ProblemField] | Unset = UNSET
        if _errors is not UNSET:
            errors = []
            for errors_item_data in _errors:
                errors_item = ProblemField.from_dict(errors_item_data)

                errors.append(errors_item)

        problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
            attempts_left=attempts_left,
            errors=errors,
        )

        problem.additional_properties = d
        return problem

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
