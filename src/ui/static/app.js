// The Online Accounts window: routes (#/, #/add, #/account/ID, #/access) to views, the offline
// banner, and focus handling so the keyboard follows each change of page.
import { clearOldNotice, h } from './dom.js';
import { connectEvents, state, subscribe } from './state.js';
import { listView } from './list.js';
import { addView } from './add.js';
import { accountView } from './account.js';
import { accessView } from './access.js';

const main = document.getElementById('main');
const banner = document.getElementById('offline');
let current = null; // { dispose?, update? }

function render() {
  current?.dispose?.();
  clearOldNotice();
  const [, section = '', arg = '', extra = ''] = decodeURIComponent(location.hash).split('/');
  for (const a of document.querySelectorAll('nav a')) {
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
        : listView(main);
  // Move focus to the new page's heading, so keyboard and screen-reader users land there.
  main.querySelector('h2')?.setAttribute('tabindex', '-1');
  main.querySelector('h2')?.focus({ preventScroll: true });
}

let rendered = false;
subscribe((e) => {
  if (e.type === 'service' || e.type === 'snapshot') banner.hidden = state.service;
  if (!rendered && state.ready) {
    rendered = true;
    render();
    return;
  }
  current?.update?.(e);
});

window.addEventListener('hashchange', render);
connectEvents();
