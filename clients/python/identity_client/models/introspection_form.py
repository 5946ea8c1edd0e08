from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="IntrospectionForm")


@_attrs_define
class IntrospectionForm:
    """The form of RFC 7662 §2.1.

    Attributes:
        token (str): The token to look at: an access token (a user's, or a service client's). Example: v4.public.eyJ….
        token_type_hint (None | str | Unset): `access_token` or `refresh_token`: a hint only (every token is looked at
            the same way;
            a refresh token is never active here). Example: access_token.
    """

    token: str
    token_type_hint: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        token_type_hint: None | str | Unset
        if isinstance(self.token_type_hint, Unset):
            token_type_hint = UNSET
        else:
            token_type_hint = self.token_type_hint

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "token": token,
            }
        )
        if token_type_hint is not UNSET:
            field_dict["token_type_hint"] = token_type_hint

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        token = d.pop("token")

        def _parse_token_type_hint(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        token_type_hint = _parse_token_type_hint(d.pop("token_type_hint", UNSET))

        introspection_form = cls(
            token=token,
            token_type_hint=token_type_hint,
        )

        return introspection_form
