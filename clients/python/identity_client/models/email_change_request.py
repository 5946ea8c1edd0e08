from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="EmailChangeRequest")


@_attrs_define
class EmailChangeRequest:
    """The address the account should have.

    Attributes:
        new_email (str):  Example: ada@new.example.
    """

    new_email: str

    def to_dict(self) -> dict[str, Any]:
        new_email = self.new_email

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "new_email": new_email,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        new_email = d.pop("new_email")

        email_change_request = cls(
            new_email=new_email,
        )

        return email_change_request
