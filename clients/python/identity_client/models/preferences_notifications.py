from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.preferences_notifications_digest import (
    PreferencesNotificationsDigest,
    check_preferences_notifications_digest,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PreferencesNotifications")


@_attrs_define
class PreferencesNotifications:
    """
    Attributes:
        digest (PreferencesNotificationsDigest | Unset):
        email (bool | Unset):
        product_updates (bool | Unset):
        push (bool | Unset):
    """

    digest: PreferencesNotificationsDigest | Unset = UNSET
    email: bool | Unset = UNSET
    product_updates: bool | Unset = UNSET
    push: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        digest: str | Unset = UNSET
        if not isinstance(self.digest, Unset):
            digest = self.digest

        email: bool | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        product_updates: bool | Unset
        if isinstance(self.product_updates, Unset):
            product_updates = UNSET
        else:
            product_updates = self.product_updates

        push: bool | Unset
        if isinstance(self.push, Unset):
            push = UNSET
        else:
            push = self.push

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if digest is not UNSET:
            field_dict["digest"] = digest
        if email is not UNSET:
            field_dict["email"] = email
        if product_updates is not UNSET:
            field_dict["product_updates"] = product_updates
        if push is not UNSET:
            field_dict["push"] = push

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _digest = d.pop("digest", UNSET)
        digest: PreferencesNotificationsDigest | Unset
        if isinstance(_digest, Unset):
            digest = UNSET
        else:
            digest = check_preferences_notifications_digest(_digest)

        def _parse_email(data: object) -> bool | Unset:
            if isinstance(data, Unset):
                return data
            return cast(bool | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_product_updates(data: object) -> bool | Unset:
            if isinstance(data, Unset):
                return data
            return cast(bool | Unset, data)

        product_updates = _parse_product_updates(d.pop("product_updates", UNSET))

        def _parse_push(data: object) -> bool | Unset:
            if isinstance(data, Unset):
                return data
            return cast(bool | Unset, data)

        push = _parse_push(d.pop("push", UNSET))

        preferences_notifications = cls(
            digest=digest,
            email=email,
            product_updates=product_updates,
            push=push,
        )

        return preferences_notifications
