/**
 * The path parameters of the route table, by the name routes give them (`:org`, `:updateId` …),
 * for the API document (src/http/openapi.ts). Each is the pattern its validator in
 * src/domain/names.ts applies, so the document and the 400 cannot disagree; a value outside it
 * is a 400 (a name) or a 404 (a version or token id, which only address something).
 */
import { z } from 'zod';
import { ORG_NAME, PATH_SEGMENT, UPDATE_ID, USER_LOGIN } from '../domain/names.js';

export const pathParams: Readonly<Record<string, z.ZodType>> = {
  org: z.string().regex(ORG_NAME).meta({ description: 'An organization: 3–40 letters, digits, `-` or `_`.' }),
  project: z.string().regex(PATH_SEGMENT).meta({ description: 'A project name (not `.` or `..`).' }),
  stack: z.string().regex(PATH_SEGMENT).meta({ description: 'A stack name (not `.` or `..`).' }),
  login: z.string().regex(USER_LOGIN).meta({ description: 'A user login.' }),
  updateId: z.string().regex(UPDATE_ID).meta({ description: 'The id `POST S/{kind}` answered.' }),
  version: z
    .string()
    .regex(/^(?:[0-9]+|latest)$/)
    .meta({ description: 'A committed version; `latest` only where the path is `…/resources/…`.' }),
  id: z.string().regex(/^[a-f0-9]{64}$/).meta({ description: 'A token id, as `POST /api/user/tokens` answered it.' }),
};
