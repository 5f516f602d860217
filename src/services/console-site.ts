/**
 * The two public addresses the console needs — the API's (FULMAR_PUBLIC_URL) and its own
 * (FULMAR_CONSOLE_URL) — known once the pod has bound its port (the defaults depend on it), and
 * read by the session cookie (Secure or not), the OIDC redirect URI and `GET /console/config`.
 */
import { defaultConsoleUrl } from '../domain/console-url.js';
import { unavailable } from '../domain/errors.js';

export class ConsoleSite {
  private urls: { apiUrl: string; consoleUrl: string } | undefined;

  constructor(
    private readonly configuredConsoleUrl: string | undefined,
    private readonly consolePort: number | undefined,
  ) {}

  /** Called once the API's public URL is known. */
  use(apiUrl: string): void {
    this.urls = { apiUrl, consoleUrl: this.configuredConsoleUrl ?? defaultConsoleUrl(apiUrl, this.consolePort) };
  }

  get apiUrl(): string {
    return this.resolved().apiUrl;
  }

  get consoleUrl(): string {
    return this.resolved().consoleUrl;
  }

  /** Cookies are Secure when the console is served over https. */
  get secure(): boolean {
    return this.consoleUrl.startsWith('https:');
  }

  private resolved() {
    if (!this.urls) throw unavailable('the console address is not known yet: the pod is still starting');
    return this.urls;
  }
}
