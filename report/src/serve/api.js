// The team server's API from the browser: same-origin fetch, JSON, the session's CSRF token
// on every state-changing request. Errors are the server's {error: {code, message}}.

let csrf = null;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(token) {
  csrf = token;
}

export async function api(path, { method = 'GET', json, form } = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) body = form;
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  if (r.status === 204) return null;
  const type = r.headers.get('content-type') || '';
  const data = type.includes('json') ? await r.json().catch(() => null) : await r.text();
  if (!r.ok) {
    const e = data && data.error ? data.error : { code: 'http_' + r.status, message: `HTTP ${r.status}` };
    throw new ApiError(r.status, e.code, e.message);
  }
  return data;
}

/** Who is logged in (and the CSRF token), or null: the caller goes to the login page. */
export async function whoami() {
  try {
    const me = await api('/api/me');
    setCsrf(me.csrf);
    return me.user;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/** Follows an SSE stream; `on(type, data)` for each event. Returns the EventSource. */
export function follow(path, types, on) {
  const es = new EventSource(path);
  for (const t of types) es.addEventListener(t, (ev) => {
    let d = null;
    try {
      d = JSON.parse(ev.data);
    } catch {
      return;
    }
    on(t, d);
  });
  return es;
}
