from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.dependency_status import DependencyStatus
    from ..models.outbox_status import OutboxStatus


T = TypeVar("T", bound="Readiness")


@_attrs_define
class Readiness:
    """
    Attributes:
        dependencies (list[DependencyStatus]):
        status (str): `ok`, `degraded` (200: only RabbitMQ is down), `unavailable` or `draining` (503). Example: ok.
        outbox (None | OutboxStatus | Unset):
    """

    dependencies: list[DependencyStatus]
    status: str
    outbox: None | OutboxStatus | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.outbox_status import OutboxStatus

        dependencies = []
        for dependencies_item_data in self.dependencies:
            dependencies_item = dependencies_item_data.to_dict()
            dependencies.append(dependencies_item)

        status = self.status

        outbox: dict[str, Any] | None | Unset
        if isinstance(self.outbox, Unset):
            outbox = UNSET
        elif isinstance(self.outbox, OutboxStatus):
            outbox = self.outbox.to_dict()
        else:
            outbox = self.outbox

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dependencies": dependencies,
                "status": status,
            }
        )
        if outbox is not UNSET:
            field_dict["outbox"] = outbox

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.dependency_status import DependencyStatus
        from ..models.outbox_status import OutboxStatus

        d = dict(src_dict)
        dependencies = []
        _dependencies = d.pop("dependencies")
        for dependencies_item_data in _dependencies:
            dependencies_item = DependencyStatus.from_dict(dependencies_item_data)

            dependencies.append(dependencies_item)

        status = d.pop("status")

        def _parse_outbox(data: object) -> None | OutboxStatus | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                outbox_type_0 = OutboxStatus.from_dict(data)

                return outbox_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OutboxStatus | Unset, data)

        outbox = _parse_outbox(d.pop("outbox", UNSET))

        readiness = cls(
            dependencies=dependencies,
            status=status,
            outbox=outbox,
        )

        readiness.additional_properties = d
        return readiness

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
