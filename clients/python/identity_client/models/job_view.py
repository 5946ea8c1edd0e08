from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="JobView")


@_attrs_define
class JobView:
    """A job. A mail job's payload names the kind of mail and the masked recipient; its codes
    and links are sealed and never shown.

        Attributes:
            attempts (int): Runs started so far.
            created_at (datetime.datetime):
            id (UUID):
            kind (str): `mail`, `provision_instance` or `retention`. Example: mail.
            max_attempts (int):
            payload (Any):
            priority (int): Higher runs first.
            run_at (datetime.datetime): When it is (or was) due.
            state (str): `queued` (waiting for `run_at`: a first run or a retry), `running`, `succeeded`,
                `dead` (out of attempts, or failed for good) or `cancelled`. Example: queued.
            updated_at (datetime.datetime):
            finished_at (datetime.datetime | None | Unset):
            last_error (None | str | Unset):
            locked_by (None | str | Unset): The worker running it, while it runs.
            locked_until (datetime.datetime | None | Unset): When its lease ends, while it runs: another worker takes it
                over after that.
            result (Any | Unset): What its successful run reported (retention: what it deleted, by table).
            started_at (datetime.datetime | None | Unset): When its last run started.
            unique_key (None | str | Unset): A second enqueue under this key was not made: the job runs once.
    """

    attempts: int
    created_at: datetime.datetime
    id: UUID
    kind: str
    max_attempts: int
    payload: Any
    priority: int
    run_at: datetime.datetime
    state: str
    updated_at: datetime.datetime
    finished_at: datetime.datetime | None | Unset = UNSET
    last_error: None | str | Unset = UNSET
    locked_by: None | str | Unset = UNSET
    locked_until: datetime.datetime | None | Unset = UNSET
    result: Any | Unset = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    unique_key: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        created_at = self.created_at.isoformat()

        id = str(self.id)

        kind = self.kind

        max_attempts = self.max_attempts

        payload = self.payload

        priority = self.priority

        run_at = self.run_at.isoformat()

        state = self.state

        updated_at = self.updated_at.isoformat()

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        last_error: None | str | Unset
        if isinstance(self.last_error, Unset):
            last_error = UNSET
        else:
            last_error = self.last_error

        locked_by: None | str | Unset
        if isinstance(self.locked_by, Unset):
            locked_by = UNSET
        else:
            locked_by = self.locked_by

        locked_until: None | str | Unset
        if isinstance(self.locked_until, Unset):
            locked_until = UNSET
        elif isinstance(self.locked_until, datetime.datetime):
            locked_until = self.locked_until.isoformat()
        else:
            locked_until = self.locked_until

        result = self.result

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        unique_key: None | str | Unset
        if isinstance(self.unique_key, Unset):
            unique_key = UNSET
        else:
            unique_key = self.unique_key

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "created_at": created_at,
                "id": id,
                "kind": kind,
                "max_attempts": max_attempts,
                "payload": payload,
                "priority": priority,
                "run_at": run_at,
                "state": state,
                "updated_at": updated_at,
            }
        )
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if last_error is not UNSET:
            field_dict["last_error"] = last_error
        if locked_by is not UNSET:
            field_dict["locked_by"] = locked_by
        if locked_until is not UNSET:
            field_dict["locked_until"] = locked_until
        if result is not UNSET:
            field_dict["result"] = result
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if unique_key is not UNSET:
            field_dict["unique_key"] = unique_key

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        kind = d.pop("kind")

        max_attempts = d.pop("max_attempts")

        payload = d.pop("payload")

        priority = d.pop("priority")

        run_at = datetime.datetime.fromisoformat(d.pop("run_at"))

        state = d.pop("state")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        def _parse_last_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error = _parse_last_error(d.pop("last_error", UNSET))

        def _parse_locked_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        locked_by = _parse_locked_by(d.pop("locked_by", UNSET))

        def _parse_locked_until(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                locked_until_type_0 = datetime.datetime.fromisoformat(data)

                return locked_until_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        locked_until = _parse_locked_until(d.pop("locked_until", UNSET))

        result = d.pop("result", UNSET)

        def _parse_started_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        started_at = _parse_started_at(d.pop("started_at", UNSET))

        def _parse_unique_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        unique_key = _parse_unique_key(d.pop("unique_key", UNSET))

        job_view = cls(
            attempts=attempts,
            created_at=created_at,
            id=id,
            kind=kind,
            max_attempts=max_attempts,
            payload=payload,
            priority=priority,
            run_at=run_at,
            state=state,
            updated_at=updated_at,
            finished_at=finished_at,
            last_error=last_error,
            locked_by=locked_by,
            locked_until=locked_until,
            result=result,
            started_at=started_at,
            unique_key=unique_key,
        )

        job_view.additional_properties = d
        return job_view

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
