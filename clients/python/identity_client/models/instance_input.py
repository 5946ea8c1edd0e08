from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.instance_input_config_type_0 import InstanceInputConfigType0


T = TypeVar("T", bound="InstanceInput")


@_attrs_define
class InstanceInput:
    """A new instance.

    Attributes:
        agent_id (UUID): An enabled agent of the catalog.
        name (str): 1–100 characters. Example: My writer.
        config (InstanceInputConfigType0 | None | Unset): A JSON object of at most 16 KiB (`{}` when absent). Example:
            {'tone': 'friendly'}.
    """

    agent_id: UUID
    name: str
    config: InstanceInputConfigType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.instance_input_config_type_0 import InstanceInputConfigType0

        agent_id = str(self.agent_id)

        name = self.name

        config: dict[str, Any] | None | Unset
        if isinstance(self.config, Unset):
            config = UNSET
        elif isinstance(self.config, InstanceInputConfigType0):
            config = self.config.to_dict()
        else:
            config = self.config

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "agent_id": agent_id,
                "name": name,
            }
        )
        if config is not UNSET:
            field_dict["config"] = config

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.instance_input_config_type_0 import InstanceInputConfigType0

        d = dict(src_dict)
        agent_id = UUID(d.pop("agent_id"))

        name = d.pop("name")

        def _parse_config(data: object) -> InstanceInputConfigType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                config_type_0 = InstanceInputConfigType0.from_dict(data)

                return config_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(InstanceInputConfigType0 | None | Unset, data)

        config = _parse_config(d.pop("config", UNSET))

        instance_input = cls(
            agent_id=agent_id,
            name=name,
            config=config,
        )

        return instance_input
