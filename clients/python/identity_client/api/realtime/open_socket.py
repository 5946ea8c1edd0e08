from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    ticket: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["ticket"] = ticket

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/ws",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | None:
    if response.status_code == 101:
        response_101 = cast(Any, None)
        return response_101

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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
) -> Response[Any | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    ticket: str | Unset = UNSET,
) -> Response[Any | Problem]:
    """Opens the caller's real-time socket (WebSocket, `101 Switching Protocols`). The request is
    authenticated before the upgrade by a one-time `?ticket=` (`POST /v1/ws/ticket`), an
    `Authorization: Bearer` header, or the access cookie (then the `Origin` must be the API's
    own or one of `ALLOWED_ORIGINS`). An access token in the URL is never accepted. Frames,
    close codes and resynchronisation: `docs/realtime.md`.

    Args:
        ticket (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        ticket=ticket,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    ticket: str | Unset = UNSET,
) -> Any | Problem | None:
    """Opens the caller's real-time socket (WebSocket, `101 Switching Protocols`). The request is
    authenticated before the upgrade by a one-time `?ticket=` (`POST /v1/ws/ticket`), an
    `Authorization: Bearer` header, or the access cookie (then the `Origin` must be the API's
    own or one of `ALLOWED_ORIGINS`). An access token in the URL is never accepted. Frames,
    close codes and resynchronisation: `docs/realtime.md`.

    Args:
        ticket (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        client=client,
        ticket=ticket,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    ticket: str | Unset = UNSET,
) -> Response[Any | Problem]:
    """Opens the caller's real-time socket (WebSocket, `101 Switching Protocols`). The request is
    authenticated before the upgrade by a one-time `?ticket=` (`POST /v1/ws/ticket`), an
    `Authorization: Bearer` header, or the access cookie (then the `Origin` must be the API's
    own or one of `ALLOWED_ORIGINS`). An access token in the URL is never accepted. Frames,
    close codes and resynchronisation: `docs/realtime.md`.

    Args:
        ticket (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        ticket=ticket,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    ticket: str | Unset = UNSET,
) -> Any | Problem | None:
    """Opens the caller's real-time socket (WebSocket, `101 Switching Protocols`). The request is
    authenticated before the upgrade by a one-time `?ticket=` (`POST /v1/ws/ticket`), an
    `Authorization: Bearer` header, or the access cookie (then the `Origin` must be the API's
    own or one of `ALLOWED_ORIGINS`). An access token in the URL is never accepted. Frames,
    close codes and resynchronisation: `docs/realtime.md`.

    Args:
        ticket (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            ticket=ticket,
        )
    ).parsed
