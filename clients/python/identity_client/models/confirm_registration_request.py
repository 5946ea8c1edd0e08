from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ConfirmRegistrationRequest")


@_attrs_define
class ConfirmRegistrationRequest:
    """Step two of two-step registration.

    Attributes:
        code (str): The 6-digit code from the mail. Example: 042517.
        email (str):  Example: ada@example.com.
    """

    code: str
    email: str

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        email = self.email

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "email": email,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        email = d.pop("email")

        confirm_registration_request = cls(
            code=code,
            email=email,
        )

        return confirm_registration_request
