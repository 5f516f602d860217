/**
 * The one URL clients use (FULMAR_PUBLIC_URL). The CLI writes the URL it logged in to into every
 * stack's secrets-provider state and later looks its access token up by that exact URL
 * (pkg/secrets/service/manager.go: NewServiceSecretsManagerFromState), so two clients that reach
 * the same pods under two names cannot open each other's stacks. A pod cannot repair that, but it
 * can say so early: the first authenticated request for each other host is logged as a warning
 * naming FULMAR_PUBLIC_URL (README.md#one-url).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../observability/logger.js';

export interface PublicUrl {
  /** What `pulumi login` is given: no trailing slash (the CLI trims one, backend.go: ValueOrDefaultURL). */
  url: string;
  /** `host[:port]` as a Host header names it, default ports left out. */
  host: string;
  protocol: string;
  /** False when FULMAR_PUBLIC_URL is unset and this is the default. */
  configured: boolean;
}

/** FULMAR_PUBLIC_URL, or `http://localhost:<port>` once the port is bound (PORT=0 picks one then). */
export function resolvePublicUrl(configured: string | undefined, boundPort: number): PublicUrl {
  const url = new URL(configured ?? `http://localhost:${boundPort}`);
  return {
    url: (configured ?? url.origin).replace(/\/+$/, ''),
    host: url.host,
    protocol: url.protocol,
    configured: configured !== undefined,
  };
}

/**
 * The host a request was addressed to, normalised as a URL of `protocol` would be (lower case,
 * default port dropped). A proxy's X-Forwarded-Host wins over Host: behind a load balancer, Host
 * may name the pod. Only a warning depends on it, so it is read whatever FULMAR_TRUST_PROXY says.
 */
export function requestHost(headers: IncomingHttpHeaders, protocol: string): string | undefined {
  const forwarded = headers['x-forwarded-host'];
  const raw = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() || headers.host;
  if (!raw) return undefined;
  try {
    return new URL(`${protocol}//${raw}`).host;
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * Distinct other hosts one pod warns about. A set that stops growing, not an LRU: an LRU would
 * bound the memory but warn again about every host it evicted, and so would not bound the log.
 */
export const MAX_HOSTS_WARNED = 100;

export class HostWatch {
  private publicUrl: PublicUrl | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly maxHosts = MAX_HOSTS_WARNED,
  ) {}

  /** Starts checking; called once the server is bound, so no request arrives before it. */
  use(publicUrl: PublicUrl): void {
    this.publicUrl = publicUrl;
  }

  /** Called for requests whose credential was accepted: strangers cannot fill the set. */
  note(headers: IncomingHttpHeaders): void {
    const pub = this.publicUrl;
    if (!pub || this.warned.size > this.maxHosts) return;
    const host = requestHost(headers, pub.protocol);
    if (!host || host === pub.host || this.warned.has(host)) return;
    if (this.warned.size === this.maxHosts) {
      this.warned.add(''); // one past the bound: this pod says no more
      this.logger.warn({ publicUrl: pub.url }, `requests arrived for more than ${this.maxHosts} hosts other than FULMAR_PUBLIC_URL's; no more such warnings from this pod`);
      return;
    }
    this.warned.add(host);
    this.logger.warn(
      { host, publicUrl: pub.url },
      `a client reached this server as ${host}, but FULMAR_PUBLIC_URL is ${pub.url}${pub.configured ? '' : ' (unset, so the default)'}: ` +
        `every client must \`pulumi login ${pub.url}\`, because the CLI records that URL in each stack and cannot open ` +
        `the secrets of a stack written under another one ("could not find access token for …")`,
    );
  }
}
