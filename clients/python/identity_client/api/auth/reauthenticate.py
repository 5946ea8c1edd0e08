from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.reauthenticate_request import ReauthenticateRequest
from ...models.reauthenticate_response import ReauthenticateResponse
from ...types import Response


def _get_kwargs(
    *,
    body: ReauthenticateRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/auth/reauthenticate",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | ReauthenticateResponse | None:
    if response.status_code == 200:
        response_200 = ReauthenticateResponse.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | ReauthenticateResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ReauthenticateRequest,
) -> Response[Problem | ReauthenticateResponse]:
    """Step-up ("sudo mode"): the password again, and a second factor when the account has one.
    Changing the password or the email, adding or removing a factor, new recovery codes and
    deleting the account need this within `REAUTH_MAX_AGE_SECONDS` of the sign-in or of the
    last re-authentication (403 `reauthentication_required` otherwise). Answers a new access
    token with the new `auth_time`. Failures count like failed logins.

    Args:
        body (ReauthenticateRequest): Proving who you are again, for the sensitive changes of the
            next
            `REAUTH_MAX_AGE_SECONDS`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReauthenticateResponse]
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
    body: ReauthenticateRequest,
) -> Problem | ReauthenticateResponse | None:
    """Step-up ("sudo mode"): the password again, and a second factor when the account has one.
    Changing the password or the email, adding or removing a factor, new recovery codes and
    deleting the account need this within `REAUTH_MAX_AGE_SECONDS` of the sign-in or of the
    last re-authentication (403 `reauthentication_required` otherwise). Answers a new access
    token with the new `auth_time`. Failures count like failed logins.

    Args:
        body (ReauthenticateRequest): Proving who you are again, for the sensitive changes of the
            next
            `REAUTH_MAX_AGE_SECONDS`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReauthenticateResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ReauthenticateRequest,
) -> Response[Problem | ReauthenticateResponse]:
    """Step-up ("sudo mode"): the password again, and a second factor when the account has one.
    Changing the password or the email, adding or removing a factor, new recovery codes and
    deleting the account need this within `REAUTH_MAX_AGE_SECONDS` of the sign-in or of the
    last re-authentication (403 `reauthentication_required` otherwise). Answers a new access
    token with the new `auth_time`. Failures count like failed logins.

    Args:
        body (ReauthenticateRequest): Proving who you are again, for the sensitive changes of the
            next
            `REAUTH_MAX_AGE_SECONDS`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReauthenticateResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ReauthenticateRequest,
) -> Problem | ReauthenticateResponse | None:
    """Step-up ("sudo mode"): the password again, and a second factor when the account has one.
    Changing the password or the email, adding or removing a factor, new recovery codes and
    deleting the account need this within `REAUTH_MAX_AGE_SECONDS` of the sign-in or of the
    last re-authentication (403 `reauthentication_required` otherwise). Answers a new access
    token with the new `auth_time`. Failures count like failed logins.

    Args:
        body (ReauthenticateRequest): Proving who you are again, for the sensitive changes of the
            next
            `REAUTH_MAX_AGE_SECONDS`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReauthenticateResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
