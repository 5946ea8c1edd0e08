from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.notifications_preferences_patch_digest_type_0 import (
    NotificationsPreferencesPatchDigestType0,
    check_notifications_preferences_patch_digest_type_0,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="NotificationsPreferencesPatch")


@_attrs_define
class NotificationsPreferencesPatch:
    """
    Attributes:
        digest (None | NotificationsPreferencesPatchDigestType0 | Unset):
        email (bool | None | Unset):
        product_updates (bool | None | Unset):
        push (bool | None | Unset):
    """

    digest: None | NotificationsPreferencesPatchDigestType0 | Unset = UNSET
    email: bool | None | Unset = UNSET
    product_updates: bool | None | Unset = UNSET
    push: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        digest: None | str | Unset
        if isinstance(self.digest, Unset):
            digest = UNSET
        elif isinstance(self.digest, str):
            digest = self.digest
        else:
            digest = self.digest

        email: bool | None | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        product_updates: bool | None | Unset
        if isinstance(self.product_updates, Unset):
            product_updates = UNSET
        else:
            product_updates = self.product_updates

        push: bool | None | Unset
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

        def _parse_digest(
            data: object,
        ) -> None | NotificationsPreferencesPatchDigestType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                digest_type_0 = check_notifications_preferences_patch_digest_type_0(
                    data
                )

                return digest_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | NotificationsPreferencesPatchDigestType0 | Unset, data)

        digest = _parse_digest(d.pop("digest", UNSET))

        def _parse_email(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_product_updates(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        product_updates = _parse_product_updates(d.pop("product_updates", UNSET))

        def _parse_push(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        push = _parse_push(d.pop("push", UNSET))

        notifications_preferences_patch = cls(
            digest=digest,
            email=email,
            product_updates=product_updates,
            push=push,
        )

        return notifications_preferences_patch
