from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.mfa_method_view import MfaMethodView


T = TypeVar("T", bound="ConfirmedTotp")


@_attrs_define
class ConfirmedTotp:
    """A confirmed factor, and the recovery codes when it is the account's first.

    Attributes:
        method (MfaMethodView): One of the caller's second factors (never its secret).
        recovery_codes (list[str] | None | Unset): Ten single-use codes that sign in when the app is lost, shown this
            once (store them
            safely): only when this is the account's first factor, `null` otherwise. Example: ['7KQ2-M4ZD-1X9P',
            '0C5T-WB8E-NH3R'].
    """

    method: MfaMethodView
    recovery_codes: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        method = self.method.to_dict()

        recovery_codes: list[str] | None | Unset
        if isinstance(self.recovery_codes, Unset):
            recovery_codes = UNSET
        elif isinstance(self.recovery_codes, list):
            recovery_codes = self.recovery_codes

        else:
            recovery_codes = self.recovery_codes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "method": method,
            }
        )
        if recovery_codes is not UNSET:
            field_dict["recovery_codes"] = recovery_codes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mfa_method_view import MfaMethodView

        d = dict(src_dict)
        method = MfaMethodView.from_dict(d.pop("method"))

        def _parse_recovery_codes(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                recovery_codes_type_0 = cast(list[str], data)

                return recovery_codes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        recovery_codes = _parse_recovery_codes(d.pop("recovery_codes", UNSET))

        confirmed_totp = cls(
            method=method,
            recovery_codes=recovery_codes,
        )

        confirmed_totp.additional_properties = d
        return confirmed_totp

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
