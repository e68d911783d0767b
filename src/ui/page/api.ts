// The window's server: GET reads, POST changes. The session cookie goes along by itself; the
// session's key (handed to this page once, in the first page's body, never in a URL: the
// browser's history keeps URLs) goes in a header.
import type { ErrorBody } from '../wire.js';

const KEY = 'px-accounts-key';
{
  const given = document.querySelector<HTMLMetaElement>('meta[name="px-session-key"]');
  if (given) {
    sessionStorage.setItem(KEY, given.content);
    given.remove();
  }
}
/** The session's key: in every API request, the event stream's included (X-PX-Key). */
export const sessionKey = () => sessionStorage.getItem(KEY) ?? '';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.summary || `HTTP ${status}`);
  }
}

/*
 * Requests in flight, on <html data-busy="N"> while there are any: what the browser tests wait
 * for before they look at a page (an awaitable "settled" instead of a guessed pause).
 */
let inFlight = 0;
function busy(delta: number): void {
  inFlight += delta;
  if (inFlight > 0) document.documentElement.dataset.busy = String(inFlight);
  else delete document.documentElement.dataset.busy;
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  busy(+1);
  try {
    const res = await fetch(path, { ...init, credentials: 'same-origin' });
    // The JSON is the server's answer for this route (src/ui/api.ts, typed by ../wire.ts): the
    // one place the page takes a shape on trust.
    const body: unknown = res.headers.get('content-type')?.startsWith('application/json')
      ? await res.json()
      : { summary: await res.text() };
    if (!res.ok) throw new ApiError(res.status, body ?? {});
    return body as T;
  } finally {
    busy(-1);
  }
}

export function get<T>(path: string): Promise<T> {
  return call<T>(path, { headers: { 'X-PX-Key': sessionKey() } });
}

export function post<T = unknown>(path: string, body: object = {}): Promise<T> {
  return call<T>(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-PX-Key': sessionKey() },
    body: JSON.stringify(body),
  });
}
