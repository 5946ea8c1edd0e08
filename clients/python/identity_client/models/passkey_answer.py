from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.passkey_answer_credential import PasskeyAnswerCredential


T = TypeVar("T", bound="PasskeyAnswer")


@_attrs_define
class PasskeyAnswer:
    """The browser's answer to a passkey ceremony.

    Attributes:
        challenge_id (UUID): From the ceremony's `start`.
        credential (PasskeyAnswerCredential): The `PublicKeyCredential` the browser answered, as JSON (binary fields
            base64url).
    """

    challenge_id: UUID
    credential: PasskeyAnswerCredential

    def to_dict(self) -> dict[str, Any]:
        challenge_id = str(self.challenge_id)

        credential = self.credential.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "challenge_id": challenge_id,
                "credential": credential,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.passkey_answer_credential import PasskeyAnswerCredential

        d = dict(src_dict)
        challenge_id = UUID(d.pop("challenge_id"))

        credential = PasskeyAnswerCredential.from_dict(d.pop("credential"))

        passkey_answer = cls(
            challenge_id=challenge_id,
            credential=credential,
        )

        return passkey_answer
