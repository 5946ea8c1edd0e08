from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="RegisterRequest")


@_attrs_define
class RegisterRequest:
    """Registration (one-step, and step one of two-step).

    Attributes:
        email (str): Case-insensitively unique; stored lower-cased. Example: ada@example.com.
        password (str): 8–128 characters (by default; the policy is configurable), not a common password, not
            built on the address, the username or the service's name, not mostly repeated or
            sequential characters. Example: correct horse battery staple.
        name (None | str | Unset): Optional display name, up to 100 characters. Example: Ada Lovelace.
        username (None | str | Unset): Optional unique login name: 3–32 of `a-z 0-9 . _ -` (upper case is lowered),
            starting
            with a letter or digit. Example: ada.
    """

    email: str
    password: str
    name: None | str | Unset = UNSET
    username: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        password = self.password

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        username: None | str | Unset
        if isinstance(self.username, Unset):
            username = UNSET
        else:
            username = self.username

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "email": email,
                "password": password,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if username is not UNSET:
            field_dict["username"] = username

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        email = d.pop("email")

        password = d.pop("password")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_username(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        username = _parse_username(d.pop("username", UNSET))

        register_request = cls(
            email=email,
            password=password,
            name=name,
            username=username,
        )

        return register_request
