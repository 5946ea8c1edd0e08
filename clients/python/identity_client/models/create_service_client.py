from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.create_service_client_scopes_item import (
    CreateServiceClientScopesItem,
    check_create_service_client_scopes_item,
)

T = TypeVar("T", bound="CreateServiceClient")


@_attrs_define
class CreateServiceClient:
    """A new service client.

    Attributes:
        name (str): 1–100 characters, one line. Example: billing.
        scopes (list[CreateServiceClientScopesItem]):
    """

    name: str
    scopes: list[CreateServiceClientScopesItem]

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        scopes = []
        for scopes_item_data in self.scopes:
            scopes_item: str = scopes_item_data
            scopes.append(scopes_item)

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

        scopes = []
        _scopes = d.pop("scopes")
        for scopes_item_data in _scopes:
            scopes_item = check_create_service_client_scopes_item(scopes_item_data)

            scopes.append(scopes_item)

        create_service_client = cls(
            name=name,
            scopes=scopes,
        )

        return create_service_client
