// Talking to the server. A refusal carries the server's {code, message, details};
// a request that never got an answer is a NetworkError, so callers can tell the two apart.

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code || 'http_error';
    this.details = body.details || {};
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super('network unavailable');
    this.name = 'NetworkError';
    this.code = 'network';
    this.cause = cause;
  }
}

/** fetch() that throws NetworkError or ApiError instead of returning a failed response. */
export async function send(url, init = {}) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    throw new NetworkError(cause);
  }
  if (response.ok) return response;
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = { code: 'http_error', message: response.statusText };
  }
  // The service worker answers a failed read it has no copy of with 503 "offline".
  if (response.status === 503 && body.code === 'offline') throw new NetworkError(body);
  throw new ApiError(response.status, body);
}

export async function getJSON(url) {
  const response = await send(url, { headers: { Accept: 'application/json' } });
  return response.json();
}

export async function postJSON(url, body, headers = {}) {
  const response = await send(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return response.json();
}
