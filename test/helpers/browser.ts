/**
 * A browser, as far as the console's sign-in needs one: fetch with a cookie jar per host (no
 * paths, no expiry beyond Max-Age=0 deleting), redirects followed by hand so a test can look at
 * each hop, and HTML forms submitted by name.
 */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  cookies(url: string): Map<string, string> {
    const host = new URL(url).host;
    let cookies = this.jar.get(host);
    if (!cookies) this.jar.set(host, (cookies = new Map()));
    return cookies;
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const cookies = this.cookies(url);
    const headers = new Headers(init.headers);
    if (cookies.size > 0) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/;\s*max-age=0/i.test(line) || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    return res;
  }

  /** GETs `url` and follows redirects until an answer that is not one, or `stop` says so. */
  async follow(url: string, stop: (url: string) => boolean = () => false, hops = 20): Promise<{ url: string; res: Response }> {
    let current = url;
    for (let i = 0; i < hops; i++) {
      if (stop(current)) return { url: current, res: new Response(null, { status: 204 }) };
      const res = await this.request(current);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { url: current, res };
      await res.arrayBuffer();
      current = new URL(location, current).href;
    }
    throw new Error(`more than ${hops} redirects from ${url}`);
  }

  /** Posts the first form of `html` (its action relative to `pageUrl`), with `fields` added. */
  async submitForm(pageUrl: string, html: string, fields: Record<string, string> = {}): Promise<Response> {
    const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) throw new Error(`no form on ${pageUrl}: ${html.slice(0, 300)}`);
    const body = new URLSearchParams();
    for (const input of (form[2] as string).matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      if (name) body.set(name, value);
    }
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    const action = new URL((form[1] as string).replace(/&amp;/g, '&'), pageUrl).href;
    return this.request(action, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
}
