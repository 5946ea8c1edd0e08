from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="FocusPreferencesPatch")


@_attrs_define
class FocusPreferencesPatch:
    """
    Attributes:
        break_minutes (int | None | Unset):
        session_minutes (int | None | Unset):
        sound (bool | None | Unset):
    """

    break_minutes: int | None | Unset = UNSET
    session_minutes: int | None | Unset = UNSET
    sound: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        break_minutes: int | None | Unset
        if isinstance(self.break_minutes, Unset):
            break_minutes = UNSET
        else:
            break_minutes = self.break_minutes

        session_minutes: int | None | Unset
        if isinstance(self.session_minutes, Unset):
            session_minutes = UNSET
        else:
            session_minutes = self.session_minutes

        sound: bool | None | Unset
        if isinstance(self.sound, Unset):
            sound = UNSET
        else:
            sound = self.sound

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if break_minutes is not UNSET:
            field_dict["break_minutes"] = break_minutes
        if session_minutes is not UNSET:
            field_dict["session_minutes"] = session_minutes
        if sound is not UNSET:
            field_dict["sound"] = sound

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_break_minutes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        break_minutes = _parse_break_minutes(d.pop("break_minutes", UNSET))

        def _parse_session_minutes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        session_minutes = _parse_session_minutes(d.pop("session_minutes", UNSET))

        def _parse_sound(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        sound = _parse_sound(d.pop("sound", UNSET))

        focus_preferences_patch = cls(
            break_minutes=break_minutes,
            session_minutes=session_minutes,
            sound=sound,
        )

        return focus_preferences_patch
