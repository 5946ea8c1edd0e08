from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.ai_settings_document import AiSettingsDocument
from ...models.ai_settings_patch import AiSettingsPatch
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: AiSettingsPatch,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/admin/settings/ai",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/merge-patch+json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AiSettingsDocument | Problem | None:
    if response.status_code == 200:
        response_200 = AiSettingsDocument.from_dict(response.json())

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
) -> Response[AiSettingsDocument | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: AiSettingsPatch,
) -> Response[AiSettingsDocument | Problem]:
    """Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
    a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
    back as its own hint). Every problem is reported at once, naming the field.

     The `ai` namespace: The AI provider that AI features call.


    Args:
        body (AiSettingsPatch): A merge patch of the `ai` namespace: listed fields change, `null`
            resets one to its default (or removes a secret), a left-out secret is kept, and so is a
            secret sent back as its own hint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AiSettingsDocument | Problem]
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
    body: AiSettingsPatch,
) -> AiSettingsDocument | Problem | None:
    """Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
    a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
    back as its own hint). Every problem is reported at once, naming the field.

     The `ai` namespace: The AI provider that AI features call.


    Args:
        body (AiSettingsPatch): A merge patch of the `ai` namespace: listed fields change, `null`
            resets one to its default (or removes a secret), a left-out secret is kept, and so is a
            secret sent back as its own hint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AiSettingsDocument | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: AiSettingsPatch,
) -> Response[AiSettingsDocument | Problem]:
    """Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
    a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
    back as its own hint). Every problem is reported at once, naming the field.

     The `ai` namespace: The AI provider that AI features call.


    Args:
        body (AiSettingsPatch): A merge patch of the `ai` namespace: listed fields change, `null`
            resets one to its default (or removes a secret), a left-out secret is kept, and so is a
            secret sent back as its own hint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AiSettingsDocument | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: AiSettingsPatch,
) -> AiSettingsDocument | Problem | None:
    """Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
    a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
    back as its own hint). Every problem is reported at once, naming the field.

     The `ai` namespace: The AI provider that AI features call.


    Args:
        body (AiSettingsPatch): A merge patch of the `ai` namespace: listed fields change, `null`
            resets one to its default (or removes a secret), a left-out secret is kept, and so is a
            secret sent back as its own hint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AiSettingsDocument | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
