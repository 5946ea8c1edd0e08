from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.preferences_ai import PreferencesAi
    from ..models.preferences_focus import PreferencesFocus
    from ..models.preferences_notifications import PreferencesNotifications


T = TypeVar("T", bound="Preferences")


@_attrs_define
class Preferences:
    """The user's preferences: sections of known keys; keys never set are absent.

    Attributes:
        ai (PreferencesAi | Unset):
        focus (PreferencesFocus | Unset):
        notifications (PreferencesNotifications | Unset):
    """

    ai: PreferencesAi | Unset = UNSET
    focus: PreferencesFocus | Unset = UNSET
    notifications: PreferencesNotifications | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        ai: dict[str, Any] | Unset = UNSET
        if not isinstance(self.ai, Unset):
            ai = self.ai.to_dict()

        focus: dict[str, Any] | Unset = UNSET
        if not isinstance(self.focus, Unset):
            focus = self.focus.to_dict()

        notifications: dict[str, Any] | Unset = UNSET
        if not isinstance(self.notifications, Unset):
            notifications = self.notifications.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if ai is not UNSET:
            field_dict["ai"] = ai
        if focus is not UNSET:
            field_dict["focus"] = focus
        if notifications is not UNSET:
            field_dict["notifications"] = notifications

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.preferences_ai import PreferencesAi
        from ..models.preferences_focus import PreferencesFocus
        from ..models.preferences_notifications import PreferencesNotifications

        d = dict(src_dict)
        _ai = d.pop("ai", UNSET)
        ai: PreferencesAi | Unset
        if isinstance(_ai, Unset):
            ai = UNSET
        else:
            ai = PreferencesAi.from_dict(_ai)

        _focus = d.pop("focus", UNSET)
        focus: PreferencesFocus | Unset
        if isinstance(_focus, Unset):
            focus = UNSET
        else:
            focus = PreferencesFocus.from_dict(_focus)

        _notifications = d.pop("notifications", UNSET)
        notifications: PreferencesNotifications | Unset
        if isinstance(_notifications, Unset):
            notifications = UNSET
        else:
            notifications = PreferencesNotifications.from_dict(_notifications)

        preferences = cls(
            ai=ai,
            focus=focus,
            notifications=notifications,
        )

        return preferences
