from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SettingFieldView")


@_attrs_define
class SettingFieldView:
    """One setting of a namespace's schema.

    Attributes:
        default (int | None | str):
        description (str):
        name (str):  Example: api_key.
        secret (bool): Stored encrypted; reads show only a hint such as `sk-…abcd`.
        type_ (str): `text`, `url`, `choice`, `integer` or `secret`. Example: secret.
        choices (list[str] | None | Unset): The allowed values of a `choice`.
        max_ (int | None | Unset):
        max_length (int | None | Unset): Longest `text`.
        min_ (int | None | Unset): Bounds of an `integer`.
    """

    default: int | None | str
    description: str
    name: str
    secret: bool
    type_: str
    choices: list[str] | None | Unset = UNSET
    max_: int | None | Unset = UNSET
    max_length: int | None | Unset = UNSET
    min_: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        default: int | None | str
        default = self.default

        description = self.description

        name = self.name

        secret = self.secret

        type_ = self.type_

        choices: list[str] | None | Unset
        if isinstance(self.choices, Unset):
            choices = UNSET
        elif isinstance(self.choices, list):
            choices = self.choices

        else:
            choices = self.choices

        max_: int | None | Unset
        if isinstance(self.max_, Unset):
            max_ = UNSET
        else:
            max_ = self.max_

        max_length: int | None | Unset
        if isinstance(self.max_length, Unset):
            max_length = UNSET
        else:
            max_length = self.max_length

        min_: int | None | Unset
        if isinstance(self.min_, Unset):
            min_ = UNSET
        else:
            min_ = self.min_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "default": default,
                "description": description,
                "name": name,
                "secret": secret,
                "type": type_,
            }
        )
        if choices is not UNSET:
            field_dict["choices"] = choices
        if max_ is not UNSET:
            field_dict["max"] = max_
        if max_length is not UNSET:
            field_dict["max_length"] = max_length
        if min_ is not UNSET:
            field_dict["min"] = min_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_default(data: object) -> int | None | str:
            if data is None:
                return data
            return cast(int | None | str, data)

        default = _parse_default(d.pop("default"))

        description = d.pop("description")

        name = d.pop("name")

        secret = d.pop("secret")

        type_ = d.pop("type")

        def _parse_choices(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                choices_type_0 = cast(list[str], data)

                return choices_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        choices = _parse_choices(d.pop("choices", UNSET))

        def _parse_max_(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_ = _parse_max_(d.pop("max", UNSET))

        def _parse_max_length(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_length = _parse_max_length(d.pop("max_length", UNSET))

        def _parse_min_(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        min_ = _parse_min_(d.pop("min", UNSET))

        setting_field_view = cls(
            default=default,
            description=description,
            name=name,
            secret=secret,
            type_=type_,
            choices=choices,
            max_=max_,
            max_length=max_length,
            min_=min_,
        )

        setting_field_view.additional_properties = d
        return setting_field_view

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
