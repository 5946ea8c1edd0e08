// The identity API client: `schema.ts` is generated from docs/openapi.json by openapi-typescript
// (`cargo xtask clients`; never edit it by hand), requests are made and typed by openapi-fetch.
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
/** The document's schemas by name: `Schemas["UserView"]`, … */
export type Schemas = components["schemas"];
export type IdentityClient = Client<paths>;

/**
 * A client of the identity API at `baseUrl` (scheme, host and port; the paths carry `/v1`).
 * `accessToken` is asked before every request: its answer, when there is one, is sent as
 * `Authorization: Bearer …`.
 */
export function createIdentityClient(baseUrl: string, accessToken?: () => string | undefined): IdentityClient {
  const client = createClient<paths>({ baseUrl });
  if (accessToken !== undefined) {
    const bearer: Middleware = {
      onRequest({ request }) {
        const token = accessToken();
        if (token !== undefined) {
          request.headers.set("Authorization", `Bearer ${token}`);
        }
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}
