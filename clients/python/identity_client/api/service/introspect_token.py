from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.introspection_answer import IntrospectionAnswer
from ...models.introspection_form import IntrospectionForm
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: IntrospectionForm,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/tokens/introspect",
    }

    _kwargs["data"] = body.to_dict()
    headers["Content-Type"] = "application/x-www-form-urlencoded"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> IntrospectionAnswer | Problem | None:
    if response.status_code == 200:
        response_200 = IntrospectionAnswer.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[IntrospectionAnswer | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: IntrospectionForm,
) -> Response[IntrospectionAnswer | Problem]:
    """Token introspection (RFC 7662), for service clients with `tokens:introspect`: an access
    token that works now (its session live, its account active; or a service token of a
    client not revoked) is `active` with its claims; anything else (expired, a revoked
    session, a refresh token, garbage) is exactly `{"active": false}`.

    Args:
        body (IntrospectionForm): The form of RFC 7662 §2.1.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IntrospectionAnswer | Problem]
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
    body: IntrospectionForm,
) -> IntrospectionAnswer | Problem | None:
    """Token introspection (RFC 7662), for service clients with `tokens:introspect`: an access
    token that works now (its session live, its account active; or a service token of a
    client not revoked) is `active` with its claims; anything else (expired, a revoked
    session, a refresh token, garbage) is exactly `{"active": false}`.

    Args:
        body (IntrospectionForm): The form of RFC 7662 §2.1.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IntrospectionAnswer | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: IntrospectionForm,
) -> Response[IntrospectionAnswer | Problem]:
    """Token introspection (RFC 7662), for service clients with `tokens:introspect`: an access
    token that works now (its session live, its account active; or a service token of a
    client not revoked) is `active` with its claims; anything else (expired, a revoked
    session, a refresh token, garbage) is exactly `{"active": false}`.

    Args:
        body (IntrospectionForm): The form of RFC 7662 §2.1.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IntrospectionAnswer | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: IntrospectionForm,
) -> IntrospectionAnswer | Problem | None:
    """Token introspection (RFC 7662), for service clients with `tokens:introspect`: an access
    token that works now (its session live, its account active; or a service token of a
    client not revoked) is `active` with its claims; anything else (expired, a revoked
    session, a refresh token, garbage) is exactly `{"active": false}`.

    Args:
        body (IntrospectionForm): The form of RFC 7662 §2.1.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IntrospectionAnswer | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
