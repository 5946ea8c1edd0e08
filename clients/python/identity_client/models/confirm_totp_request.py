from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ConfirmTotpRequest")


@_attrs_define
class ConfirmTotpRequest:
    """The first code of the app being enrolled.

    Attributes:
        code (str): The 6 digits the app shows now. Example: 123456.
    """

    code: str

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        confirm_totp_request = cls(
            code=code,
        )

        return confirm_totp_request
