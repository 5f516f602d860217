/**
 * Request kinds, for the breakdowns of where the bytes and the server time go: the same names
 * for the proxies' counts and for the pods' access logs.
 */
import type { Classify } from '../../test/helpers/traffic.js';

/**
 * Names for the "where do the bytes go" breakdown, first match wins. Object keys follow
 * src/storage/layout.ts (Fulmar) and pkg/backend/diy (DIY: `.pulumi/stacks|history|backups|locks`);
 * API routes follow the Pulumi service paths the CLI calls (pkg/backend/httpstate/client).
 */
const KINDS: Array<[RegExp, string]> = [
  // Fulmar's bucket
  [/\/updates\/[^/]+\/journal\//, 'journal batches'],
  [/\/updates\/[^/]+\/events\//, 'event batches'],
  [/\/updates\/[^/]+\/checkpoints\//, 'intermediate checkpoints'],
  [/\/checkpoints\/\d+\.json/, 'committed versions'],
  [/\/history\/\d+\.json/, 'history entries'],
  [/\/updates\/[^/]+\.json/, 'update records'],
  [/\/meta\.json/, 'stack registers'],
  // DIY's bucket
  [/\/\.pulumi\/stacks\//, 'DIY stack files'],
  [/\/\.pulumi\/history\//, 'DIY history'],
  [/\/\.pulumi\/backups\//, 'DIY backups'],
  [/\/\.pulumi\/locks\//, 'DIY locks'],
  // the Pulumi API
  [/\/journalentries(\?|$)/, 'API journalentries'],
  [/\/events\/batch(\?|$)/, 'API events'],
  [/\/checkpoint(verbatim|delta)?(\?|$)/, 'API checkpoint'],
  [/\/renew_lease(\?|$)/, 'API renew_lease'],
  [/\/complete(\?|$)/, 'API complete'],
];

export const classify: Classify = (method, path) => {
  const kind = KINDS.find(([re]) => re.test(path))?.[1];
  return kind ? `${method} ${kind}` : `${method} other`;
};

