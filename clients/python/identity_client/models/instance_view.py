from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.instance_view_config import InstanceViewConfig


T = TypeVar("T", bound="InstanceView")


@_attrs_define
class InstanceView:
    """An agent instance.

    Attributes:
        agent_id (UUID):
        config (InstanceViewConfig): The instance's configuration (a JSON object). Example: {'tone': 'friendly'}.
        created_at (datetime.datetime):
        id (UUID):
        name (str):  Example: My writer.
        state (str):  Example: ready.
        updated_at (datetime.datetime):
        user_id (UUID):
        version (int): Grows by one with every change; the `ETag` is this number in quotes. Example: 1.
    """

    agent_id: UUID
    config: InstanceViewConfig
    created_at: datetime.datetime
    id: UUID
    name: str
    state: str
    updated_at: datetime.datetime
    user_id: UUID
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        agent_id = str(self.agent_id)

        config = self.config.to_dict()

        created_at = self.created_at.isoformat()

        id = str(self.id)

        name = self.name

        state = self.state

        updated_at = self.updated_at.isoformat()

        user_id = str(self.user_id)

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agent_id": agent_id,
                "config": config,
                "created_at": created_at,
                "id": id,
                "name": name,
                "state": state,
                "updated_at": updated_at,
                "user_id": user_id,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.instance_view_config import InstanceViewConfig

        d = dict(src_dict)
        agent_id = UUID(d.pop("agent_id"))

        config = InstanceViewConfig.from_dict(d.pop("config"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        name = d.pop("name")

        state = d.pop("state")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        user_id = UUID(d.pop("user_id"))

        version = d.pop("version")

        instance_view = cls(
            agent_id=agent_id,
            config=config,
            created_at=created_at,
            id=id,
            name=name,
            state=state,
            updated_at=updated_at,
            user_id=user_id,
            version=version,
        )

        instance_view.additional_properties = d
        return instance_view

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
