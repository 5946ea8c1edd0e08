from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.ai_preferences_patch import AiPreferencesPatch
    from ..models.focus_preferences_patch import FocusPreferencesPatch
    from ..models.notifications_preferences_patch import NotificationsPreferencesPatch


T = TypeVar("T", bound="PreferencesPatch")


@_attrs_define
class PreferencesPatch:
    """A JSON merge patch (RFC 7386) of the preferences: listed keys change, `null` removes a key or a section; unknown
    sections or keys are refused (422).

        Attributes:
            ai (AiPreferencesPatch | None | Unset):
            focus (FocusPreferencesPatch | None | Unset):
            notifications (None | NotificationsPreferencesPatch | Unset):
    """

    ai: AiPreferencesPatch | None | Unset = UNSET
    focus: FocusPreferencesPatch | None | Unset = UNSET
    notifications: None | NotificationsPreferencesPatch | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.ai_preferences_patch import AiPreferencesPatch
        from ..models.focus_preferences_patch import FocusPreferencesPatch
        from ..models.notifications_preferences_patch import (
            NotificationsPreferencesPatch,
        )

        ai: dict[str, Any] | None | Unset
        if isinstance(self.ai, Unset):
            ai = UNSET
        elif isinstance(self.ai, AiPreferencesPatch):
            ai = self.ai.to_dict()
        else:
            ai = self.ai

        focus: dict[str, Any] | None | Unset
        if isinstance(self.focus, Unset):
            focus = UNSET
        elif isinstance(self.focus, FocusPreferencesPatch):
            focus = self.focus.to_dict()
        else:
            focus = self.focus

        notifications: dict[str, Any] | None | Unset
        if isinstance(self.notifications, Unset):
            notifications = UNSET
        elif isinstance(self.notifications, NotificationsPreferencesPatch):
            notifications = self.notifications.to_dict()
        else:
            notifications = self.notifications

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
        from ..models.ai_preferences_patch import AiPreferencesPatch
        from ..models.focus_preferences_patch import FocusPreferencesPatch
        from ..models.notifications_preferences_patch import (
            NotificationsPreferencesPatch,
        )

        d = dict(src_dict)

        def _parse_ai(data: object) -> AiPreferencesPatch | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                ai_type_0 = AiPreferencesPatch.from_dict(data)

                return ai_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AiPreferencesPatch | None | Unset, data)

        ai = _parse_ai(d.pop("ai", UNSET))

        def _parse_focus(data: object) -> FocusPreferencesPatch | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                focus_type_0 = FocusPreferencesPatch.from_dict(data)

                return focus_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(FocusPreferencesPatch | None | Unset, data)

        focus = _parse_focus(d.pop("focus", UNSET))

        def _parse_notifications(
            data: object,
        ) -> None | NotificationsPreferencesPatch | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                notifications_type_0 = NotificationsPreferencesPatch.from_dict(data)

                return notifications_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | NotificationsPreferencesPatch | Unset, data)

        notifications = _parse_notifications(d.pop("notifications", UNSET))

        preferences_patch = cls(
            ai=ai,
            focus=focus,
            notifications=notifications,
        )

        return preferences_patch
