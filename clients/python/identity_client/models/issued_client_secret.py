from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.service_client_view import ServiceClientView


T = TypeVar("T", bound="IssuedClientSecret")


@_attrs_define
class IssuedClientSecret:
    """A client with a secret just issued. The secret is shown this once: store it now.

    Attributes:
        client (ServiceClientView): A service client.
        client_id (UUID): The client's id, again, as OAuth2 names it.
        client_secret (str): The secret (256 random bits, URL-safe base64): HTTP Basic's password, or `client_secret`
            at the token endpoint. Example: q5uC0m1Lr4JjQ9n3U2xR8wVt6YbZa7Hk1sDfGhJkLmN.
    """

    client: ServiceClientView
    client_id: UUID
    client_secret: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        client = self.client.to_dict()

        client_id = str(self.client_id)

        client_secret = self.client_secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "client": client,
                "client_id": client_id,
                "client_secret": client_secret,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.service_client_view import ServiceClientView

        d = dict(src_dict)
        client = ServiceClientView.from_dict(d.pop("client"))

        client_id = UUID(d.pop("client_id"))

        client_secret = d.pop("client_secret")

        issued_client_secret = cls(
            client=client,
            client_id=client_id,
            client_secret=client_secret,
        )

        issued_client_secret.additional_properties = d
        return issued_client_secret

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
