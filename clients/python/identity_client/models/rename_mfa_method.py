from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="RenameMfaMethod")


@_attrs_define
class RenameMfaMethod:
    """A new name for a factor.

    Attributes:
        label (str): 1–64 characters, one line. Example: Work phone.
    """

    label: str

    def to_dict(self) -> dict[str, Any]:
        label = self.label

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "label": label,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        label = d.pop("label")

        rename_mfa_method = cls(
            label=label,
        )

        return rename_mfa_method
