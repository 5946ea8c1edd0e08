from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.group_ref import GroupRef


T = TypeVar("T", bound="UserAppView")


@_attrs_define
class UserAppView:
    """An app the user may open, and why.

    Attributes:
        app_key (str):  Example: docs.
        direct (bool): Granted to the user directly.
        groups (list[GroupRef]): The user's groups that were granted the app, by name.
    """

    app_key: str
    direct: bool
    groups: list[GroupRef]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        app_key = self.app_key

        direct = self.direct

        groups = []
        for groups_item_data in self.groups:
            groups_item = groups_item_data.to_dict()
            groups.append(groups_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "app_key": app_key,
                "direct": direct,
                "groups": groups,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.group_ref import GroupRef

        d = dict(src_dict)
        app_key = d.pop("app_key")

        direct = d.pop("direct")

        groups = []
        _groups = d.pop("groups")
        for groups_item_data in _groups:
            groups_item = GroupRef.from_dict(groups_item_data)

            groups.append(groups_item)

        user_app_view = cls(
            app_key=app_key,
            direct=direct,
            groups=groups,
        )

        user_app_view.additional_properties = d
        return user_app_view

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
