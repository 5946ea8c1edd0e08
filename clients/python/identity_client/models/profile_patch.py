from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.currency import Currency, check_currency
from ..models.region import Region, check_region
from ..models.time_zone import TimeZone, check_time_zone
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.preferences_patch import PreferencesPatch


T = TypeVar("T", bound="ProfilePatch")


@_attrs_define
class ProfilePatch:
    """A JSON merge patch (RFC 7386) of the profile: absent fields stay, `null` clears (or
    restores the default of `locale`, `time_zone`, `region`, `currency`), `preferences` merges
    key by key. Any other field (`email`, `status`, `roles`, ids, …) is refused with a 422
    naming it.

        Attributes:
            avatar_url (None | str | Unset):
            company (None | str | Unset): Up to 200 characters.
            currency (Currency | None | Unset):
            display_name (None | str | Unset): Up to 100 characters.
            locale (None | str | Unset):
            name (None | str | Unset): Up to 100 characters (`null` clears it; `""` is refused).
            phone (None | str | Unset):
            preferences (None | PreferencesPatch | Unset):
            region (None | Region | Unset):
            telegram (None | str | Unset): 5–32 of `A-Z a-z 0-9 _`, starting with a letter; a leading `@` is dropped.
                Example: ada_lovelace.
            time_zone (None | TimeZone | Unset):
    """

    avatar_url: None | str | Unset = UNSET
    company: None | str | Unset = UNSET
    currency: Currency | None | Unset = UNSET
    display_name: None | str | Unset = UNSET
    locale: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    preferences: None | PreferencesPatch | Unset = UNSET
    region: None | Region | Unset = UNSET
    telegram: None | str | Unset = UNSET
    time_zone: None | TimeZone | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.preferences_patch import PreferencesPatch

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

        currency: None | str | Unset
        if isinstance(self.currency, Unset):
            currency = UNSET
        elif isinstance(self.currency, str):
            currency = self.currency
        else:
            currency = self.currency

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        locale: None | str | Unset
        if isinstance(self.locale, Unset):
            locale = UNSET
        else:
            locale = self.locale

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

        preferences: dict[str, Any] | None | Unset
        if isinstance(self.preferences, Unset):
            preferences = UNSET
        elif isinstance(self.preferences, PreferencesPatch):
            preferences = self.preferences.to_dict()
        else:
            preferences = self.preferences

        region: None | str | Unset
        if isinstance(self.region, Unset):
            region = UNSET
        elif isinstance(self.region, str):
            region = self.region
        else:
            region = self.region

        telegram: None | str | Unset
        if isinstance(self.telegram, Unset):
            telegram = UNSET
        else:
            telegram = self.telegram

        time_zone: None | str | Unset
        if isinstance(self.time_zone, Unset):
            time_zone = UNSET
        elif isinstance(self.time_zone, str):
            time_zone = self.time_zone
        else:
            time_zone = self.time_zone

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if avatar_url is not UNSET:
            field_dict["avatar_url"] = avatar_url
        if company is not UNSET:
            field_dict["company"] = company
        if currency is not UNSET:
            field_dict["currency"] = currency
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if locale is not UNSET:
            field_dict["locale"] = locale
        if name is not UNSET:
            field_dict["name"] = name
        if phone is not UNSET:
            field_dict["phone"] = phone
        if preferences is not UNSET:
            field_dict["preferences"] = preferences
        if region is not UNSET:
            field_dict["region"] = region
        if telegram is not UNSET:
            field_dict["telegram"] = telegram
        if time_zone is not UNSET:
            field_dict["time_zone"] = time_zone

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.preferences_patch import PreferencesPatch

        d = dict(src_dict)

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

        def _parse_currency(data: object) -> Currency | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                currency_type_0 = check_currency(data)

                return currency_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Currency | None | Unset, data)

        currency = _parse_currency(d.pop("currency", UNSET))

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_locale(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        locale = _parse_locale(d.pop("locale", UNSET))

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

        def _parse_preferences(data: object) -> None | PreferencesPatch | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                preferences_type_0 = PreferencesPatch.from_dict(data)

                return preferences_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PreferencesPatch | Unset, data)

        preferences = _parse_preferences(d.pop("preferences", UNSET))

        def _parse_region(data: object) -> None | Region | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                region_type_0 = check_region(data)

                return region_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Region | Unset, data)

        region = _parse_region(d.pop("region", UNSET))

        def _parse_telegram(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        telegram = _parse_telegram(d.pop("telegram", UNSET))

        def _parse_time_zone(data: object) -> None | TimeZone | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                time_zone_type_0 = check_time_zone(data)

                return time_zone_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TimeZone | Unset, data)

        time_zone = _parse_time_zone(d.pop("time_zone", UNSET))

        profile_patch = cls(
            avatar_url=avatar_url,
            company=company,
            currency=currency,
            display_name=display_name,
            locale=locale,
            name=name,
            phone=phone,
            preferences=preferences,
            region=region,
            telegram=telegram,
            time_zone=time_zone,
        )

        return profile_patch
