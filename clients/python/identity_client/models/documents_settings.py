from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DocumentsSettings")


@_attrs_define
class DocumentsSettings:
    """The `documents` namespace's values.

    Attributes:
        max_upload_size_mb (int | None | Unset): 1–1024 MiB (default 25). Example: 25.
    """

    max_upload_size_mb: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        max_upload_size_mb: int | None | Unset
        if isinstance(self.max_upload_size_mb, Unset):
            max_upload_size_mb = UNSET
        else:
            max_upload_size_mb = self.max_upload_size_mb

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if max_upload_size_mb is not UNSET:
            field_dict["max_upload_size_mb"] = max_upload_size_mb

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_max_upload_size_mb(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_upload_size_mb = _parse_max_upload_size_mb(
            d.pop("max_upload_size_mb", UNSET)
        )

        documents_settings = cls(
            max_upload_size_mb=max_upload_size_mb,
        )

        documents_settings.additional_properties = d
        return documents_settings

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
