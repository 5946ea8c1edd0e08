from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.mfa_method_view import MfaMethodView


T = TypeVar("T", bound="TotpEnrollment")


@_attrs_define
class TotpEnrollment:
    """A TOTP enrolment just begun. The secret is shown this once: the app takes it from the QR
    code, the URI or typed in; then `POST /v1/mfa/totp/confirm` with the first code (within
    10 minutes).

        Attributes:
            method (MfaMethodView): One of the caller's second factors (never its secret).
            otpauth_uri (str): The `otpauth://totp/…` URI apps read (the QR code holds it). Example:
                otpauth://totp/identity:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=identity.
            qr_svg (str): The QR code of `otpauth_uri`, as an SVG document.
            secret (str): The shared secret, base32 (RFC 4648, no padding), to type in. Example:
                JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP.
    """

    method: MfaMethodView
    otpauth_uri: str
    qr_svg: str
    secret: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        method = self.method.to_dict()

        otpauth_uri = self.otpauth_uri

        qr_svg = self.qr_svg

        secret = self.secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "method": method,
                "otpauth_uri": otpauth_uri,
                "qr_svg": qr_svg,
                "secret": secret,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mfa_method_view import MfaMethodView

        d = dict(src_dict)
        method = MfaMethodView.from_dict(d.pop("method"))

        otpauth_uri = d.pop("otpauth_uri")

        qr_svg = d.pop("qr_svg")

        secret = d.pop("secret")

        totp_enrollment = cls(
            method=method,
            otpauth_uri=otpauth_uri,
            qr_svg=qr_svg,
            secret=secret,
        )

        totp_enrollment.additional_properties = d
        return totp_enrollment

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
