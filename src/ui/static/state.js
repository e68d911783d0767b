// What the page knows: the accounts and whether the service is there, kept current by the
// server's event stream (the bus's signals, passed on), never by reloading.

import { sessionKey } from './api.js';

const listeners = new Set();
export const state = { service: true, ready: false, accounts: new Map(), catalogue: null, signIns: new Map() };

/** fn(event) after every change; returns the unsubscribe function. */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const emit = (e) => { for (const fn of [...listeners]) fn(e); };

export function sortedAccounts() {
  return [...state.accounts.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

export function connectEvents() {
  performance.mark('px-events-open');
  const source = new EventSource(`/api/events?k=${encodeURIComponent(sessionKey())}`);
  source.onmessage = (m) => {
    const e = JSON.parse(m.data);
    switch (e.type) {
      case 'snapshot':
        if (!state.ready) performance.mark('px-first-snapshot');
        state.service = e.service;
        state.accounts = new Map(e.accounts.map((a) => [a.id, a]));
        state.ready = true;
        state.catalogue = null; // a new service instance may know other providers
        break;
      case 'service':
        state.service = e.up;
        break;
      case 'account':
        state.accounts.set(e.account.id, e.account);
        break;
      case 'removed':
        state.accounts.delete(e.id);
        break;
      case 'signin':
        // The stream can bring a sign-in's progress before the answer that named it reaches
        // the page: the latest of each is kept for followSignIn.
        state.signIns.set(e.id, e);
        // Ones never followed (the page went elsewhere) are not kept for ever.
        if (state.signIns.size > 20) state.signIns.delete(state.signIns.keys().next().value);
        break;
    }
    emit(e);
  };
  // EventSource reconnects by itself; while the window's own server is gone, say so.
  source.onerror = () => emit({ type: 'stream', up: false });
  source.onopen = () => emit({ type: 'stream', up: true });
}
