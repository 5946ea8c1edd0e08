from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.service_settings_values import ServiceSettingsValues


T = TypeVar("T", bound="ServiceSettings")


@_attrs_define
class ServiceSettings:
    """A settings namespace for another service.

    Attributes:
        namespace (str):  Example: ai.
        values (ServiceSettingsValues): Every field with its value or default; **secrets in clear** (`null` when not
            set). Example: {'api_key': 'sk-…', 'model': 'gpt-4.1', 'provider': 'openai'}.
    """

    namespace: str
    values: ServiceSettingsValues
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        namespace = self.namespace

        values = self.values.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "namespace": namespace,
                "values": values,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.service_settings_values import ServiceSettingsValues

        d = dict(src_dict)
        namespace = d.pop("namespace")

        values = ServiceSettingsValues.from_dict(d.pop("values"))

        service_settings = cls(
            namespace=namespace,
            values=values,
        )

        service_settings.additional_properties = d
        return service_settings

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
