import { defineApi, type RouteSpec } from '#lib/http/api.ts';
import { openApiDocument } from '#lib/http/openapi.ts';
import { json } from '#lib/http/response.ts';

/**
 * `GET /openapi.json` on the local stack: the OpenAPI 3.1 description of the
 * function routes the bridge serves (`/_local/` admin routes left out),
 * generated from their zod schemas on each request.
 */
export function openApiApi(routes: () => ReadonlyArray<RouteSpec & { functionName: string }>) {
  return defineApi([
    {
      method: 'GET',
      path: '/openapi.json',
      handle: async () => {
        const byFunction = new Map<string, RouteSpec[]>();
        for (const route of routes()) {
          if (!route.doc) continue;
          byFunction.set(route.functionName, [
            ...(byFunction.get(route.functionName) ?? []),
            route,
          ]);
        }
        return json(
          200,
          openApiDocument([...byFunction].map(([name, list]) => ({ name, routes: list }))),
        );
      },
    },
  ]);
}
