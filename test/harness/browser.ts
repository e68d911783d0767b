// What a person does in a browser during a sign-in, over plain HTTP: follow redirects (with
// cookies), fill in and submit the forms the provider shows (login, consent, device code), and
// end on whatever page the last redirect lands on — the service's loopback listener, normally.
export interface Page {
  url: string;
  status: number;
  text: string;
}

export interface Person {
  login: string;
  password?: string;
  /** false: press the consent page's abort button (if there is one) instead of continuing. */
  consent?: boolean;
}

export class Browser {
  private readonly jar = new Map<string, string>();
  /** Every URL visited, in order. */
  readonly visited: string[] = [];

  async open(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Page> {
    let method = init.method ?? 'GET';
    let body = init.body;
    for (let hop = 0; hop < 20; hop++) {
      this.visited.push(url);
      const res = await fetch(url, {
        method,
        redirect: 'manual',
        headers: {
          cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(body ? { body } : {}),
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        this.jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      const location = res.headers.get('location');
      if (location && res.status >= 300 && res.status < 400) {
        url = new URL(location, url).href;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { url, status: res.status, text: await res.text() };
    }
    throw new Error('too many redirects');
  }

  /** Signs in on the provider's pages from `url` on, submitting forms until none is left. */
  async signIn(url: string, person: Person, userCode?: string): Promise<Page> {
    let page = await this.open(url);
    for (let n = 0; n < 8; n++) {
      // Refusing: the provider's pages offer a link that aborts the interaction.
      const abort = person.consent === false ? /href="([^"]*\/abort)"/.exec(page.text) : null;
      if (abort) {
        page = await this.open(new URL(abort[1]!, page.url).href);
        continue;
      }
      const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(page.text);
      if (!form) return page;
      const fields = new URLSearchParams();
      for (const m of form[2]!.matchAll(/<(input|button)\b[^>]*>/g)) {
        const tag = m[0];
        const name = /name="([^"]+)"/.exec(tag)?.[1];
        const value = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
        if (!name || (m[1] === 'button' && name === 'abort')) continue;
        fields.set(
          name,
          name === 'login'
            ? person.login
            : name === 'password'
              ? (person.password ?? 'any')
              : name === 'user_code' && userCode
                ? userCode
                : value,
        );
      }
      page = await this.open(new URL(form[1]!.replace(/&amp;/g, '&'), page.url).href, { method: 'POST', body: fields });
    }
    return page;
  }
}
