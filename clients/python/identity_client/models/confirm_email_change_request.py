from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ConfirmEmailChangeRequest")


@_attrs_define
class ConfirmEmailChangeRequest:
    """The token from the email-change link.

    Attributes:
        token (str): The token from the mail (URL-safe base64).
    """

    token: str

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "token": token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        token = d.pop("token")

        confirm_email_change_request = cls(
            token=token,
        )

        return confirm_email_change_request
