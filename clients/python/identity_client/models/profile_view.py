from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.profile_view_currency import (
    ProfileViewCurrency,
    check_profile_view_currency,
)
from ..models.profile_view_region import ProfileViewRegion, check_profile_view_region
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.preferences import Preferences


T = TypeVar("T", bound="ProfileView")


@_attrs_define
class ProfileView:
    """Personal data; every field but the ids is changeable with `PATCH /v1/users/me`.

    Attributes:
        currency (ProfileViewCurrency):
        locale (str): BCP 47. Example: en.
        preferences (Preferences): The user's preferences: sections of known keys; keys never set are absent.
        region (ProfileViewRegion):
        time_zone (str): IANA time zone. Example: UTC.
        avatar_url (None | str | Unset):
        company (None | str | Unset):
        display_name (None | str | Unset):
        name (None | str | Unset):  Example: Ada Lovelace.
        phone (None | str | Unset): E.164. Example: +4915112345678.
        telegram (None | str | Unset): Telegram username, without `@`.
    """

    currency: ProfileViewCurrency
    locale: str
    preferences: Preferences
    region: ProfileViewRegion
    time_zone: str
    avatar_url: None | str | Unset = UNSET
    company: None | str | Unset = UNSET
    display_name: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    telegram: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        currency: str = self.currency

        locale = self.locale

        preferences = self.preferences.to_dict()

        region: str = self.region

        time_zone = self.time_zone

        avatar_url: None | str | Unset
        if isinstance(self.avatar_url, Unset):
            avatar_url = UNSET
        else:
            avatar_url = self.avatar_url

        company: None | str | Unset
        if isinstance(self.company, Unset):
            company = UNSET
        else:
            company = self.company

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        phone: None | str | Unset
        if isinstance(self.phone, Unset):
            phone = UNSET
        else:
            phone = self.phone

        telegram: None | str | Unset
        if isinstance(self.telegram, Unset):
            telegram = UNSET
        else:
            telegram = self.telegram

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "currency": currency,
                "locale": locale,
                "preferences": preferences,
                "region": region,
                "time_zone": time_zone,
            }
        )
        if avatar_url is not UNSET:
            field_dict["avatar_url"] = avatar_url
        if company is not UNSET:
            field_dict["company"] = company
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if name is not UNSET:
            field_dict["name"] = name
        if phone is not UNSET:
            field_dict["phone"] = phone
        if telegram is not UNSET:
            field_dict["telegram"] = telegram

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.preferences import Preferences

        d = dict(src_dict)
        currency = check_profile_view_currency(d.pop("currency"))

        locale = d.pop("locale")

        preferences = Preferences.from_dict(d.pop("preferences"))

        region = check_profile_view_region(d.pop("region"))

        time_zone = d.pop("time_zone")

        def _parse_avatar_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        avatar_url = _parse_avatar_url(d.pop("avatar_url", UNSET))

        def _parse_company(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        company = _parse_company(d.pop("company", UNSET))

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone = _parse_phone(d.pop("phone", UNSET))

        def _parse_telegram(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        telegram = _parse_telegram(d.pop("telegram", UNSET))

        profile_view = cls(
            currency=currency,
            locale=locale,
            preferences=preferences,
            region=region,
            time_zone=time_zone,
            avatar_url=avatar_url,
            company=company,
            display_name=display_name,
            name=name,
            phone=phone,
            telegram=telegram,
        )

        profile_view.additional_properties = d
        return profile_view

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
