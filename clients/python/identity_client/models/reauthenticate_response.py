from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.token_type import TokenType, check_token_type

if TYPE_CHECKING:
    from ..models.session_view import SessionView


T = TypeVar("T", bound="ReauthenticateResponse")


@_attrs_define
class ReauthenticateResponse:
    """A session whose user just proved who they are again.

    Attributes:
        access_token (str): A new access token carrying the new `auth_time` (and `amr`); also `X-Auth-Token` and
            the access cookie. The refresh token does not change.
        expires_at (datetime.datetime):
        expires_in (int):  Example: 900.
        session (SessionView): A signed-in session.
        token_type (TokenType): How to present the access token: `Authorization: Bearer <token>` (RFC 6750), the same
            from every endpoint that issues one.
    """

    access_token: str
    expires_at: datetime.datetime
    expires_in: int
    session: SessionView
    token_type: TokenType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        expires_at = self.expires_at.isoformat()

        expires_in = self.expires_in

        session = self.session.to_dict()

        token_type: str = self.token_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access_token": access_token,
                "expires_at": expires_at,
                "expires_in": expires_in,
                "session": session,
                "token_type": token_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.session_view import SessionView

        d = dict(src_dict)
        access_token = d.pop("access_token")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        expires_in = d.pop("expires_in")

        session = SessionView.from_dict(d.pop("session"))

        token_type = check_token_type(d.pop("token_type"))

        reauthenticate_response = cls(
            access_token=access_token,
            expires_at=expires_at,
            expires_in=expires_in,
            session=session,
            token_type=token_type,
        )

        reauthenticate_response.additional_properties = d
        return reauthenticate_response

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
