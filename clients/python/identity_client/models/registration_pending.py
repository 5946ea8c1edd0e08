from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RegistrationPending")


@_attrs_define
class RegistrationPending:
    """The answer of step one: the same for free and taken addresses.

    Attributes:
        code_ttl_seconds (int): How long the mailed code stays valid. Example: 600.
        status (str):  Example: pending.
    """

    code_ttl_seconds: int
    status: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code_ttl_seconds = self.code_ttl_seconds

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code_ttl_seconds": code_ttl_seconds,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code_ttl_seconds = d.pop("code_ttl_seconds")

        status = d.pop("status")

        registration_pending = cls(
            code_ttl_seconds=code_ttl_seconds,
            status=status,
        )

        registration_pending.additional_properties = d
        return registration_pending

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
