from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.mfa_method_name import MfaMethodName, check_mfa_method_name
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.mfa_login_request_credential_type_0 import (
        MfaLoginRequestCredentialType0,
    )


T = TypeVar("T", bound="MfaLoginRequest")


@_attrs_define
class MfaLoginRequest:
    """The second step of a sign-in.

    Attributes:
        method (MfaMethodName): A second factor the second step of a sign-in takes.
        mfa_token (str): From the login's `mfa_required` answer.
        code (None | str | Unset): `totp`: the 6 digits of the authenticator app; `recovery_code`: a recovery code
            (`XXXX-XXXX-XXXX`; case, dashes and spaces do not matter). Example: 123456.
        credential (MfaLoginRequestCredentialType0 | None | Unset): `webauthn`: the `PublicKeyCredential`
            `navigator.credentials.get()` answered to the
            login's `webauthn` options, as JSON.
    """

    method: MfaMethodName
    mfa_token: str
    code: None | str | Unset = UNSET
    credential: MfaLoginRequestCredentialType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.mfa_login_request_credential_type_0 import (
            MfaLoginRequestCredentialType0,
        )

        method: str = self.method

        mfa_token = self.mfa_token

        code: None | str | Unset
        if isinstance(self.code, Unset):
            code = UNSET
        else:
            code = self.code

        credential: dict[str, Any] | None | Unset
        if isinstance(self.credential, Unset):
            credential = UNSET
        elif isinstance(self.credential, MfaLoginRequestCredentialType0):
            credential = self.credential.to_dict()
        else:
            credential = self.credential

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "method": method,
                "mfa_token": mfa_token,
            }
        )
        if code is not UNSET:
            field_dict["code"] = code
        if credential is not UNSET:
            field_dict["credential"] = credential

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mfa_login_request_credential_type_0 import (
            MfaLoginRequestCredentialType0,
        )

        d = dict(src_dict)
        method = check_mfa_method_name(d.pop("method"))

        mfa_token = d.pop("mfa_token")

        def _parse_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        code = _parse_code(d.pop("code", UNSET))

        def _parse_credential(
            data: object,
        ) -> MfaLoginRequestCredentialType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                credential_type_0 = MfaLoginRequestCredentialType0.from_dict(data)

                return credential_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MfaLoginRequestCredentialType0 | None | Unset, data)

        credential = _parse_credential(d.pop("credential", UNSET))

        mfa_login_request = cls(
            method=method,
            mfa_token=mfa_token,
            code=code,
            credential=credential,
        )

        return mfa_login_request
