// The agent's HTTP API (docs/api.md) with the token from sessionStorage: every call sends
// Authorization: Bearer; the token never goes into a URL.

const KEY = 'sysrec.token';

export const token = {
	get: () => sessionStorage.getItem(KEY) || '',
	set: (t) => sessionStorage.setItem(KEY, t),
	clear: () => sessionStorage.removeItem(KEY),
};

// An answer other than 2xx: status, the agent's error sentence, and the request member it is
// about when the agent names one (its "field").
export class ApiError extends Error {
	constructor(status, message, field = '') {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.field = field;
	}
}

// Called on a 401 with the stored token (the token changed, or the agent's data did).
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
	onUnauthorized = fn;
}

async function call(method, path, { body, with: tok } = {}) {
	const t = tok ?? token.get();
	const headers = { Authorization: `Bearer ${t}` };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	let r;
	try {
		r = await fetch(path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			cache: 'no-store',
			credentials: 'omit',
		});
	} catch (e) {
		throw new ApiError(0, `The agent did not answer (${e.message}). Is it running?`);
	}
	let json = null;
	const text = await r.text();
	try {
		json = text ? JSON.parse(text) : null;
	} catch {
		json = null;
	}
	if (!r.ok) {
		const msg = (json && typeof json.error === 'string' && json.error) || `HTTP ${r.status}`;
		const field = (json && typeof json.field === 'string' && json.field) || '';
		const err = new ApiError(r.status, msg, field);
		if (r.status === 401 && tok === undefined) onUnauthorized(err);
		throw err;
	}
	return json;
}

const enc = encodeURIComponent;

export const api = {
	status: (tok) => call('GET', '/api/status', { with: tok }),
	list: ({ search = '', status = '', offset = 0, limit = 50, sort = 'created', order = 'desc' } = {}) => {
		const q = new URLSearchParams({ sort, order, offset: String(offset), limit: String(limit) });
		if (search) q.set('search', search);
		if (status) q.set('status', status);
		return call('GET', `/api/captures?${q}`);
	},
	get: (id) => call('GET', `/api/captures/${enc(id)}`),
	take: (body) => call('POST', '/api/captures', { body }),
	remove: (id) => call('DELETE', `/api/captures/${enc(id)}`),
	removeMany: (ids) => call('POST', '/api/captures/delete', { body: { ids } }),
	keep: (id) => call('POST', `/api/captures/${enc(id)}/keep`),
	discard: (id) => call('POST', `/api/captures/${enc(id)}/discard`),
	// {url, expires_in}: a single-use link the browser follows itself, without the token.
	downloadLink: (id) => call('POST', `/api/captures/${enc(id)}/download-link`),
};
