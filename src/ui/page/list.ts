// The accounts list: each account with its live status, and what to do when it needs attention.
import type { AccountView } from '../wire.js';
import { h, parts, providerIcon, replace, say, statusLine } from './dom.js';
import { _, formatAmount, formatNumber, ngettext } from './i18n.js';
import { post } from './api.js';
import { sortedAccounts, state, type View } from './state.js';
import { followSignIn } from './sign-in.js';

/** The attention action of an account: enter the password again, or sign in again (OAuth2). */
export function attentionAction(a: AccountView, onError: (err: unknown) => void): HTMLElement {
  if (a.auth === 'oauth2') {
    return h(
      'button',
      {
        type: 'button',
        'aria-label': _('Sign in again to {account}', { account: a.name }),
        onclick: async (ev: Event) => {
          const holder = (ev.currentTarget as HTMLElement).parentElement;
          try {
            const { id } = await post<{ id: string }>(`/api/accounts/${a.id}/sign-in-again`, {});
            holder?.append(followSignIn(id, a.providerName, () => undefined));
          } catch (err) {
            onError(err);
          }
        },
      },
      _('Sign in again'),
    );
  }
  return h(
    'a',
    {
      class: 'button',
      href: `#/account/${a.id}/password`,
      'aria-label': _('Enter the password of {account}', { account: a.name }),
    },
    _('Enter password'),
  );
}

/** "Needs your attention: the server refused the sign-in." with what to do about it. */
export function attentionLine(a: AccountView, onError: (err: unknown) => void): HTMLParagraphElement {
  return h(
    'p',
    { class: 'attention' },
    h('strong', {}, _('Needs your attention:')),
    ' ',
    _('the server refused the sign-in.'),
    ' ',
    attentionAction(a, onError),
  );
}

function item(a: AccountView): HTMLLIElement {
  return h(
    'li',
    { class: `account ${a.status}`, 'data-id': a.id },
    h(
      'div',
      { class: 'who' },
      providerIcon(a.provider, a.providerIcon, a.providerName),
      h('a', { href: `#/account/${a.id}`, class: 'name' }, a.name),
      h('span', { class: 'provider' }, a.providerName, ' · ', h('bdi', {}, a.username)),
      a.wallet &&
        h(
          'span',
          { class: 'balance' },
          _('{amount} {currency}', { amount: formatAmount(a.wallet.balance), currency: a.wallet.currency }),
        ),
    ),
    statusLine(a),
    a.attentionNeeded &&
      attentionLine(a, (err) =>
        say(
          _('Signing in again to {account} did not start: {error}', {
            account: a.name,
            error: err instanceof Error ? err.message : String(err),
          }),
        ),
      ),
  );
}

export function listView(main: HTMLElement): View {
  const list = h('ul', { class: 'accounts', 'aria-label': _('Accounts') });
  const empty = h(
    'p',
    { class: 'empty' },
    parts(_('No accounts yet. {link}.'), { link: h('a', { href: '#/add' }, _('Add one')) }),
  );
  const count = h('p', { class: 'count' });
  const draw = () => {
    const accounts = sortedAccounts();
    replace(list, accounts.map(item));
    empty.hidden = accounts.length > 0 || !state.service;
    count.textContent = accounts.length
      ? ngettext('{n} account', '{n} accounts', accounts.length, { n: formatNumber(accounts.length) })
      : '';
    // For bench/ui.ts: when the list first showed accounts.
    if (accounts.length && !performance.getEntriesByName('px-list').length) performance.mark('px-list');
  };
  main.append(
    h('h2', {}, _('Accounts')),
    count,
    empty,
    list,
    h(
      'p',
      { class: 'help' },
      parts(_('{link}: take them to another computer.'), {
        link: h('a', { href: '#/transfer' }, _('Export or import accounts')),
      }),
    ),
  );
  draw();
  return {
    update(e) {
      if (e.type === 'account') {
        const old = list.querySelector(`li[data-id="${CSS.escape(e.account.id)}"]`);
        if (old) return old.replaceWith(item(e.account));
      }
      if (['account', 'removed', 'snapshot', 'service'].includes(e.type)) draw();
    },
  };
}
