from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AppGrantView")


@_attrs_define
class AppGrantView:
    """An app granted to a user or a group.

    Attributes:
        app_key (str):  Example: docs.
        granted_at (datetime.datetime):
        granted_by (None | Unset | UUID): The admin who granted it (`null` once that account is gone).
    """

    app_key: str
    granted_at: datetime.datetime
    granted_by: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        app_key = self.app_key

        granted_at = self.granted_at.isoformat()

        granted_by: None | str | Unset
        if isinstance(self.granted_by, Unset):
            granted_by = UNSET
        elif isinstance(self.granted_by, UUID):
            granted_by = str(self.granted_by)
        else:
            granted_by = self.granted_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "app_key": app_key,
                "granted_at": granted_at,
            }
        )
        if granted_by is not UNSET:
            field_dict["granted_by"] = granted_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        app_key = d.pop("app_key")

        granted_at = datetime.datetime.fromisoformat(d.pop("granted_at"))

        def _parse_granted_by(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                granted_by_type_0 = UUID(data)

                return granted_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        granted_by = _parse_granted_by(d.pop("granted_by", UNSET))

        app_grant_view = cls(
            app_key=app_key,
            granted_at=granted_at,
            granted_by=granted_by,
        )

        app_grant_view.additional_properties = d
        return app_grant_view

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
