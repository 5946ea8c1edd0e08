from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.mfa_method_view import MfaMethodView


T = TypeVar("T", bound="MfaMethods")


@_attrs_define
class MfaMethods:
    """The caller's second factors and how many recovery codes are left.

    Attributes:
        methods (list[MfaMethodView]): Confirmed factors, oldest first; empty: sign-ins need the password only.
        recovery_codes_left (int): Unused recovery codes (0 without a factor). Example: 10.
    """

    methods: list[MfaMethodView]
    recovery_codes_left: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        methods = []
        for methods_item_data in self.methods:
            methods_item = methods_item_data.to_dict()
            methods.append(methods_item)

        recovery_codes_left = self.recovery_codes_left

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "methods": methods,
                "recovery_codes_left": recovery_codes_left,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mfa_method_view import MfaMethodView

        d = dict(src_dict)
        methods = []
        _methods = d.pop("methods")
        for methods_item_data in _methods:
            methods_item = MfaMethodView.from_dict(methods_item_data)

            methods.append(methods_item)

        recovery_codes_left = d.pop("recovery_codes_left")

        mfa_methods = cls(
            methods=methods,
            recovery_codes_left=recovery_codes_left,
        )

        mfa_methods.additional_properties = d
        return mfa_methods

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
