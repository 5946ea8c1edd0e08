from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.mfa_method_name import MfaMethodName, check_mfa_method_name
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.mfa_required_response_webauthn_type_0 import (
        MfaRequiredResponseWebauthnType0,
    )


T = TypeVar("T", bound="MfaRequiredResponse")


@_attrs_define
class MfaRequiredResponse:
    """The right password of an account with a second factor: nothing is issued yet. Send the
    `mfa_token` with a code to `POST /v1/auth/login/mfa`.

        Attributes:
            expires_in (int):  Example: 300.
            methods (list[MfaMethodName]): The methods the second step takes for this account.
            mfa_required (bool): Always `true`: what tells this answer from a signed-in one. Example: True.
            mfa_token (str): For `POST /v1/auth/login/mfa` only (never a bearer token); works for `expires_in`
                seconds and five wrong codes.
            webauthn (MfaRequiredResponseWebauthnType0 | None | Unset): With passkeys (`methods` lists `webauthn`): the
                `publicKey` options for
                `navigator.credentials.get()`; send its answer as `credential`.
    """

    expires_in: int
    methods: list[MfaMethodName]
    mfa_required: bool
    mfa_token: str
    webauthn: MfaRequiredResponseWebauthnType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.mfa_required_response_webauthn_type_0 import (
            MfaRequiredResponseWebauthnType0,
        )

        expires_in = self.expires_in

        methods = []
        for methods_item_data in self.methods:
            methods_item: str = methods_item_data
            methods.append(methods_item)

        mfa_required = self.mfa_required

        mfa_token = self.mfa_token

        webauthn: dict[str, Any] | None | Unset
        if isinstance(self.webauthn, Unset):
            webauthn = UNSET
        elif isinstance(self.webauthn, MfaRequiredResponseWebauthnType0):
            webauthn = self.webauthn.to_dict()
        else:
            webauthn = self.webauthn

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_in": expires_in,
                "methods": methods,
                "mfa_required": mfa_required,
                "mfa_token": mfa_token,
            }
        )
        if webauthn is not UNSET:
            field_dict["webauthn"] = webauthn

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mfa_required_response_webauthn_type_0 import (
            MfaRequiredResponseWebauthnType0,
        )

        d = dict(src_dict)
        expires_in = d.pop("expires_in")

        methods = []
        _methods = d.pop("methods")
        for methods_item_data in _methods:
            methods_item = check_mfa_method_name(methods_item_data)

            methods.append(methods_item)

        mfa_required = d.pop("mfa_required")

        mfa_token = d.pop("mfa_token")

        def _parse_webauthn(
            data: object,
        ) -> MfaRequiredResponseWebauthnType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                webauthn_type_0 = MfaRequiredResponseWebauthnType0.from_dict(data)

                return webauthn_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MfaRequiredResponseWebauthnType0 | None | Unset, data)

        webauthn = _parse_webauthn(d.pop("webauthn", UNSET))

        mfa_required_response = cls(
            expires_in=expires_in,
            methods=methods,
            mfa_required=mfa_required,
            mfa_token=mfa_token,
            webauthn=webauthn,
        )

        mfa_required_response.additional_properties = d
        return mfa_required_response

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
