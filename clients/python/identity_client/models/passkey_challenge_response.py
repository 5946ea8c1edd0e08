from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.passkey_challenge_response_public_key import (
        PasskeyChallengeResponsePublicKey,
    )


T = TypeVar("T", bound="PasskeyChallengeResponse")


@_attrs_define
class PasskeyChallengeResponse:
    """A passkey ceremony begun.

    Attributes:
        challenge_id (UUID): Send it back with the browser's answer (within 5 minutes, once).
        public_key (PasskeyChallengeResponsePublicKey): The `publicKey` options for `navigator.credentials.create()`
            (registration) or `.get()`
            (sign-in), with binary fields as base64url strings.
    """

    challenge_id: UUID
    public_key: PasskeyChallengeResponsePublicKey
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        challenge_id = str(self.challenge_id)

        public_key = self.public_key.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "challenge_id": challenge_id,
                "public_key": public_key,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.passkey_challenge_response_public_key import (
            PasskeyChallengeResponsePublicKey,
        )

        d = dict(src_dict)
        challenge_id = UUID(d.pop("challenge_id"))

        public_key = PasskeyChallengeResponsePublicKey.from_dict(d.pop("public_key"))

        passkey_challenge_response = cls(
            challenge_id=challenge_id,
            public_key=public_key,
        )

        passkey_challenge_response.additional_properties = d
        return passkey_challenge_response

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
