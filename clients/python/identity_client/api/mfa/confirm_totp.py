from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.confirm_totp_request import ConfirmTotpRequest
from ...models.confirmed_totp import ConfirmedTotp
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: ConfirmTotpRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/mfa/totp/confirm",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConfirmedTotp | Problem | None:
    if response.status_code == 200:
        response_200 = ConfirmedTotp.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[ConfirmedTotp | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ConfirmTotpRequest,
) -> Response[ConfirmedTotp | Problem]:
    """Confirms the pending enrolment with the app's current code: from now on sign-ins need a
    second factor. The account's first factor also answers its recovery codes, shown this
    once. Emits `mfa.enabled`; the user is mailed.

    Args:
        body (ConfirmTotpRequest): The first code of the app being enrolled.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConfirmedTotp | Problem]
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
    client: AuthenticatedClient,
    body: ConfirmTotpRequest,
) -> ConfirmedTotp | Problem | None:
    """Confirms the pending enrolment with the app's current code: from now on sign-ins need a
    second factor. The account's first factor also answers its recovery codes, shown this
    once. Emits `mfa.enabled`; the user is mailed.

    Args:
        body (ConfirmTotpRequest): The first code of the app being enrolled.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConfirmedTotp | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ConfirmTotpRequest,
) -> Response[ConfirmedTotp | Problem]:
    """Confirms the pending enrolment with the app's current code: from now on sign-ins need a
    second factor. The account's first factor also answers its recovery codes, shown this
    once. Emits `mfa.enabled`; the user is mailed.

    Args:
        body (ConfirmTotpRequest): The first code of the app being enrolled.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConfirmedTotp | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ConfirmTotpRequest,
) -> ConfirmedTotp | Problem | None:
    """Confirms the pending enrolment with the app's current code: from now on sign-ins need a
    second factor. The account's first factor also answers its recovery codes, shown this
    once. Emits `mfa.enabled`; the user is mailed.

    Args:
        body (ConfirmTotpRequest): The first code of the app being enrolled.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConfirmedTotp | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
