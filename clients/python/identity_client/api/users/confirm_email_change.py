from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.confirm_email_change_request import ConfirmEmailChangeRequest
from ...models.problem import Problem
from ...models.user_view import UserView
from ...types import Response


def _get_kwargs(
    *,
    body: ConfirmEmailChangeRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/users/me/email/confirm",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | UserView | None:
    if response.status_code == 200:
        response_200 = UserView.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | UserView]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ConfirmEmailChangeRequest,
) -> Response[Problem | UserView]:
    """Makes the change of address with the token from the link mailed to the new address (single
    use; no sign-in needed, the token proves it, so the link works on any device). The new
    address is verified; every session of the account ends except the one that asked for the
    change (reason `revoked_by_user`). Emits `user.updated` (`changed: ["email"]`); audited as
    `email.changed`.

    Args:
        body (ConfirmEmailChangeRequest): The token from the email-change link.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UserView]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: ConfirmEmailChangeRequest,
) -> Problem | UserView | None:
    """Makes the change of address with the token from the link mailed to the new address (single
    use; no sign-in needed, the token proves it, so the link works on any device). The new
    address is verified; every session of the account ends except the one that asked for the
    change (reason `revoked_by_user`). Emits `user.updated` (`changed: ["email"]`); audited as
    `email.changed`.

    Args:
        body (ConfirmEmailChangeRequest): The token from the email-change link.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UserView
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ConfirmEmailChangeRequest,
) -> Response[Problem | UserView]:
    """Makes the change of address with the token from the link mailed to the new address (single
    use; no sign-in needed, the token proves it, so the link works on any device). The new
    address is verified; every session of the account ends except the one that asked for the
    change (reason `revoked_by_user`). Emits `user.updated` (`changed: ["email"]`); audited as
    `email.changed`.

    Args:
        body (ConfirmEmailChangeRequest): The token from the email-change link.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UserView]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ConfirmEmailChangeRequest,
) -> Problem | UserView | None:
    """Makes the change of address with the token from the link mailed to the new address (single
    use; no sign-in needed, the token proves it, so the link works on any device). The new
    address is verified; every session of the account ends except the one that asked for the
    change (reason `revoked_by_user`). Emits `user.updated` (`changed: ["email"]`); audited as
    `email.changed`.

    Args:
        body (ConfirmEmailChangeRequest): The token from the email-change link.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UserView
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
