// What the page knows: the accounts and whether the service is there, kept current by the
// server's event stream (the bus's signals, passed on), never by reloading.

import { sessionKey } from './api.js';

const listeners = new Set();
/** This page's random id: the server learns from it which account the page shows (app.js). */
export const PAGE = crypto.randomUUID();
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

/** Calls onOpen, then onData with each event's data, until the stream ends; throws on an HTTP error (with its status). */
async function readStream(onOpen, onData) {
  // fetch, not EventSource: EventSource cannot send a header, and the key must stay out of URLs.
  const res = await fetch('/api/events', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/event-stream', 'X-PX-Key': sessionKey(), 'X-PX-Page': PAGE } });
  if (!res.ok || !res.body) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
  onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
      if (!data.length) continue;
      try {
        onData(data.join('\n'));
      } catch (err) {
        reportError(err); // a listener's error, not a broken stream (as with EventSource)
      }
    }
  }
}

function received(data) {
  const e = JSON.parse(data);
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
}

export async function connectEvents() {
  performance.mark('px-events-open');
  // Reconnects after a second when the stream breaks, as EventSource would (the server's retry:
  // 1000); an HTTP error (no session) is final, as it is for EventSource.
  for (;;) {
    try {
      await readStream(() => emit({ type: 'stream', up: true }), received);
    } catch (err) {
      if (err.status) return emit({ type: 'stream', up: false });
    }
    emit({ type: 'stream', up: false });
    await new Promise((r) => setTimeout(r, 1000));
  }
}
