from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.problem_field import ProblemField


T = TypeVar("T", bound="Problem")


@_attrs_define
class Problem:
    """An RFC 9457 problem document.

    Example:
        {'code': 'invalid_credentials', 'detail': 'invalid email, username or password', 'status': 401, 'title':
            'Unauthorized', 'type': 'urn:identity:problem:invalid_credentials'}

    Attributes:
        code (str): Stable machine code; clients branch on this.
        detail (str): What went wrong, for a human.
        status (int):
        title (str): Short summary (the HTTP reason phrase).
        type_ (str): URI identifying the problem type: `urn:identity:problem:<code>`.
        attempts_left (int | None | Unset): Wrong registration codes still allowed before the registration is void
            (`invalid_code` only).
        errors (list[ProblemField] | Unset): Invalid fields, for `validation_failed`.
    """

    code: str
    detail: str
    status: int
    title: str
    type_: str
    attempts_left: int | None | Unset = UNSET
    errors: list[ProblemField] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        detail = self.detail

        status = self.status

        title = self.title

        type_ = self.type_

        attempts_left: int | None | Unset
        if isinstance(self.attempts_left, Unset):
            attempts_left = UNSET
        else:
            attempts_left = self.attempts_left

        errors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = []
            for errors_item_data in self.errors:
                errors_item = errors_item_data.to_dict()
                errors.append(errors_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "detail": detail,
                "status": status,
                "title": title,
                "type": type_,
            }
        )
        if attempts_left is not UNSET:
            field_dict["attempts_left"] = attempts_left
        if errors is not UNSET:
            field_dict["errors"] = errors

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.problem_field import ProblemField

        d = dict(src_dict)
        code = d.pop("code")

        detail = d.pop("detail")

        status = d.pop("status")

        title = d.pop("title")

        type_ = d.pop("type")

        def _parse_attempts_left(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        attempts_left = _parse_attempts_left(d.pop("attempts_left", UNSET))

        _errors = d.pop("errors", UNSET)
        errors: list[ProblemField] | Unset = UNSET
        if _errors is not UNSET:
            errors = []
            for errors_item_data in _errors:
                errors_item = ProblemField.from_dict(errors_item_data)

                errors.append(errors_item)

        problem = cls(
            code=code,
            detail=detail,
            status=status,
            title=title,
            type_=type_,
            attempts_left=attempts_left,
            errors=errors,
        )

        problem.additional_properties = d
        return problem

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
