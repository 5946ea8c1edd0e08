from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.ai_settings import AiSettings
from ...models.documents_settings import DocumentsSettings
from ...models.problem import Problem
from ...models.settings_document import SettingsDocument
from ...models.settings_namespace import SettingsNamespace
from ...types import Response


def _get_kwargs(
    namespace: SettingsNamespace,
    *,
    body: AiSettings | DocumentsSettings,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/admin/settings/{namespace}".format(
            namespace=quote(str(namespace), safe=""),
        ),
    }

    if isinstance(body, AiSettings):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/merge-patch+json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SettingsDocument | None:
    if response.status_code == 200:
        response_200 = SettingsDocument.from_dict(response.json())

        return response_200

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | SettingsDocument]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    namespace: SettingsNamespace,
    *,
    client: AuthenticatedClient,
    body: AiSettings | DocumentsSettings,
) -> Response[Problem | SettingsDocument]:
    """Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
    a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
    back as its own hint). Every problem is reported at once, naming the field.

    Args:
        namespace (SettingsNamespace): A settings namespace.
        body (AiSettings | DocumentsSettings): The fields of one namespace: `AiSettings` for `ai`,
            `DocumentsSettings` for `documents`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SettingsDocument]
    """

    kwargs = _get_kwargs(
        namespace=namespace,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    namespace: SettingsNamespace,
    *,
    client: AuthenticatedClient,
    body: AiSettings | DocumentsSettings,
) -> Problem | SettingsDocument | None:
    """Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
    a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
    back as its own hint). Every problem is reported at once, naming the field.

    Args:
        namespace (SettingsNamespace): A settings namespace.
        body (AiSettings | DocumentsSettings): The fields of one namespace: `AiSettings` for `ai`,
            `DocumentsSettings` for `documents`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SettingsDocument
    """

    return sync_detailed(
        namespace=namespace,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    namespace: SettingsNamespace,
    *,
    client: AuthenticatedClient,
    body: AiSettings | DocumentsSettings,
) -> Response[Problem | SettingsDocument]:
    """Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
    a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
    back as its own hint). Every problem is reported at once, naming the field.

    Args:
        namespace (SettingsNamespace): A settings namespace.
        body (AiSettings | DocumentsSettings): The fields of one namespace: `AiSettings` for `ai`,
            `DocumentsSettings` for `documents`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SettingsDocument]
    """

    kwargs = _get_kwargs(
        namespace=namespace,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    namespace: SettingsNamespace,
    *,
    client: AuthenticatedClient,
    body: AiSettings | DocumentsSettings,
) -> Problem | SettingsDocument | None:
    """Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
    a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
    back as its own hint). Every problem is reported at once, naming the field.

    Args:
        namespace (SettingsNamespace): A settings namespace.
        body (AiSettings | DocumentsSettings): The fields of one namespace: `AiSettings` for `ai`,
            `DocumentsSettings` for `documents`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SettingsDocument
    """

    return (
        await asyncio_detailed(
            namespace=namespace,
            client=client,
            body=body,
        )
    ).parsed
