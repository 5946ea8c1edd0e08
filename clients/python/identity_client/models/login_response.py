from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.token_type import TokenType, check_token_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.session_view import SessionView
    from ..models.user_view import UserView


T = TypeVar("T", bound="LoginResponse")


@_attrs_define
class LoginResponse:
    """A session and its tokens.

    Attributes:
        access_token (str): PASETO v4.public access token; also sent as `X-Auth-Token` and an `HttpOnly` cookie.
        expires_at (datetime.datetime):
        expires_in (int): Seconds until the access token expires. Example: 900.
        refresh_token (str): Opaque refresh token for `POST /v1/auth/refresh` (also an `HttpOnly` cookie scoped to
            `/v1/auth`). Single use: every refresh returns a new one.
        session (SessionView): A signed-in session.
        token_type (TokenType): How to present the access token: `Authorization: Bearer <token>` (RFC 6750), the same
            from every endpoint that issues one.
        user (UserView): A user account as its owner sees it.
        recovery_codes_left (int | None | Unset): Only after a sign-in with a recovery code: how many unused ones are
            left (new ones:
            `POST /v1/mfa/recovery-codes`). Example: 9.
    """

    access_token: str
    expires_at: datetime.datetime
    expires_in: int
    refresh_token: str
    session: SessionView
    token_type: TokenType
    user: UserView
    recovery_codes_left: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        expires_at = self.expires_at.isoformat()

        expires_in = self.expires_in

        refresh_token = self.refresh_token

        session = self.session.to_dict()

        token_type: str = self.token_type

        user = self.user.to_dict()

        recovery_codes_left: int | None | Unset
        if isinstance(self.recovery_codes_left, Unset):
            recovery_codes_left = UNSET
        else:
            recovery_codes_left = self.recovery_codes_left

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access_token": access_token,
                "expires_at": expires_at,
                "expires_in": expires_in,
                "refresh_token": refresh_token,
                "session": session,
                "token_type": token_type,
                "user": user,
            }
        )
        if recovery_codes_left is not UNSET:
            field_dict["recovery_codes_left"] = recovery_codes_left

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.session_view import SessionView
        from ..models.user_view import UserView

        d = dict(src_dict)
        access_token = d.pop("access_token")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        expires_in = d.pop("expires_in")

        refresh_token = d.pop("refresh_token")

        session = SessionView.from_dict(d.pop("session"))

        token_type = check_token_type(d.pop("token_type"))

        user = UserView.from_dict(d.pop("user"))

        def _parse_recovery_codes_left(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        recovery_codes_left = _parse_recovery_codes_left(
            d.pop("recovery_codes_left", UNSET)
        )

        login_response = cls(
            access_token=access_token,
            expires_at=expires_at,
            expires_in=expires_in,
            refresh_token=refresh_token,
            session=session,
            token_type=token_type,
            user=user,
            recovery_codes_left=recovery_codes_left,
        )

        login_response.additional_properties = d
        return login_response

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
