from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.mfa_method_name import MfaMethodName, check_mfa_method_name
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.reauthenticate_request_credential_type_0 import (
        ReauthenticateRequestCredentialType0,
    )


T = TypeVar("T", bound="ReauthenticateRequest")


@_attrs_define
class ReauthenticateRequest:
    """Proving who you are again, for the sensitive changes of the next
    `REAUTH_MAX_AGE_SECONDS`.

        Attributes:
            password (str):
            challenge_id (None | Unset | UUID):
            code (None | str | Unset):  Example: 123456.
            credential (None | ReauthenticateRequestCredentialType0 | Unset):
            method (MfaMethodName | None | Unset):
    """

    password: str
    challenge_id: None | Unset | UUID = UNSET
    code: None | str | Unset = UNSET
    credential: None | ReauthenticateRequestCredentialType0 | Unset = UNSET
    method: MfaMethodName | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.reauthenticate_request_credential_type_0 import (
            ReauthenticateRequestCredentialType0,
        )

        password = self.password

        challenge_id: None | str | Unset
        if isinstance(self.challenge_id, Unset):
            challenge_id = UNSET
        elif isinstance(self.challenge_id, UUID):
            challenge_id = str(self.challenge_id)
        else:
            challenge_id = self.challenge_id

        code: None | str | Unset
        if isinstance(self.code, Unset):
            code = UNSET
        else:
            code = self.code

        credential: dict[str, Any] | None | Unset
        if isinstance(self.credential, Unset):
            credential = UNSET
        elif isinstance(self.credential, ReauthenticateRequestCredentialType0):
            credential = self.credential.to_dict()
        else:
            credential = self.credential

        method: None | str | Unset
        if isinstance(self.method, Unset):
            method = UNSET
        elif isinstance(self.method, str):
            method = self.method
        else:
            method = self.method

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "password": password,
            }
        )
        if challenge_id is not UNSET:
            field_dict["challenge_id"] = challenge_id
        if code is not UNSET:
            field_dict["code"] = code
        if credential is not UNSET:
            field_dict["credential"] = credential
        if method is not UNSET:
            field_dict["method"] = method

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.reauthenticate_request_credential_type_0 import (
            ReauthenticateRequestCredentialType0,
        )

        d = dict(src_dict)
        password = d.pop("password")

        def _parse_challenge_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                challenge_id_type_0 = UUID(data)

                return challenge_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        challenge_id = _parse_challenge_id(d.pop("challenge_id", UNSET))

        def _parse_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        code = _parse_code(d.pop("code", UNSET))

        def _parse_credential(
            data: object,
        ) -> None | ReauthenticateRequestCredentialType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                credential_type_0 = ReauthenticateRequestCredentialType0.from_dict(data)

                return credential_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReauthenticateRequestCredentialType0 | Unset, data)

        credential = _parse_credential(d.pop("credential", UNSET))

        def _parse_method(data: object) -> MfaMethodName | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                method_type_0 = check_mfa_method_name(data)

                return method_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MfaMethodName | None | Unset, data)

        method = _parse_method(d.pop("method", UNSET))

        reauthenticate_request = cls(
            password=password,
            challenge_id=challenge_id,
            code=code,
            credential=credential,
            method=method,
        )

        return reauthenticate_request
