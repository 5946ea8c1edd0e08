from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.device_presence_view import DevicePresenceView


T = TypeVar("T", bound="PresenceView")


@_attrs_define
class PresenceView:
    """Which of the caller's devices were active within `WS_PRESENCE_TTL_SECONDS`.

    Attributes:
        devices (list[DevicePresenceView]): The most recently active first.
        online (bool): Whether any device was active within the TTL.
    """

    devices: list[DevicePresenceView]
    online: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        devices = []
        for devices_item_data in self.devices:
            devices_item = devices_item_data.to_dict()
            devices.append(devices_item)

        online = self.online

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "devices": devices,
                "online": online,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.device_presence_view import DevicePresenceView

        d = dict(src_dict)
        devices = []
        _devices = d.pop("devices")
        for devices_item_data in _devices:
            devices_item = DevicePresenceView.from_dict(devices_item_data)

            devices.append(devices_item)

        online = d.pop("online")

        presence_view = cls(
            devices=devices,
            online=online,
        )

        presence_view.additional_properties = d
        return presence_view

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
