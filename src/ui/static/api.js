// The window's server: GET reads, POST changes. The session cookie goes along by itself; the
// session's key (handed to this page once, in the first page's body, never in a URL: the
// browser's history keeps URLs) goes in a header.

const KEY = 'px-accounts-key';
{
  const given = document.querySelector('meta[name="px-session-key"]');
  if (given) {
    sessionStorage.setItem(KEY, given.content);
    given.remove();
  }
}
/** The session's key: in every API request, the event stream's included (X-PX-Key). */
export const sessionKey = () => sessionStorage.getItem(KEY) ?? '';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.summary || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function answer(res) {
  const body = res.headers.get('content-type')?.startsWith('application/json') ? await res.json() : { summary: await res.text() };
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { credentials: 'same-origin', headers: { 'X-PX-Key': sessionKey() } }));
}

export async function post(path, body = {}) {
  return answer(await fetch(path, {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-PX-Key': sessionKey() }, body: JSON.stringify(body),
  }));
}
