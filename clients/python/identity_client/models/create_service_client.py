from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CreateServiceClient")


@_attrs_define
class CreateServiceClient:
    """A new service client.

    Attributes:
        name (str): 1–100 characters, one line. Example: billing.
        scopes (list[str]): At least one of `tokens:introspect`, `users:read`, `settings:read:<namespace>`. Example:
            ['tokens:introspect', 'users:read'].
    """

    name: str
    scopes: list[str]

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        scopes = self.scopes

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "scopes": scopes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        scopes = cast(list[str], d.pop("scopes"))

        create_service_client = cls(
            name=name,
            scopes=scopes,
        )

        return create_service_client
