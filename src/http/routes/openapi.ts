/** The API document (docs/openapi.json), generated from the route table it is served by. */
import type { Route } from '../route.js';
import { openApiDocument } from '../openapi.js';
import { openApiResponse } from '../../wire/responses.js';

export const OPENAPI_PATH = '/api/openapi/pulumi-spec.json';

/** `table` is the whole route table, this route included; the document is built once, on first use. */
export function openApiRoutes(table: () => readonly Route[]): Route[] {
  let document: string | undefined;
  return [
    {
      method: 'get',
      path: OPENAPI_PATH,
      auth: 'none',
      body: 'none',
      summary: 'This document (OpenAPI 3.1)',
      responses: { 200: openApiResponse },
      handler: (_req, res) => {
        document ??= JSON.stringify(openApiDocument(table()));
        res.type('application/json').send(document);
      },
    },
  ];
}
