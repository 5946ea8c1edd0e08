from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="DocumentsSettings")


@_attrs_define
class DocumentsSettings:
    """The `documents` namespace's values as read: every field, defaults filled in (`null`: unset); secrets only as hints.

    Attributes:
        max_upload_size_mb (int): Largest upload accepted, in MiB Default: 25.
    """

    max_upload_size_mb: int = 25

    def to_dict(self) -> dict[str, Any]:
        max_upload_size_mb = self.max_upload_size_mb

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "max_upload_size_mb": max_upload_size_mb,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        max_upload_size_mb = d.pop("max_upload_size_mb")

        documents_settings = cls(
            max_upload_size_mb=max_upload_size_mb,
        )

        return documents_settings
