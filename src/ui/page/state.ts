// What the page knows: the accounts and whether the service is there, kept current by the
// server's event stream (the bus's signals, passed on), never by reloading.
import type { AccountView, Catalogue, SignInEvent, UiEvent } from '../wire.js';
import { sessionKey } from './api.js';

/** The server's events, and the page's own: the stream itself going up or down. */
export type PageEvent = UiEvent | { type: 'stream'; up: boolean };

/** A page's part: told of every event while shown, disposed when the page goes elsewhere. */
export interface View {
  update?(e: PageEvent): void;
  dispose?(): void;
}

const listeners = new Set<(e: PageEvent) => void>();
/** This page's random id: the server learns from it which account the page shows (app.ts). */
export const PAGE = crypto.randomUUID();
export const state = {
  service: true,
  ready: false,
  accounts: new Map<string, AccountView>(),
  catalogue: null as Promise<Catalogue> | null,
  signIns: new Map<string, SignInEvent>(),
};

/** fn(event) after every change; returns the unsubscribe function. */
export function subscribe(fn: (e: PageEvent) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const emit = (e: PageEvent) => {
  for (const fn of [...listeners]) fn(e);
};

export function sortedAccounts(): AccountView[] {
  return [...state.accounts.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** An HTTP refusal of the stream: final, as it is for EventSource. */
class StreamRefused extends Error {}

/** Calls onOpen, then onData with each event's data, until the stream ends; throws StreamRefused on an HTTP error. */
async function readStream(onOpen: () => void, onData: (data: string) => void): Promise<void> {
  // fetch, not EventSource: EventSource cannot send a header, and the key must stay out of URLs.
  const res = await fetch('/api/events', {
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'text/event-stream', 'X-PX-Key': sessionKey(), 'X-PX-Page': PAGE },
  });
  if (!res.ok || !res.body) throw new StreamRefused(`HTTP ${res.status}`);
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

function received(data: string): void {
  // The server's frames are UiEvents (src/ui/service-link.ts), typed by ../wire.ts.
  const e = JSON.parse(data) as UiEvent;
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
    case 'signin': {
      // The stream can bring a sign-in's progress before the answer that named it reaches
      // the page: the latest of each is kept for followSignIn.
      state.signIns.set(e.id, e);
      // Ones never followed (the page went elsewhere) are not kept for ever.
      const oldest = state.signIns.keys().next();
      if (state.signIns.size > 20 && !oldest.done) state.signIns.delete(oldest.value);
      break;
    }
  }
  emit(e);
}

export async function connectEvents(): Promise<void> {
  performance.mark('px-events-open');
  // Reconnects after a second when the stream breaks, as EventSource would (the server's retry:
  // 1000); an HTTP error (no session) is final, as it is for EventSource.
  for (;;) {
    try {
      await readStream(() => emit({ type: 'stream', up: true }), received);
    } catch (err) {
      if (err instanceof StreamRefused) return emit({ type: 'stream', up: false });
    }
    emit({ type: 'stream', up: false });
    await new Promise((r) => setTimeout(r, 1000));
  }
}
