/**
 * Pulumi Cloud features Fulmar does not offer, declared so that their calls get a true answer —
 * "Pulumi ESC environments are not provided by Fulmar" — instead of "no route for GET …"
 * (docs/protocol.md#not-provided).
 *
 * 404, because the CLI already reads a 404 from these endpoints as "nothing there" where it
 * branches on one (pkg/backend/httpstate/client/client.go: is404; pkg/cmd/esc/cli/client/client.go:
 * IsNotFound), shows it as `[404] Not Found: …` otherwise (sdk/go/common/apitype/errors.go), and
 * does not retry it — a 501, like every 5xx, would be retried four times first
 * (sdk/go/common/util/httputil/http.go). No credential: the answer is the same for everyone and
 * tells nothing about the bucket, and a 401 would make the CLI say "log in" instead.
 */
import type { Route } from '../route.js';
import { notFound } from '../../domain/errors.js';
import { S } from './stack-ref.js';

/** A feature, its sentence, and the path prefixes the CLI uses for it (every method, every sub-path). */
const FEATURES: { sentence: string; prefixes: string[] }[] = [
  {
    // pkg/cmd/esc/cli/client/client.go (`pulumi env …`); the CLI's own YAML environments too.
    sentence: 'Pulumi ESC environments are not provided by Fulmar',
    prefixes: ['/api/esc', '/api/preview/environments'],
  },
  {
    // client.go: getDeploymentPath (`pulumi deployment …`).
    sentence: 'Pulumi Deployments are not provided by Fulmar',
    prefixes: [S('/deployments'), '/api/orgs/:org/deployments'],
  },
  {
    // client.go: listPolicyPacksPath, listPolicyGroupsPath (`pulumi policy …`).
    sentence: 'Policy packs, policy groups and policy results are not provided by Fulmar',
    prefixes: ['/api/orgs/:org/policypacks', '/api/orgs/:org/policygroups', '/api/orgs/:org/policyresults'],
  },
  {
    // client.go: the `/api/preview/insights/…` calls.
    sentence: 'Pulumi Insights account scans are not provided by Fulmar',
    prefixes: ['/api/preview/insights'],
  },
  {
    // client.go: `/api/ai/chat/preview`, `/api/preview/agents/…` (`pulumi ai`, Neo).
    sentence: 'Pulumi AI and Neo are not provided by Fulmar',
    prefixes: ['/api/ai', '/api/orgs/:org/ai', '/api/preview/agents'],
  },
  {
    // client.go: getSearchPath (`pulumi org search`).
    sentence: 'Resource search is not provided by Fulmar',
    prefixes: ['/api/orgs/:org/search'],
  },
];

export function notProvidedRoutes(): Route[] {
  return FEATURES.flatMap(({ sentence, prefixes }) =>
    prefixes.map(
      (prefix): Route => ({
        method: 'all',
        path: `${prefix}{/*rest}`,
        auth: 'none',
        body: 'none',
        // Not in the API document (src/http/openapi.ts): every call is the 404 that says so.
        summary: sentence,
        responses: {},
        handler: () => {
          throw notFound(sentence);
        },
      }),
    ),
  );
}
