// One account: live status, check now, its secrets behind an eye button, editing (checked
// before saving), a wallet's balance and transfers, and removal with a confirmation that
// names what goes.
import type { AccountView, RemovalPlan, TransactionView, WordedResult } from '../wire.js';
import {
  field,
  h,
  newId,
  onSubmit,
  providerIcon,
  replace,
  resultsList,
  errorBox,
  say,
  statusLine,
  timeText,
} from './dom.js';
import { ApiError, get, post } from './api.js';
import { catalogue, checkAndSave, protocolToggles, settingsFieldset, type ServerFieldset } from './forms.js';
import { state, type PageEvent, type View } from './state.js';
import { _, formatAmount, formatNumber, ngettext } from './i18n.js';
import { attentionLine } from './list.js';

const MAIL = ['imap', 'smtp', 'pop3', 'caldav', 'carddav'];

function secretsSection(a: AccountView): HTMLElement {
  const rows = a.credentials
    .filter((n) => n !== 'oauth2')
    .map((name) => {
      const value = h('span', { class: 'secret', 'aria-live': 'polite' }, '••••••••');
      const label = name === 'password' ? _('password') : _('{protocol} secret', { protocol: name });
      const showLabel = name === 'password' ? _('Show password') : _('Show {protocol} secret', { protocol: name });
      const hideLabel = name === 'password' ? _('Hide password') : _('Hide {protocol} secret', { protocol: name });
      const eye = h(
        'button',
        {
          type: 'button',
          class: 'eye',
          'aria-pressed': 'false',
          'aria-label': showLabel,
          onclick: async () => {
            if (eye.getAttribute('aria-pressed') === 'true') {
              value.textContent = '••••••••';
              eye.setAttribute('aria-pressed', 'false');
              eye.setAttribute('aria-label', showLabel);
              eye.textContent = _('Show');
              return;
            }
            try {
              const r = await post<{ value: string }>(`/api/accounts/${a.id}/reveal`, { name });
              value.textContent = r.value;
              eye.setAttribute('aria-pressed', 'true');
              eye.setAttribute('aria-label', hideLabel);
              eye.textContent = _('Hide');
            } catch (err) {
              value.textContent =
                (err instanceof ApiError ? err.body.summary : undefined) ??
                (err instanceof Error ? err.message : String(err));
            }
          },
        },
        _('Show'),
      );
      return h('li', {}, h('span', { class: 'secret-name' }, _('{name}:', { name: label }), ' '), value, ' ', eye);
    });
  if (a.credentials.includes('oauth2'))
    rows.push(h('li', {}, _('Signed in with OAuth2: its tokens are handed only to apps.')));
  return h(
    'section',
    { 'aria-labelledby': 'secrets-h' },
    h('h3', { id: 'secrets-h' }, _('Secrets')),
    rows.length ? h('ul', { class: 'secrets' }, rows) : h('p', {}, _('No secret is stored for this account.')),
  );
}

/** An amount and its currency or asset, in the page's digits. */
const money = (amount: string, currency: string) =>
  _('{amount} {currency}', { amount: formatAmount(amount), currency });

function walletSection(a: AccountView, w: NonNullable<AccountView['wallet']>): HTMLElement {
  const list = h('div', {}, h('p', {}, _('Loading transfers…')));
  const load = () =>
    get<TransactionView[]>(`/api/accounts/${a.id}/transactions`).then(
      (txs) =>
        replace(
          list,
          txs.length
            ? h(
                'table',
                { class: 'transfers' },
                h('caption', {}, _('Latest transfers')),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    [_('When'), _('Direction'), _('Amount'), _('Other address'), _('Confirmations')].map((t) =>
                      h('th', { scope: 'col' }, t),
                    ),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  txs.map((t) =>
                    h(
                      'tr',
                      {},
                      h('td', {}, timeText(t.time)),
                      h('td', {}, t.direction === 'in' ? _('Received') : _('Sent')),
                      h('td', {}, money(t.amount, t.asset || w.currency)),
                      h('td', { class: 'mono' }, t.counterparty),
                      h('td', {}, formatNumber(t.confirmations)),
                    ),
                  ),
                ),
              )
            : h('p', {}, _('No transfers seen yet.')),
        ),
      (err) => replace(list, errorBox(err)),
    );
  void load();
  const refresh = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        refresh.disabled = true;
        await post(`/api/accounts/${a.id}/refresh`).catch(() => undefined);
        refresh.disabled = false;
        void load();
      },
    },
    _('Refresh wallet'),
  );
  return h(
    'section',
    { 'aria-labelledby': 'wallet-h', role: 'region' },
    h('h3', { id: 'wallet-h' }, _('Wallet')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, _('Balance')),
      h('dd', { class: 'big' }, money(w.balance, w.currency)),
      w.pendingBalance !== w.balance && [
        h('dt', {}, _('Including pending')),
        h('dd', {}, money(w.pendingBalance, w.currency)),
      ],
      Object.entries(w.assetBalances ?? {})
        .sort()
        .flatMap(([asset, amount]) => [
          h('dt', {}, _('Asset')),
          h('dd', {}, formatAmount(amount), ' ', h('span', { class: 'mono' }, asset)),
        ]),
      h('dt', {}, _('Address')),
      h('dd', { class: 'mono' }, w.address),
      h('dt', {}, _('Network')),
      h('dd', {}, w.network),
      h('dt', {}, _('Last updated')),
      h('dd', {}, timeText(w.lastUpdated) || _('not yet')),
    ),
    refresh,
    list,
  );
}

/** A mail account's sender identity: how its mail is signed (changed with Edit, or px-accounts edit --full-name/--email/--alias). */
function identitySection(a: AccountView): HTMLElement | '' {
  const i = a.identity;
  if (!i) return '';
  return h(
    'section',
    { 'aria-labelledby': 'identity-h' },
    h('h3', { id: 'identity-h' }, _('Sender')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, _('Name')),
      h('dd', {}, i.fullName || _('not set')),
      h('dt', {}, _('Address')),
      h('dd', { class: 'mono' }, i.emailAddress || _('not set')),
      i.aliases.length > 0 && [h('dt', {}, _('Also sends as')), h('dd', { class: 'mono' }, i.aliases.join(', '))],
    ),
  );
}

/**
 * How the account is reached and what was said about it (docs/account-fields.md): the proxy or
 * VPN account it goes through, the kinds of failure the person muted (each can be unmuted), and
 * the notes apps keep on it (read only: they are the apps').
 */
function connectionSection(a: AccountView, onError: (err: unknown) => void): HTMLElement | '' {
  const data = Object.entries(a.data).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  if (!a.parent && a.mutedErrors.length === 0 && data.length === 0) return '';
  const parent = a.parent ? state.accounts.get(a.parent) : undefined;
  const unmute = (code: string) =>
    h(
      'button',
      {
        type: 'button',
        'aria-label': _('Notify again about {code}', { code }),
        onclick: async () => {
          try {
            await post(`/api/accounts/${a.id}/unmute`, { code });
          } catch (err) {
            onError(err);
          }
        },
      },
      _('Notify again'),
    );
  return h(
    'section',
    { 'aria-labelledby': 'connection-h' },
    h('h3', { id: 'connection-h' }, _('Connection and notes')),
    h(
      'dl',
      { class: 'facts' },
      a.parent && [
        h('dt', {}, _('Reached through')),
        h('dd', {}, h('a', { href: `#/account/${a.parent}` }, parent?.name ?? a.parent)),
      ],
      a.mutedErrors.length > 0 && [
        h('dt', {}, _('Not notified about')),
        h(
          'dd',
          {},
          h(
            'ul',
            { class: 'muted-errors' },
            a.mutedErrors.map((code) => h('li', {}, h('span', { class: 'mono' }, code), ' ', unmute(code))),
          ),
        ),
      ],
    ),
    data.length > 0 &&
      h(
        'table',
        { class: 'app-notes' },
        h('caption', {}, _('Notes apps keep on this account')),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, _('Note')), h('th', { scope: 'col' }, _('Value')))),
        h(
          'tbody',
          {},
          data.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', {}, v))),
        ),
      ),
  );
}

/**
 * "Don't notify me about this again" for one kind of failure (Account.MuteError with its code):
 * no AttentionNeeded and no notification until a failure of another kind comes. Once muted the
 * button says so; the connection section lists the kind with "Notify again".
 */
function muteButton(a: AccountView, code: string, onError: (err: unknown) => void): HTMLElement {
  const button: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      class: 'mute',
      'aria-label': _("Don't notify me about {code} again", { code }),
      onclick: async () => {
        button.disabled = true;
        try {
          await post(`/api/accounts/${a.id}/mute`, { code });
          button.replaceWith(h('span', { class: 'muted-note' }, _('Muted: no notification about {code}.', { code })));
        } catch (err) {
          button.disabled = false;
          onError(err);
        }
      },
    },
    _("Don't notify me about this again"),
  );
  return button;
}

/** A failed result the person may mute: the server said something (not a network failure), and not muted yet. */
const mutable = (a: AccountView, r: WordedResult): boolean =>
  !r.ok && r.outcome !== 'network' && !a.mutedErrors.includes(r.code);

/**
 * The proxy or OpenVPN account this one is reached through, as a select of the person's proxy and
 * OpenVPN accounts (docs/account-fields.md); the service checks the choice again (protocols, loops).
 */
function parentField(a: AccountView): { el: HTMLElement; read: () => string } {
  const choices = [...state.accounts.values()]
    .filter((x) => x.id !== a.id && x.protocols.some((p) => p === 'proxy' || p === 'openvpn'))
    .sort((x, y) => x.name.localeCompare(y.name));
  const id = newId('parent');
  const helpId = `${id}-help`;
  const select = h(
    'select',
    { id, name: 'parent', 'aria-describedby': helpId },
    h('option', { value: '', selected: a.parent === '' }, _('None: connect directly')),
    choices.map((x) =>
      h(
        'option',
        { value: x.id, selected: x.id === a.parent },
        _('{account} ({kind})', {
          account: x.name,
          kind: x.protocols.includes('openvpn') ? _('OpenVPN') : _('proxy'),
        }),
      ),
    ),
  );
  // A parent that is not in the list (its file was removed by hand) stays chosen until changed.
  if (a.parent && !choices.some((x) => x.id === a.parent))
    select.append(h('option', { value: a.parent, selected: true }, a.parent));
  return {
    el: h(
      'div',
      { class: 'field' },
      h('label', { for: id }, _('Reached through')),
      select,
      h('p', { class: 'help', id: helpId }, _('Checks go through this proxy, or wait until this VPN is online.')),
    ),
    read: () => select.value,
  };
}

/** The sender identity's fields in the edit form: name, address, other addresses (one per line or comma-separated). */
function senderFields(i: NonNullable<AccountView['identity']>): {
  el: HTMLElement;
  read: () => NonNullable<AccountView['identity']>;
} {
  const [nameWrap, name] = field(_('Sender name'), { value: i.fullName, autocomplete: 'name' });
  const [addressWrap, address] = field(_('Sender address'), {
    value: i.emailAddress,
    type: 'email',
    autocomplete: 'email',
  });
  const [aliasesWrap, aliases] = field(_('Also sends as (addresses, comma-separated)'), {
    value: i.aliases.join(', '),
    autocomplete: 'off',
  });
  return {
    el: h('fieldset', { class: 'sender' }, h('legend', {}, _('Sender')), nameWrap, addressWrap, aliasesWrap),
    read: () => ({
      fullName: name.value.trim(),
      emailAddress: address.value.trim(),
      aliases: aliases.value
        .split(/[,\s]+/)
        .map((x) => x.trim())
        .filter(Boolean),
    }),
  };
}

/** What the administrator decided about the account (docs/policy.md): provisioned (locked), or outside the policy. */
function adminNotes(a: AccountView): HTMLElement[] {
  return [
    ...(a.locked
      ? [
          h(
            'p',
            { class: 'notice-box', 'data-admin': 'locked' },
            _('provisioned by the administrator: only its secrets can be changed'),
          ),
        ]
      : []),
    ...(a.policyViolation
      ? [
          h(
            'p',
            { class: 'notice-box', 'data-admin': 'policy' },
            _("outside the administrator's policy: {reason}", { reason: a.policyViolation }),
          ),
        ]
      : []),
  ];
}

async function editForm(a: AccountView, host: HTMLElement, onSaved: () => void): Promise<HTMLInputElement | undefined> {
  const cat = await catalogue();
  const byId = Object.fromEntries(cat.protocols.map((p) => [p.id, p]));
  const names = Object.fromEntries(cat.protocols.map((p) => [p.id, p.name]));
  const provider = cat.providers.find((p) => p.id === a.provider);
  // Protocols one may switch on: the provider's, or for mail set up by hand the mail group.
  const choices = [
    ...new Set<string>([...a.protocols, ...(provider ? provider.supported : MAIL.includes(a.provider) ? MAIL : [])]),
  ].filter((p) => byId[p]);
  const form = h('form', { class: 'account-form', novalidate: true, 'aria-labelledby': 'edit-h' });
  const out = h('div', { class: 'outcome' });
  const [nameWrap, nameInput] = field(_('Display name'), { value: a.name, autocomplete: 'off' });
  const sets = new Map<string, ServerFieldset>();
  const servers = h('div', { class: 'server-sets' });
  const fieldset = (p: string) => {
    let set = sets.get(p);
    if (!set) sets.set(p, (set = settingsFieldset(byId[p]!, a.settings[p] ?? {}, { edit: true })));
    return set;
  };
  const showServers = (enabled: string[]) =>
    replace(
      servers,
      enabled.map((p) => fieldset(p).el),
    );
  const toggles = choices.length > 1 ? protocolToggles(choices, a.protocols, names, showServers) : undefined;
  const password =
    a.auth === 'password' && !a.wallet
      ? field(_('New password (leave empty to keep the current one)'), {
          type: 'password',
          autocomplete: 'new-password',
        })
      : undefined;
  // Secrets stored for one protocol (an SMTP password that differs) get a field of their own.
  const others: [string, [HTMLDivElement, HTMLInputElement]][] = a.credentials
    .filter((n) => n !== 'password' && n !== 'oauth2')
    .map((n): [string, [HTMLDivElement, HTMLInputElement]] => [
      n,
      field(_('New {protocol} secret (leave empty to keep it)', { protocol: names[n] ?? n }), {
        type: 'password',
        autocomplete: 'new-password',
      }),
    ]);
  const sender = a.identity && !a.locked ? senderFields(a.identity) : undefined;
  const parent = a.locked ? undefined : parentField(a);
  const save = h('button', { type: 'submit', class: 'primary' }, _('Save changes'));
  // A provisioned account (docs/policy.md): only its secrets are the person's to change.
  const own = a.locked
    ? [h('p', { class: 'notice-box' }, _('provisioned by the administrator: only its secrets can be changed'))]
    : [nameWrap, parent?.el ?? '', sender?.el ?? ''];
  form.append(
    h('h3', { id: 'edit-h' }, _('Edit')),
    ...own,
    password?.[0] ?? '',
    ...others.map(([, f]) => f[0]),
    a.locked ? '' : (toggles?.el ?? ''),
    a.locked ? '' : servers,
    h('div', { class: 'buttons' }, save, h('button', { type: 'button', onclick: () => replace(host) }, _('Cancel'))),
  );
  if (!a.locked) showServers(a.protocols);
  onSubmit(form, async (ev) => {
    ev.preventDefault();
    const enabled = toggles && !a.locked ? toggles.read() : a.protocols;
    const settings: Record<string, Record<string, string>> = {};
    if (!a.locked) {
      await Promise.all(enabled.map((p) => fieldset(p).ready()));
      for (const p of enabled) settings[p] = fieldset(p).read();
    }
    const secrets: Record<string, string> = {};
    if (password?.[1].value) secrets.password = password[1].value;
    for (const [n, f] of others) if (f[1].value) secrets[n] = f[1].value;
    const body = {
      name: nameInput.value.trim(),
      protocols: enabled,
      settings,
      secrets,
      ...(sender ? { identity: sender.read() } : {}),
      ...(parent ? { parent: parent.read() } : {}),
    };
    void checkAndSave(`/api/accounts/${a.id}/update`, body, out, save, () => {
      if (password) password[1].value = '';
      for (const [, f] of others) f[1].value = '';
      onSaved();
    });
  });
  replace(host, form, out);
  return password?.[1];
}

async function confirmRemoval(a: AccountView, out: HTMLElement): Promise<void> {
  let plan: RemovalPlan;
  try {
    plan = await get<RemovalPlan>(`/api/accounts/${a.id}/removal`);
  } catch (err) {
    return replace(out, errorBox(err));
  }
  const dialog = h('dialog', { 'aria-labelledby': 'rm-h', 'aria-describedby': 'rm-d' });
  const gone = [
    h('li', {}, _('its settings file ({file})', { file: plan.file })),
    h(
      'li',
      {},
      plan.secrets.length
        ? _('its secrets in the keyring: {names}', { names: plan.secrets.join(', ') })
        : _('no secrets (none stored)'),
    ),
    h(
      'li',
      {},
      plan.grants.length
        ? ngettext('the access of this app: {apps}', 'the access of these {n} apps: {apps}', plan.grants.length, {
            n: formatNumber(plan.grants.length),
            apps: plan.grants.join(', '),
          })
        : _('no app grants (none given)'),
    ),
  ];
  const remove = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: async () => {
        remove.disabled = true;
        try {
          await post(`/api/accounts/${a.id}/remove`);
          dialog.close();
          dialog.remove();
          say(_('Removed {account}.', { account: a.name }));
          location.hash = '#/';
        } catch (err) {
          remove.disabled = false;
          dialog.append(errorBox(err));
        }
      },
    },
    _('Remove'),
  );
  dialog.append(
    h('h3', { id: 'rm-h' }, _('Remove {account}?', { account: a.name })),
    h(
      'div',
      { id: 'rm-d' },
      h('p', {}, _('This deletes:')),
      h('ul', {}, gone),
      h('p', {}, _('Apps that use this account will lose it. This cannot be undone.')),
    ),
    h(
      'div',
      { class: 'buttons' },
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            dialog.close();
            dialog.remove();
          },
        },
        _('Cancel'),
      ),
      remove,
    ),
  );
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
}

export function accountView(main: HTMLElement, id: string, extra: string): View {
  const a0 = state.accounts.get(id);
  if (!a0) {
    main.append(
      h('h2', {}, _('No such account')),
      h('p', {}, _('It may have been removed.'), ' ', h('a', { href: '#/' }, _('Back to the accounts'))),
    );
    // Just added (or signed in): its signal may come a moment after the answer did.
    let shown: View | null = null;
    return {
      update(e: PageEvent) {
        if (shown) return shown.update?.(e);
        if (!state.accounts.has(id)) return;
        main.replaceChildren();
        shown = accountView(main, id, extra);
      },
    };
  }
  const heading = h('h2', {}, a0.name);
  const sub = h('p', { class: 'provider' });
  const status = h('div', { class: 'status-box', role: 'region', 'aria-label': _('Status') });
  const checkOut = h('div', { class: 'outcome' });
  const editHost = h('div', {});
  const walletHost = h('div', {});
  const secretsHost = h('div', {});
  const identityHost = h('div', {});
  const connectionHost = h('div', {});
  let walletShown = '';
  const other = h('div', { class: 'outcome' });
  const check = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        check.disabled = true;
        replace(checkOut, h('p', { role: 'status' }, _('Checking with the servers…')));
        try {
          replace(
            checkOut,
            resultsList((await post<{ results: WordedResult[] }>(`/api/accounts/${id}/verify`)).results, (r) => {
              const a = state.accounts.get(id) ?? a0;
              return mutable(a, r) && [' ', muteButton(a, r.code, (err) => replace(other, errorBox(err)))];
            }),
          );
        } catch (err) {
          replace(checkOut, errorBox(err));
        }
        check.disabled = false;
      },
    },
    _('Check now'),
  );
  const saved = () => {
    say(_('Saved.'));
    replace(editHost);
    draw(state.accounts.get(id) ?? a0);
  };
  const edit = h(
    'button',
    { type: 'button', onclick: () => editForm(state.accounts.get(id) ?? a0, editHost, saved) },
    _('Edit'),
  );
  const remove = h(
    'button',
    { type: 'button', class: 'danger', onclick: () => confirmRemoval(state.accounts.get(id) ?? a0, other) },
    _('Remove account'),
  );
  const adminHost = h('div', {});
  // The status, and while a server refuses the sign-in (the one failure that notifies) the way
  // to sign in again and the way to stop being told.
  const drawStatus = (a: AccountView) => {
    const onError = (err: unknown) => replace(other, errorBox(err));
    replace(
      status,
      statusLine(a),
      a.attentionNeeded && attentionLine(a, onError),
      a.attentionNeeded && !a.mutedErrors.includes('Unauthorized') && muteButton(a, 'Unauthorized', onError),
    );
  };
  const draw = (a: AccountView) => {
    replace(adminHost, adminNotes(a));
    heading.textContent = a.name;
    replace(
      sub,
      a.providerName,
      ' · ',
      h('bdi', {}, a.username),
      ' · ',
      a.protocols.map((p) => p.toUpperCase()).join(', '),
    );
    drawStatus(a);
    drawWallet(a);
    replace(identityHost, identitySection(a));
    replace(
      connectionHost,
      connectionSection(a, (err) => replace(other, errorBox(err))),
    );
    replace(secretsHost, secretsSection(a));
  };
  // A wallet is redrawn when its balance moves; the secrets are not (that would hide a shown value).
  function drawWallet(a: AccountView, force = false) {
    const now = JSON.stringify(a.wallet);
    if (!force && now === walletShown) return;
    walletShown = now;
    replace(walletHost, a.wallet && walletSection(a, a.wallet));
  }
  main.append(
    h('div', { class: 'title' }, providerIcon(a0.provider, a0.providerIcon, a0.providerName), heading),
    sub,
    status,
    adminHost,
    h('div', { class: 'buttons' }, check, edit, a0.locked ? '' : remove),
    checkOut,
    other,
    editHost,
    walletHost,
    identityHost,
    connectionHost,
    secretsHost,
  );
  draw(a0);
  if (extra === 'added') say(_('Added {account}.', { account: a0.name }));
  if (extra === 'password') void editForm(a0, editHost, saved).then((input) => input?.focus());
  return {
    update(e: PageEvent) {
      if (e.type === 'transfer' && e.id === id) {
        drawWallet(state.accounts.get(id) ?? a0, true);
      } else if (e.type === 'removed' && e.id === id) {
        replace(
          main,
          h('h2', {}, _('This account was removed')),
          h('p', {}, h('a', { href: '#/' }, _('Back to the accounts'))),
        );
      } else if ((e.type === 'account' && e.account.id === id) || e.type === 'snapshot') {
        const a = state.accounts.get(id);
        // Status only: redrawing the secrets would hide a value the person asked to see.
        if (a) {
          heading.textContent = a.name;
          replace(adminHost, adminNotes(a));
          drawStatus(a);
          replace(
            sub,
            a.providerName,
            ' · ',
            h('bdi', {}, a.username),
            ' · ',
            a.protocols.map((p) => p.toUpperCase()).join(', '),
          );
          drawWallet(a);
          replace(identityHost, identitySection(a));
          replace(
            connectionHost,
            connectionSection(a, (err) => replace(other, errorBox(err))),
          );
        }
      }
    },
  };
}
