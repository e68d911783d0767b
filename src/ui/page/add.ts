// Adding an account: the catalogue (searchable) and set-up by hand, then a form that checks
// with the servers before saving, or an OAuth2 sign-in for providers that use it.
import type { ProtocolInfo, Provider } from '../../client/types.js';
import type { AccountView, Catalogue, DiscoveryView } from '../wire.js';
import { bytesToBase64, field, h, onSubmit, providerIcon, replace, errorBox } from './dom.js';
import { ApiError, post } from './api.js';
import { catalogue, checkAndSave, protocolToggles, settingsFieldset, type ServerFieldset } from './forms.js';
import { followSignIn } from './sign-in.js';
import { _, N_ } from './i18n.js';
import type { View } from './state.js';

const MAIL = ['imap', 'smtp', 'pop3', 'caldav', 'carddav'];

/** Set-up by hand: "Other (IMAP/SMTP…)" and each other protocol on its own (wallets by address). */
function manualEntries(protocols: ProtocolInfo[]): { id: string; name: string; hint: string }[] {
  const out = [
    { id: 'manual-mail', name: _('Other (IMAP/SMTP…)'), hint: _('mail, calendar and contacts on servers you name') },
  ];
  for (const p of protocols) {
    if (MAIL.includes(p.id)) continue;
    out.push({
      id: `manual-${p.id}`,
      name: p.liveInterface ? _('{currency} wallet', { currency: p.name }) : p.name,
      hint: p.liveInterface ? _('watch an address: no key needed') : _('a server you name'),
    });
  }
  return out;
}

/** Where discovered settings came from, in words. */
const SOURCE_WORDS: Record<string, string> = {
  catalogue: N_('Found the settings of {domain} in the provider catalogue.'),
  database: N_('Found the settings of {domain} in the provider database that comes with Online Accounts.'),
  autoconfig: N_("Found the settings of {domain} in the domain's own configuration file."),
  srv: N_("Found the settings of {domain} in the domain's DNS records."),
  ispdb: N_("Found the settings of {domain} in Thunderbird's online provider database."),
  mx: N_("Found the settings of {domain} from the provider of the domain's mail server."),
  guess: N_('Found the settings of {domain} by trying the usual server names.'),
};

/**
 * The first thing a new person meets: an e-mail address and a password. The service finds the
 * servers; the page says what it found and from where, asks before using settings it cannot
 * vouch for, and the service checks every server before anything is saved.
 */
/**
 * A self-hosted server's certificate that no authority vouches for (docs/discovery.md): its
 * SHA-256 fingerprint, to compare with what the server's administrator gives, and a confirmed
 * choice to accept exactly that certificate for this account — never every certificate.
 */
function certificateQuestion(presented: Record<string, string>, accept: () => void): HTMLElement {
  const button = h(
    'button',
    { type: 'button', class: 'primary', disabled: true, onclick: () => accept() },
    _('Accept this certificate and add'),
  );
  const [confirmWrap, confirm] = field(_("I compared the fingerprint with the one my server's administrator gave me"), {
    type: 'checkbox',
  });
  confirm.addEventListener('change', () => {
    button.disabled = !confirm.checked;
  });
  return h(
    'div',
    { class: 'notice-box', role: 'alert' },
    h(
      'p',
      {},
      _(
        'The server presents a certificate that no authority this computer trusts vouches for. If it is your own server, compare its fingerprint with the one you know before you accept it.',
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      Object.entries(presented).flatMap(([server, fingerprint]) => [
        h('dt', {}, h('bdi', {}, server)),
        h('dd', { class: 'mono fingerprint' }, h('bdi', {}, fingerprint)),
      ]),
    ),
    confirmWrap,
    h('div', { class: 'buttons' }, button),
  );
}

function addressForm(cat: Catalogue): [HTMLFormElement, HTMLDivElement] {
  const form = h('form', { class: 'account-form', novalidate: true });
  const found = h('div', { class: 'outcome', 'aria-live': 'polite' });
  const [addressWrap, address] = field(_('E-mail address'), {
    type: 'email',
    autocomplete: 'username',
    required: true,
    spellcheck: 'false',
  });
  const [passWrap, password] = field(_('Password'), { type: 'password', autocomplete: 'current-password' });
  const next = h('button', { type: 'submit', class: 'primary' }, _('Continue'));
  form.append(addressWrap, passWrap, h('div', { class: 'buttons' }, next));
  let asked = '';
  const show = (d: DiscoveryView) => {
    const servers = h(
      'ul',
      { 'aria-label': _('Servers found') },
      ...d.protocols.map((p) => {
        const s = d.settings[p] ?? {};
        return h(
          'li',
          {},
          `${p.toUpperCase()}: `,
          h('bdi', {}, s.url ?? `${s.host}:${s.port}`),
          s.security ? ` (${s.security === 'tls' ? 'TLS' : 'STARTTLS'})` : '',
        );
      }),
    );
    const said = SOURCE_WORDS[d.source];
    const parts: HTMLElement[] = [
      h(
        'p',
        {},
        said
          ? _(said, { domain: d.domain })
          : _('Found the settings of {domain} ({source}).', { domain: d.domain, source: d.source }),
      ),
      servers,
    ];
    if (d.auth === 'oauth2' && d.provider) {
      const provider = cat.providers.find((p) => p.id === d.provider);
      const names = { provider: provider?.name ?? d.provider };
      parts.push(
        h(
          'p',
          {},
          _('{provider} signs in on its own page, not with a password here.', names),
          ' ',
          h('a', { href: `#/add/${d.provider}` }, _('Sign in with {provider}', names)),
        ),
      );
      replace(found, ...parts);
      return;
    }
    const add = h('button', { type: 'button', class: 'primary' }, _('Add account'));
    let trust: HTMLInputElement | undefined;
    if (!d.trusted) {
      const own = address.value.trim().split('@').pop() ?? '';
      const [trustWrap, box] = field(
        _('{domain} is my mail provider: use its settings for {own}', { domain: d.domain, own }),
        { type: 'checkbox' },
      );
      trust = box;
      add.disabled = true;
      box.addEventListener('change', () => {
        add.disabled = !box.checked;
      });
      parts.push(
        h(
          'p',
          { class: 'notice-box', role: 'alert' },
          _(
            'These settings are published by {domain}, not by {own} over a secure connection. Use them only if {domain} really runs your mail.',
            { domain: d.domain, own },
          ),
        ),
        trustWrap,
      );
    }
    const outcome = h('div', { class: 'outcome' });
    const send = async (certificates: Record<string, string>) => {
      add.disabled = true;
      replace(outcome, h('p', { role: 'status' }, _('Checking with the servers…')));
      try {
        const answer = await post<{ account: AccountView }>('/api/accounts', {
          provider: '',
          account: address.value.trim(),
          password: password.value,
          ...(trust?.checked ? { trust: true } : {}),
          certificates,
        });
        password.value = '';
        location.hash = `#/account/${answer.account.id}/added`;
      } catch (err) {
        const presented = err instanceof ApiError ? err.body.certificates : undefined;
        replace(
          outcome,
          presented && Object.keys(presented).length
            ? certificateQuestion(presented, () => void send({ ...certificates, ...presented }))
            : errorBox(err),
        );
        add.disabled = Boolean(trust && !trust.checked);
      }
    };
    add.addEventListener('click', () => void send({}));
    parts.push(h('div', { class: 'buttons' }, add), outcome);
    replace(found, ...parts);
  };
  onSubmit(form, async (ev) => {
    ev.preventDefault();
    const value = address.value.trim();
    if (!value.includes('@')) {
      replace(found, h('p', { role: 'alert' }, _('Enter your e-mail address, such as name@example.org.')));
      return;
    }
    asked = value;
    next.disabled = true;
    replace(
      found,
      h('p', { role: 'status' }, _('Looking for the settings of {domain}…', { domain: value.split('@').pop() ?? '' })),
    );
    try {
      const d = await post<DiscoveryView>('/api/discover', { address: value });
      if (asked === value) show(d);
    } catch (err) {
      if (asked !== value) return;
      if (err instanceof ApiError && err.body.kind === 'NotFound') {
        replace(
          found,
          h(
            'p',
            { role: 'alert' },
            _('No settings were found for {domain}.', { domain: value.split('@').pop() ?? '' }),
            ' ',
            h('a', { href: '#/add/manual-mail' }, _('Set up the servers by hand')),
          ),
        );
      } else replace(found, errorBox(err));
    } finally {
      next.disabled = false;
    }
  });
  return [form, found];
}

function chooser(main: HTMLElement, cat: Catalogue): void {
  const [searchWrap, search] = field(_('Search providers'), { type: 'search', autocomplete: 'off' });
  const providers = h('ul', { class: 'choices', 'aria-label': _('Providers') });
  const manual = h('ul', { class: 'choices', 'aria-label': _('Set up by hand') });
  const entry = (id: string, name: string, hint: string, icon?: string) =>
    h(
      'li',
      { 'data-name': name.toLowerCase() },
      h(
        'a',
        { href: `#/add/${id}`, class: 'choice' },
        providerIcon(id, icon, name),
        name,
        hint && h('span', { class: 'hint' }, hint),
      ),
    );
  // A provider the administrator's policy refuses (docs/policy.md) is listed, not offered: the reason instead of a link.
  const refused = (p: Provider) =>
    h(
      'li',
      { 'data-name': p.name.toLowerCase(), 'aria-disabled': 'true' },
      h(
        'span',
        { class: 'choice' },
        providerIcon(p.id, p.icon, p.name),
        p.name,
        h('span', { class: 'hint' }, p.denied),
      ),
    );
  replace(
    providers,
    cat.providers.map((p) =>
      p.denied
        ? refused(p)
        : entry(p.id, p.name, p.auth === 'oauth2' ? _('sign in with the provider') : p.domain, p.icon),
    ),
  );
  replace(
    manual,
    manualEntries(cat.protocols).map((m) => entry(m.id, m.name, m.hint)),
  );
  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    for (const li of [...providers.children, ...manual.children] as HTMLLIElement[])
      li.hidden = q !== '' && !(li.dataset.name ?? '').includes(q);
  });
  main.append(
    h('h2', {}, _('Add an account')),
    ...addressForm(cat),
    h('h3', {}, _('Or choose your provider')),
    searchWrap,
    providers,
    h('h3', {}, _('Set up by hand')),
    manual,
  );
}

/**
 * "Sign in with …" (the browser flow: the provider's page opens in the browser) and "Sign in on
 * another device" (the device flow: a code to type at the provider's address, on a phone say).
 */
function signInButtons(
  form: HTMLFormElement,
  provider: Provider,
  enabledOf: () => string[],
  nameInput: HTMLInputElement,
  accountInput: HTMLInputElement,
  out: HTMLElement,
): HTMLButtonElement[] {
  const buttons: HTMLButtonElement[] = [];
  const start = (flow: 'browser' | 'device') => async () => {
    for (const b of buttons) b.disabled = true;
    try {
      const body = {
        provider: provider.id,
        account: accountInput.value.trim(),
        name: nameInput.value.trim(),
        protocols: enabledOf(),
        flow,
      };
      const { id } = await post<{ id: string }>('/api/sign-in', body);
      replace(
        out,
        followSignIn(id, provider.name, (account) => {
          location.hash = `#/account/${account}`;
        }),
      );
    } catch (err) {
      replace(out, errorBox(err));
    } finally {
      for (const b of buttons) b.disabled = !provider.oauth2Configured;
    }
  };
  buttons.push(
    h(
      'button',
      { type: 'button', onclick: start('browser') },
      _('Sign in with {provider}', { provider: provider.name }),
    ),
    h('button', { type: 'button', onclick: start('device') }, _('Sign in on another device')),
  );
  if (!provider.oauth2Configured) {
    for (const b of buttons) b.disabled = true;
    form.append(
      h(
        'p',
        { class: 'help' },
        _(
          'Sign-in with {provider} is not set up on this computer: a client id is needed in oauth2.ini (see docs/oauth2.md).',
          { provider: provider.name },
        ),
      ),
    );
  }
  return buttons;
}

/** Nextcloud: the server's address and a sign-in in the browser (Login Flow v2, docs/nextcloud.md). */
function nextcloudForm(
  form: HTMLFormElement,
  out: HTMLElement,
  provider: Provider,
  names: Record<string, string>,
): void {
  const [serverWrap, serverInput] = field(
    _('Server address'),
    { type: 'url', autocomplete: 'url', required: true, spellcheck: 'false', placeholder: 'https://cloud.example.org' },
    _(
      'The address you open Nextcloud at. You sign in there, in your browser, and this computer gets an app password of its own.',
    ),
  );
  const [nameWrap, nameInput] = field(_('Display name (optional)'), { autocomplete: 'off' });
  const toggles = protocolToggles(provider.supported, provider.protocols, names);
  const button = h(
    'button',
    { type: 'submit', class: 'primary' },
    _('Sign in with {provider}', { provider: provider.name }),
  );
  form.append(serverWrap, nameWrap, toggles.el, h('div', { class: 'buttons' }, button));
  onSubmit(form, async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const body = {
        provider: provider.id,
        server: serverInput.value.trim(),
        name: nameInput.value.trim(),
        protocols: toggles.read(),
        flow: 'browser',
      };
      const { id } = await post<{ id: string }>('/api/sign-in', body);
      replace(
        out,
        followSignIn(id, provider.name, (account) => {
          location.hash = `#/account/${account}`;
        }),
      );
    } catch (err) {
      replace(out, errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
}

function accountForm(main: HTMLElement, cat: Catalogue, choice: string): void {
  const protocolsById = Object.fromEntries(cat.protocols.map((p) => [p.id, p]));
  const names = Object.fromEntries(cat.protocols.map((p) => [p.id, p.name]));
  const provider = cat.providers.find((p) => p.id === choice);
  const manual = choice.startsWith('manual-') ? choice.slice('manual-'.length) : '';
  if (!provider && !(manual === 'mail' || protocolsById[manual])) {
    main.append(
      h('h2', {}, _('Add an account')),
      h('p', {}, _('There is no such provider.'), ' ', h('a', { href: '#/add' }, _('Choose another'))),
    );
    return;
  }
  const info = manual && manual !== 'mail' ? protocolsById[manual] : undefined;
  const wallet = Boolean(info?.liveInterface);
  // Past the check above: a provider, set-up by hand of mail, or a protocol (info).

  const form = h('form', { class: 'account-form', novalidate: true });
  const out = h('div', { class: 'outcome' });
  const heading = provider
    ? _('Add a {provider} account', { provider: provider.name })
    : info
      ? wallet
        ? _('Add a {currency} wallet', { currency: info.name })
        : _('Add an account on {protocol}', { protocol: info.name })
      : _('Add an account on mail servers');
  main.append(h('h2', {}, heading));
  if (provider?.notice) main.append(h('p', { class: 'notice-box' }, provider.notice));
  main.append(form, out);
  if (provider && provider.supported.length === 0) return;
  if (provider?.auth === 'nextcloud') return nextcloudForm(form, out, provider, names);

  const [accountWrap, accountInput] = field(
    wallet ? _('Address') : provider ? _('E-mail address') : _('User name or e-mail address'),
    { autocomplete: wallet ? 'off' : 'username', required: true, spellcheck: 'false' },
    provider?.domain ? _('A bare login is completed with @{domain}.', { domain: provider.domain }) : '',
  );
  const [passWrap, passInput] = field(_('Password'), { type: 'password', autocomplete: 'current-password' });
  const [nameWrap, nameInput] = field(_('Display name (optional)'), { autocomplete: 'off' });
  const servers = h('div', { class: 'server-sets' });
  const sets = new Map<string, ServerFieldset>();
  let profileInput: HTMLInputElement | undefined;
  const showServers = (enabled: string[]) => {
    if (provider) return; // the catalogue knows the servers; change them after adding
    for (const p of enabled) {
      const info = protocolsById[p];
      if (info && !sets.has(p) && p !== 'openvpn') sets.set(p, settingsFieldset(info));
    }
    replace(
      servers,
      enabled.flatMap((p) => sets.get(p)?.el ?? []),
    );
  };
  let toggles: ReturnType<typeof protocolToggles> | undefined;
  if (provider) toggles = protocolToggles(provider.supported, provider.protocols, names);
  else if (manual === 'mail')
    toggles = protocolToggles(
      MAIL.filter((p) => protocolsById[p]),
      ['imap', 'smtp'],
      names,
      showServers,
    );
  const enabledOf = () => (toggles ? toggles.read() : [manual]);
  form.append(accountWrap);
  const oauth = provider && provider.auth !== 'password';
  if (!wallet && !(provider?.auth === 'oauth2')) form.append(passWrap);
  let companionInput: HTMLInputElement | undefined;
  if (info?.imports.includes('profile')) {
    const [profileWrap, input] = field(_('Profile (.ovpn file)'), { type: 'file', accept: '.ovpn,.conf' });
    const [filesWrap, files] = field(
      _('Files the profile names (optional)'),
      { type: 'file', multiple: true },
      _('Certificates and keys that come as separate files next to the profile (ca.crt, ta.key…): pick them all here.'),
    );
    profileInput = input;
    companionInput = files;
    form.append(profileWrap, filesWrap);
  }
  form.append(nameWrap);
  if (toggles) form.append(toggles.el);
  form.append(servers);
  showServers(enabledOf());
  const buttons = h('div', { class: 'buttons' });
  form.append(buttons);
  if (oauth) buttons.append(...signInButtons(form, provider, enabledOf, nameInput, accountInput, out));
  if (provider?.auth === 'oauth2') return;
  const submit = h('button', { type: 'submit', class: 'primary' }, _('Add account'));
  buttons.append(submit);
  onSubmit(form, async (ev) => {
    ev.preventDefault();
    const enabled = enabledOf();
    const settings: Record<string, Record<string, string>> = {};
    for (const p of enabled) {
      const set = sets.get(p);
      if (set) settings[p] = set.read();
    }
    const profile = profileInput?.files?.[0];
    let files: Record<string, Record<string, string>> | undefined;
    if (profile) {
      settings[manual] = { ...settings[manual], profile: await profile.text() };
      const picked = [...(companionInput?.files ?? [])];
      if (picked.length)
        files = {
          [`${manual}.profile`]: Object.fromEntries(
            await Promise.all(
              picked.map(async (f): Promise<[string, string]> => [
                f.name,
                bytesToBase64(new Uint8Array(await f.arrayBuffer())),
              ]),
            ),
          ),
        };
    }
    const body = {
      provider: provider ? provider.id : enabled[0],
      account: accountInput.value.trim(),
      name: nameInput.value.trim(),
      protocols: enabled,
      settings,
      ...(passInput.value ? { password: passInput.value } : {}),
      ...(files ? { files } : {}),
    };
    void checkAndSave<{ account: AccountView }>('/api/accounts', body, out, submit, (answer) => {
      passInput.value = '';
      location.hash = `#/account/${answer.account.id}/added`;
    });
  });
}

export function addView(main: HTMLElement, choice: string): View {
  let alive = true;
  catalogue().then(
    (cat) => {
      if (!alive) return;
      if (choice) accountForm(main, cat, choice);
      else chooser(main, cat);
      main.querySelector('h2')?.setAttribute('tabindex', '-1');
      main.querySelector('h2')?.focus({ preventScroll: true });
    },
    (err) => alive && main.append(h('h2', {}, _('Add an account')), errorBox(err)),
  );
  return {
    dispose: () => {
      alive = false;
    },
  };
}
