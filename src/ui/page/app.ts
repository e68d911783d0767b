// The Online Accounts window: routes (#/, #/add, #/account/ID, #/access) to views, the offline
// banner, and focus handling so the keyboard follows each change of page.
import { byId, clearOldNotice, h, say } from './dom.js';
import { connectEvents, PAGE, state, subscribe, type View } from './state.js';
import { post } from './api.js';
import { _, formatAmount } from './i18n.js';
import { listView } from './list.js';
import { addView } from './add.js';
import { accountView } from './account.js';
import { accessView } from './access.js';
import { transferView } from './transfer.js';

const main = byId('main');
const banner = byId('offline');
let current: View | null = null;

/** The words of index.html's frame, in the page's language. */
function frame(): void {
  document.title = _('Online Accounts');
  byId('skip').textContent = _('Skip to content');
  byId('title').textContent = _('Online Accounts');
  byId('sections').setAttribute('aria-label', _('Sections'));
  const words: Record<string, string> = { list: _('Accounts'), add: _('Add account'), access: _('App access') };
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a'))
    a.textContent = words[a.dataset.section ?? ''] ?? '';
  banner.textContent = _(
    'The accounts service is not running, so nothing can be shown or changed. This window will catch up by itself when it is back.',
  );
  main.replaceChildren(h('p', {}, _('Loading…')));
}

function render(): void {
  current?.dispose?.();
  clearOldNotice();
  const [, section = '', arg = '', extra = ''] = decodeURIComponent(location.hash).split('/');
  // The service sends no notification about an account this window shows.
  post('/api/showing', { page: PAGE, account: section === 'account' ? arg : '' }).catch(() => undefined);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (a.dataset.section === (section || 'list')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  if (!state.ready) {
    main.append(h('p', {}, _('Loading…')));
    current = null;
    return;
  }
  current =
    section === 'add'
      ? addView(main, arg)
      : section === 'account'
        ? accountView(main, arg, extra)
        : section === 'access'
          ? accessView(main)
          : section === 'transfer'
            ? transferView(main)
            : listView(main);
  // Move focus to the new page's heading, so keyboard and screen-reader users land there.
  main.querySelector('h2')?.setAttribute('tabindex', '-1');
  main.querySelector('h2')?.focus({ preventScroll: true });
  // Which address the page shows now: with <html data-busy> (api.ts), what tells the browser
  // tests that a page change is complete.
  main.dataset.route = location.hash;
}

let rendered = false;
subscribe((e) => {
  if (e.type === 'service' || e.type === 'snapshot') banner.hidden = state.service;
  if (!rendered && state.ready) {
    rendered = true;
    render();
    return;
  }
  // What happens elsewhere is said in the live region, whichever page is open.
  const name = (id: string) => state.accounts.get(id)?.name ?? id;
  if (e.type === 'transfer')
    say(
      _('{account} received {amount} {currency}.', {
        account: name(e.id),
        amount: formatAmount(e.amount),
        currency: state.accounts.get(e.id)?.wallet?.currency ?? '',
      }),
    );
  if (e.type === 'access' && e.requested)
    say(_('{app} asks to use {account}: answer under App access.', { app: e.app, account: name(e.account) }));
  current?.update?.(e);
});

frame();
window.addEventListener('hashchange', render);
void connectEvents();
