from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DevicePresenceView")


@_attrs_define
class DevicePresenceView:
    """A device of the caller's that was active lately.

    Attributes:
        device_id (UUID): The device (`GET /v1/devices`).
        last_active_at (datetime.datetime): Its latest `presence:active` heartbeat.
        device_name (None | str | Unset):  Example: Work laptop.
    """

    device_id: UUID
    last_active_at: datetime.datetime
    device_name: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        device_id = str(self.device_id)

        last_active_at = self.last_active_at.isoformat()

        device_name: None | str | Unset
        if isinstance(self.device_name, Unset):
            device_name = UNSET
        else:
            device_name = self.device_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "device_id": device_id,
                "last_active_at": last_active_at,
            }
        )
        if device_name is not UNSET:
            field_dict["device_name"] = device_name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        device_id = UUID(d.pop("device_id"))

        last_active_at = datetime.datetime.fromisoformat(d.pop("last_active_at"))

        def _parse_device_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        device_name = _parse_device_name(d.pop("device_name", UNSET))

        device_presence_view = cls(
            device_id=device_id,
            last_active_at=last_active_at,
            device_name=device_name,
        )

        device_presence_view.additional_properties = d
        return device_presence_view

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
