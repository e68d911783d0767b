// The accounts list: each account with its live status, and what to do when it needs attention.
import type { AccountView } from '../wire.js';
import { h, providerIcon, replace, say, statusLine } from './dom.js';
import { post } from './api.js';
import { sortedAccounts, state, type View } from './state.js';
import { followSignIn } from './sign-in.js';

/** The attention action of an account: enter the password again, or sign in again (OAuth2). */
export function attentionAction(a: AccountView, onError: (err: unknown) => void): HTMLElement {
  if (a.auth === 'oauth2') {
    return h('button', {
      type: 'button', 'aria-label': `Sign in again to ${a.name}`,
      onclick: async (ev: Event) => {
        const holder = (ev.currentTarget as HTMLElement).parentElement;
        try {
          const { id } = await post<{ id: string }>(`/api/accounts/${a.id}/sign-in-again`, {});
          holder?.append(followSignIn(id, a.providerName, () => undefined));
        } catch (err) {
          onError(err);
        }
      },
    }, 'Sign in again');
  }
  return h('a', { class: 'button', href: `#/account/${a.id}/password`, 'aria-label': `Enter the password of ${a.name}` }, 'Enter password');
}

function item(a: AccountView): HTMLLIElement {
  return h('li', { class: `account ${a.status}`, 'data-id': a.id },
    h('div', { class: 'who' },
      providerIcon(a.provider, a.providerIcon, a.providerName),
      h('a', { href: `#/account/${a.id}`, class: 'name' }, a.name),
      h('span', { class: 'provider' }, `${a.providerName} · ${a.username}`),
      a.wallet && h('span', { class: 'balance' }, `${a.wallet.balance} ${a.wallet.currency}`)),
    statusLine(a),
    a.attentionNeeded && h('p', { class: 'attention' }, h('strong', {}, 'Needs your attention: '),
      'the server refused the sign-in. ', attentionAction(a, (err) => say(`Signing in again to ${a.name} did not start: ${err instanceof Error ? err.message : String(err)}`))));
}

export function listView(main: HTMLElement): View {
  const list = h('ul', { class: 'accounts', 'aria-label': 'Accounts' });
  const empty = h('p', { class: 'empty' }, 'No accounts yet. ', h('a', { href: '#/add' }, 'Add one'), '.');
  const draw = () => {
    const accounts = sortedAccounts();
    replace(list, accounts.map(item));
    empty.hidden = accounts.length > 0 || !state.service;
    // For bench/ui.ts: when the list first showed accounts.
    if (accounts.length && !performance.getEntriesByName('px-list').length) performance.mark('px-list');
  };
  main.append(h('h2', {}, 'Accounts'), empty, list,
    h('p', { class: 'help' }, h('a', { href: '#/transfer' }, 'Export or import accounts'), ': take them to another computer.'));
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
