from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.setting_field_view import SettingFieldView


T = TypeVar("T", bound="NamespaceView")


@_attrs_define
class NamespaceView:
    """A settings namespace and its schema.

    Attributes:
        description (str):
        fields (list[SettingFieldView]):
        namespace (str):  Example: ai.
    """

    description: str
    fields: list[SettingFieldView]
    namespace: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        description = self.description

        fields = []
        for fields_item_data in self.fields:
            fields_item = fields_item_data.to_dict()
            fields.append(fields_item)

        namespace = self.namespace

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "description": description,
                "fields": fields,
                "namespace": namespace,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.setting_field_view import SettingFieldView

        d = dict(src_dict)
        description = d.pop("description")

        fields = []
        _fields = d.pop("fields")
        for fields_item_data in _fields:
            fields_item = SettingFieldView.from_dict(fields_item_data)

            fields.append(fields_item)

        namespace = d.pop("namespace")

        namespace_view = cls(
            description=description,
            fields=fields,
            namespace=namespace,
        )

        namespace_view.additional_properties = d
        return namespace_view

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
