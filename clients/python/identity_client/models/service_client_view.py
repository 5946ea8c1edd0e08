from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.client_secret_view import ClientSecretView


T = TypeVar("T", bound="ServiceClientView")


@_attrs_define
class ServiceClientView:
    """A service client.

    Attributes:
        created_at (datetime.datetime):
        id (UUID): Its `client_id`: the user name of HTTP Basic and of the token endpoint.
        name (str):  Example: billing.
        scopes (list[str]): What it may do, sorted. Example: ['tokens:introspect', 'users:read'].
        secrets (list[ClientSecretView]): The secrets that work now, newest first.
        updated_at (datetime.datetime):
        revoked_at (datetime.datetime | None | Unset): Set once revoked: nothing of it authenticates any more.
    """

    created_at: datetime.datetime
    id: UUID
    name: str
    scopes: list[str]
    secrets: list[ClientSecretView]
    updated_at: datetime.datetime
    revoked_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = str(self.id)

        name = self.name

        scopes = self.scopes

        secrets = []
        for secrets_item_data in self.secrets:
            secrets_item = secrets_item_data.to_dict()
            secrets.append(secrets_item)

        updated_at = self.updated_at.isoformat()

        revoked_at: None | str | Unset
        if isinstance(self.revoked_at, Unset):
            revoked_at = UNSET
        elif isinstance(self.revoked_at, datetime.datetime):
            revoked_at = self.revoked_at.isoformat()
        else:
            revoked_at = self.revoked_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "name": name,
                "scopes": scopes,
                "secrets": secrets,
                "updated_at": updated_at,
            }
        )
        if revoked_at is not UNSET:
            field_dict["revoked_at"] = revoked_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.client_secret_view import ClientSecretView

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        name = d.pop("name")

        scopes = cast(list[str], d.pop("scopes"))

        secrets = []
        _secrets = d.pop("secrets")
        for secrets_item_data in _secrets:
            secrets_item = ClientSecretView.from_dict(secrets_item_data)

            secrets.append(secrets_item)

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_revoked_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                revoked_at_type_0 = datetime.datetime.fromisoformat(data)

                return revoked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at", UNSET))

        service_client_view = cls(
            created_at=created_at,
            id=id,
            name=name,
            scopes=scopes,
            secrets=secrets,
            updated_at=updated_at,
            revoked_at=revoked_at,
        )

        service_client_view.additional_properties = d
        return service_client_view

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
