from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="IntrospectionAnswer")


@_attrs_define
class IntrospectionAnswer:
    """RFC 7662 §2.2. An inactive token is exactly `{"active": false}`: nothing says why.

    Example:
        {'aal': 1, 'active': True, 'amr': ['pwd'], 'aud': 'identity', 'exp': 1765000900, 'iat': 1765000000, 'iss':
            'identity', 'roles': ['user'], 'sid': '0190b8a0-0000-7000-8000-000000000002', 'sub':
            '0190b8a0-0000-7000-8000-000000000001', 'token_type': 'Bearer', 'username': 'ada@example.com'}

    Attributes:
        active (bool):
        aal (int | None | Unset): Authenticator assurance level, 1 or 2.
        amr (list[str] | None | Unset): How the user signed in (RFC 8176: `pwd`, `otp`, …).
        aud (None | str | Unset):
        client_id (None | Unset | UUID): The service client (a service token).
        exp (int | None | Unset): Seconds since the epoch.
        iat (int | None | Unset): Seconds since the epoch.
        iss (None | str | Unset):
        roles (list[str] | None | Unset): The user's roles now (a user's token), sorted.
        scope (None | str | Unset): The scopes of a service token, space separated.
        sid (None | Unset | UUID): The session (a user's token).
        sub (None | Unset | UUID): The user (a user's token) or the client (a service token).
        token_type (None | str | Unset): `Bearer`.
        username (None | str | Unset): The user's email address (a user's token).
    """

    active: bool
    aal: int | None | Unset = UNSET
    amr: list[str] | None | Unset = UNSET
    aud: None | str | Unset = UNSET
    client_id: None | Unset | UUID = UNSET
    exp: int | None | Unset = UNSET
    iat: int | None | Unset = UNSET
    iss: None | str | Unset = UNSET
    roles: list[str] | None | Unset = UNSET
    scope: None | str | Unset = UNSET
    sid: None | Unset | UUID = UNSET
    sub: None | Unset | UUID = UNSET
    token_type: None | str | Unset = UNSET
    username: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active = self.active

        aal: int | None | Unset
        if isinstance(self.aal, Unset):
            aal = UNSET
        else:
            aal = self.aal

        amr: list[str] | None | Unset
        if isinstance(self.amr, Unset):
            amr = UNSET
        elif isinstance(self.amr, list):
            amr = self.amr

        else:
            amr = self.amr

        aud: None | str | Unset
        if isinstance(self.aud, Unset):
            aud = UNSET
        else:
            aud = self.aud

        client_id: None | str | Unset
        if isinstance(self.client_id, Unset):
            client_id = UNSET
        elif isinstance(self.client_id, UUID):
            client_id = str(self.client_id)
        else:
            client_id = self.client_id

        exp: int | None | Unset
        if isinstance(self.exp, Unset):
            exp = UNSET
        else:
            exp = self.exp

        iat: int | None | Unset
        if isinstance(self.iat, Unset):
            iat = UNSET
        else:
            iat = self.iat

        iss: None | str | Unset
        if isinstance(self.iss, Unset):
            iss = UNSET
        else:
            iss = self.iss

        roles: list[str] | None | Unset
        if isinstance(self.roles, Unset):
            roles = UNSET
        elif isinstance(self.roles, list):
            roles = self.roles

        else:
            roles = self.roles

        scope: None | str | Unset
        if isinstance(self.scope, Unset):
            scope = UNSET
        else:
            scope = self.scope

        sid: None | str | Unset
        if isinstance(self.sid, Unset):
            sid = UNSET
        elif isinstance(self.sid, UUID):
            sid = str(self.sid)
        else:
            sid = self.sid

        sub: None | str | Unset
        if isinstance(self.sub, Unset):
            sub = UNSET
        elif isinstance(self.sub, UUID):
            sub = str(self.sub)
        else:
            sub = self.sub

        token_type: None | str | Unset
        if isinstance(self.token_type, Unset):
            token_type = UNSET
        else:
            token_type = self.token_type

        username: None | str | Unset
        if isinstance(self.username, Unset):
            username = UNSET
        else:
            username = self.username

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active": active,
            }
        )
        if aal is not UNSET:
            field_dict["aal"] = aal
        if amr is not UNSET:
            field_dict["amr"] = amr
        if aud is not UNSET:
            field_dict["aud"] = aud
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if exp is not UNSET:
            field_dict["exp"] = exp
        if iat is not UNSET:
            field_dict["iat"] = iat
        if iss is not UNSET:
            field_dict["iss"] = iss
        if roles is not UNSET:
            field_dict["roles"] = roles
        if scope is not UNSET:
            field_dict["scope"] = scope
        if sid is not UNSET:
            field_dict["sid"] = sid
        if sub is not UNSET:
            field_dict["sub"] = sub
        if token_type is not UNSET:
            field_dict["token_type"] = token_type
        if username is not UNSET:
            field_dict["username"] = username

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        active = d.pop("active")

        def _parse_aal(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        aal = _parse_aal(d.pop("aal", UNSET))

        def _parse_amr(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                amr_type_0 = cast(list[str], data)

                return amr_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        amr = _parse_amr(d.pop("amr", UNSET))

        def _parse_aud(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        aud = _parse_aud(d.pop("aud", UNSET))

        def _parse_client_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                client_id_type_0 = UUID(data)

                return client_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        client_id = _parse_client_id(d.pop("client_id", UNSET))

        def _parse_exp(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        exp = _parse_exp(d.pop("exp", UNSET))

        def _parse_iat(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        iat = _parse_iat(d.pop("iat", UNSET))

        def _parse_iss(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        iss = _parse_iss(d.pop("iss", UNSET))

        def _parse_roles(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                roles_type_0 = cast(list[str], data)

                return roles_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        roles = _parse_roles(d.pop("roles", UNSET))

        def _parse_scope(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        scope = _parse_scope(d.pop("scope", UNSET))

        def _parse_sid(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                sid_type_0 = UUID(data)

                return sid_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        sid = _parse_sid(d.pop("sid", UNSET))

        def _parse_sub(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                sub_type_0 = UUID(data)

                return sub_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        sub = _parse_sub(d.pop("sub", UNSET))

        def _parse_token_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        token_type = _parse_token_type(d.pop("token_type", UNSET))

        def _parse_username(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        username = _parse_username(d.pop("username", UNSET))

        introspection_answer = cls(
            active=active,
            aal=aal,
            amr=amr,
            aud=aud,
            client_id=client_id,
            exp=exp,
            iat=iat,
            iss=iss,
            roles=roles,
            scope=scope,
            sid=sid,
            sub=sub,
            token_type=token_type,
            username=username,
        )

        introspection_answer.additional_properties = d
        return introspection_answer

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
