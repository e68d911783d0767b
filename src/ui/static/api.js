// The window's server: GET reads, POST changes (the session cookie goes along by itself).

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
  return answer(await fetch(path, { credentials: 'same-origin' }));
}

export async function post(path, body = {}) {
  return answer(await fetch(path, {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  }));
}
