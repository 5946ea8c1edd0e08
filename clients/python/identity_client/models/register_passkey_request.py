from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.register_passkey_request_credential import (
        RegisterPasskeyRequestCredential,
    )


T = TypeVar("T", bound="RegisterPasskeyRequest")


@_attrs_define
class RegisterPasskeyRequest:
    """The browser's answer to a registration, and a name for the passkey.

    Attributes:
        challenge_id (UUID):
        credential (RegisterPasskeyRequestCredential): The `PublicKeyCredential` `navigator.credentials.create()`
            answered, as JSON.
        label (None | str | Unset): 1–64 characters, one line (default `Passkey`). Example: Laptop.
    """

    challenge_id: UUID
    credential: RegisterPasskeyRequestCredential
    label: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        challenge_id = str(self.challenge_id)

        credential = self.credential.to_dict()

        label: None | str | Unset
        if isinstance(self.label, Unset):
            label = UNSET
        else:
            label = self.label

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "challenge_id": challenge_id,
                "credential": credential,
            }
        )
        if label is not UNSET:
            field_dict["label"] = label

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.register_passkey_request_credential import (
            RegisterPasskeyRequestCredential,
        )

        d = dict(src_dict)
        challenge_id = UUID(d.pop("challenge_id"))

        credential = RegisterPasskeyRequestCredential.from_dict(d.pop("credential"))

        def _parse_label(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        label = _parse_label(d.pop("label", UNSET))

        register_passkey_request = cls(
            challenge_id=challenge_id,
            credential=credential,
            label=label,
        )

        return register_passkey_request
