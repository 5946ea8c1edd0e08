from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.instance_patch_config_type_0 import InstancePatchConfigType0


T = TypeVar("T", bound="InstancePatch")


@_attrs_define
class InstancePatch:
    """A change of an instance (JSON merge patch): absent fields stay; `config` merges into the
    stored configuration (a `null` member removes that key).

        Attributes:
            config (InstancePatchConfigType0 | None | Unset):  Example: {'length': 'short', 'tone': None}.
            name (None | str | Unset):  Example: Renamed writer.
    """

    config: InstancePatchConfigType0 | None | Unset = UNSET
    name: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.instance_patch_config_type_0 import InstancePatchConfigType0

        config: dict[str, Any] | None | Unset
        if isinstance(self.config, Unset):
            config = UNSET
        elif isinstance(self.config, InstancePatchConfigType0):
            config = self.config.to_dict()
        else:
            config = self.config

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if config is not UNSET:
            field_dict["config"] = config
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.instance_patch_config_type_0 import InstancePatchConfigType0

        d = dict(src_dict)

        def _parse_config(data: object) -> InstancePatchConfigType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                config_type_0 = InstancePatchConfigType0.from_dict(data)

                return config_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(InstancePatchConfigType0 | None | Unset, data)

        config = _parse_config(d.pop("config", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        instance_patch = cls(
            config=config,
            name=name,
        )

        return instance_patch
