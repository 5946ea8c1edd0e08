from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="DocumentsSettingsPatch")


@_attrs_define
class DocumentsSettingsPatch:
    """A merge patch of the `documents` namespace: listed fields change, `null` resets one to its default (or removes a
    secret), a left-out secret is kept, and so is a secret sent back as its own hint.

        Attributes:
            max_upload_size_mb (int | None | Unset): Largest upload accepted, in MiB
    """

    max_upload_size_mb: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        max_upload_size_mb: int | None | Unset
        if isinstance(self.max_upload_size_mb, Unset):
            max_upload_size_mb = UNSET
        else:
            max_upload_size_mb = self.max_upload_size_mb

        field_dict: dict[str, Any] = {}

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

        documents_settings_patch = cls(
            max_upload_size_mb=max_upload_size_mb,
        )

        return documents_settings_patch
