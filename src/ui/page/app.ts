// The Online Accounts window: routes (#/, #/add, #/account/ID, #/access) to views, the offline
// banner, and focus handling so the keyboard follows each change of page.
import { byId, clearOldNotice, h, say } from './dom.js';
import { connectEvents, PAGE, state, subscribe, type View } from './state.js';
import { post } from './api.js';
import { listView } from './list.js';
import { addView } from './add.js';
import { accountView } from './account.js';
import { accessView } from './access.js';
import { transferView } from './transfer.js';

const main = byId('main');
const banner = byId('offline');
let current: View | null = null;

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
    main.append(h('p', {}, 'Loading…'));
    current = null;
    return;
  }
  current = section === 'add' ? addView(main, arg)
    : section === 'account' ? accountView(main, arg, extra)
      : section === 'access' ? accessView(main)
        : section === 'transfer' ? transferView(main)
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
  if (e.type === 'transfer') say(`${name(e.id)} received ${e.amount} ${state.accounts.get(e.id)?.wallet?.currency ?? ''}`.trim() + '.');
  if (e.type === 'access' && e.requested) say(`${e.app} asks to use ${name(e.account)}: answer under App access.`);
  current?.update?.(e);
});

window.addEventListener('hashchange', render);
void connectEvents();
