// sysrec web UI: sign-in and the Captures page (docs/api.md for the API it calls).
import { api, token, ApiError, setUnauthorizedHandler } from './api.js';
import { fmtTime, fmtSeconds, fmtBytes, statusLabel, el, containerText } from './format.js';

const $ = (sel) => document.querySelector(sel);
const PAGE = 50;
const FAST_MS = 1500; // while a capture records or stores
const SLOW_MS = 10000;

const state = {
	agent: null, // GET /api/status
	offset: 0,
	total: 0,
	search: '',
	filter: '', // '', 'error' or 'expiring'
	sort: 'created', // a column's data-sort: the API's sort key
	order: 'desc',
	captures: [],
	selected: new Set(),
	seq: 0,
	timer: 0,
	signedIn: false,
};

// Open a modal dialog with focus on one of its controls. When it closes, focus goes back to
// what opened it, or to the page when that is gone (a deleted row's button).
function openModal(d, focus) {
	d._opener = document.activeElement;
	d.showModal();
	focus.focus();
}
for (const d of document.querySelectorAll('dialog')) {
	d.addEventListener('close', () => {
		const o = d._opener;
		d._opener = null;
		if (o && o.isConnected && !o.disabled && o.offsetParent !== null) o.focus();
		else $('#main').focus();
	});
}

function show(node, text) { // a message, or hide it when there is none
	node.textContent = text || '';
	node.hidden = !text;
}

// ---- sign-in ----------------------------------------------------------------------

function showSignin(message) {
	state.signedIn = false;
	clearTimeout(state.timer);
	for (const d of document.querySelectorAll('dialog[open]')) d.close();
	$('#captures').hidden = true;
	$('#signout').hidden = true;
	$('#agent-status').textContent = '';
	$('#signin').hidden = false;
	show($('#signin-error'), message);
	$('#token').value = '';
	$('#token').focus();
}

function showCaptures() {
	state.signedIn = true;
	$('#signin').hidden = true;
	show($('#signin-error'));
	$('#captures').hidden = false;
	$('#signout').hidden = false;
	refresh();
}

setUnauthorizedHandler(() => {
	token.clear();
	if (state.signedIn) showSignin('The agent no longer accepts the token (it may have been replaced). Sign in again.');
});

$('#signin').addEventListener('submit', async (ev) => {
	ev.preventDefault();
	const t = $('#token').value.trim();
	const btn = $('#signin-submit');
	if (!t) {
		show($('#signin-error'), 'Paste the API token first.');
		$('#token').focus();
		return;
	}
	btn.disabled = true;
	try {
		state.agent = await api.status(t);
		token.set(t);
		$('#token').value = '';
		showCaptures();
	} catch (e) {
		show($('#signin-error'), e.status === 401
			? 'The agent did not accept this token. Run sysrec token on its host and paste what it prints.'
			: e.message);
		$('#token').select();
	} finally {
		btn.disabled = false;
	}
});

$('#signout').addEventListener('click', () => {
	token.clear();
	showSignin();
});

// ---- the agent's status line ----------------------------------------------------

function renderAgent() {
	const box = $('#agent-status');
	const a = state.agent;
	box.replaceChildren();
	if (!a) return;
	const item = (label, value, warn) => {
		const s = el('span', warn ? 'warn' : '');
		s.append(`${label} `, el('b', '', value));
		box.append(s);
	};
	item('Host', a.host);
	const ring = a.ring || {};
	item('Ring', `${(ring.seconds ?? 0).toFixed(1)} s of ${ring.seconds_wanted ?? '?'} s`,
		ring.seconds_wanted && ring.seconds < ring.seconds_wanted * 0.9);
	if (a.events) item('Events', `${Math.round(a.events.per_second || 0).toLocaleString()}/s`);
	if (a.drops) item('Drops', (a.drops.total || 0).toLocaleString(), a.drops.total > 0);
	item('Captures', a.captures_enabled ? `${a.outstanding}/${a.max_outstanding} recording` : 'disabled',
		!a.captures_enabled);
	item('Version', a.version);
}

// ---- the table ------------------------------------------------------------------

function cell(col, cls) {
	const td = el('td', cls || '');
	td.dataset.col = col;
	return td;
}

function makeRow(c) {
	const tr = el('tr');
	tr.dataset.id = c.id;
	const sel = el('td', 'col-select');
	const box = el('input', 'row-select');
	box.type = 'checkbox';
	box.addEventListener('change', () => {
		if (box.checked) state.selected.add(c.id);
		else state.selected.delete(c.id);
		syncSelection();
	});
	sel.append(box);
	const actions = el('td', 'actions');
	const mk = (cls, text, fn) => {
		const b = el('button', `small ghost ${cls}`, text);
		b.type = 'button';
		b.addEventListener('click', () => fn(tr._capture, b));
		return b;
	};
	actions.append(
		mk('row-details', 'Details', openDetails),
		mk('row-download', 'Download', download),
		mk('row-delete', 'Delete', deleteOne),
	);
	tr.append(sel, cell('status'), cell('name'), cell('time'), cell('duration', 'num'), cell('trigger'),
		cell('host'), cell('size', 'num'), actions);
	return tr;
}

function updateRow(tr, c) {
	tr._capture = c;
	const q = (col) => tr.querySelector(`td[data-col="${col}"]`);
	const busy = c.status === 'recording' || c.status === 'storing';
	const badge = el('span', `badge ${c.status}`, statusLabel(c.status));
	if (c.status === 'error' && c.error) badge.title = c.error;
	q('status').replaceChildren(badge);
	const name = q('name');
	name.replaceChildren(c.name);
	name.title = c.name;
	if (c.incomplete && c.status === 'ok') {
		// not the whole window asked for: said where the capture is listed, with the reason
		const tag = el('span', 'tag incomplete', 'incomplete');
		tag.title = c.incomplete_reason;
		name.append(tag);
	}
	if (c.container) {
		// the container it holds, by name when its runtime said it, with the image
		const tag = el('span', 'tag container', c.container_name || c.container);
		tag.title = [containerText(c), c.container_image].filter(Boolean).join(', image ');
		name.append(tag);
	}
	if (c.kept) name.append(el('span', 'tag kept', 'kept'));
	else if (c.expiring) name.append(el('span', 'tag expiring', 'expiring'));
	const time = q('time');
	time.textContent = fmtTime(c.start || c.created);
	time.title = c.start || c.created || '';
	const asked = (c.before || 0) + (c.after || 0);
	q('duration').textContent = c.incomplete && c.duration + 0.05 < asked
		? `${fmtSeconds(c.duration)} of ${fmtSeconds(asked)}` : fmtSeconds(c.duration);
	q('trigger').textContent = c.trigger;
	q('host').textContent = c.host;
	q('size').textContent = c.status === 'ok' ? fmtBytes(c.size) : '—';
	const box = tr.querySelector('input.row-select');
	box.checked = state.selected.has(c.id);
	box.disabled = busy;
	box.setAttribute('aria-label', `Select ${c.name}`);
	tr.classList.toggle('selected', box.checked);
	const dl = tr.querySelector('button.row-download');
	dl.disabled = c.status !== 'ok';
	dl.setAttribute('aria-label', `Download ${c.name}`);
	const del = tr.querySelector('button.row-delete');
	del.disabled = busy;
	del.setAttribute('aria-label', `Delete ${c.name}`);
	tr.querySelector('button.row-details').setAttribute('aria-label', `Details of ${c.name}`);
}

// Rows are kept per id between refreshes, so focus and selection survive them.
function renderTable() {
	const body = $('#captures-body');
	const old = new Map([...body.children].map((tr) => [tr.dataset.id, tr]));
	const rows = state.captures.map((c) => {
		const tr = old.get(c.id) || makeRow(c);
		old.delete(c.id);
		updateRow(tr, c);
		return tr;
	});
	for (const tr of old.values()) tr.remove();
	const same = rows.length === body.children.length && rows.every((tr, i) => body.children[i] === tr);
	if (!same) body.append(...rows); // moves them into order
	$('#empty').hidden = rows.length > 0;
	$('#empty').textContent = state.search || state.filter
		? 'No captures match.' : 'No captures yet. Take one with Take Capture.';
	const from = state.total ? state.offset + 1 : 0;
	const to = state.offset + state.captures.length;
	$('#page-info').textContent = `${from}–${to} of ${state.total}`;
	$('#page-prev').disabled = state.offset === 0;
	$('#page-next').disabled = to >= state.total;
	syncSelection();
}

function syncSelection() {
	const ids = new Set(state.captures.map((c) => c.id));
	for (const id of [...state.selected]) if (!ids.has(id)) state.selected.delete(id);
	const n = state.selected.size;
	const btn = $('#delete-selected');
	btn.disabled = n === 0;
	btn.textContent = n ? `Delete selected (${n})` : 'Delete selected';
	for (const tr of $('#captures-body').children)
		tr.classList.toggle('selected', state.selected.has(tr.dataset.id));
	const selectable = state.captures.filter((c) => c.status !== 'recording' && c.status !== 'storing');
	const all = $('#select-all');
	all.checked = selectable.length > 0 && selectable.every((c) => state.selected.has(c.id));
	all.indeterminate = !all.checked && n > 0;
}

$('#select-all').addEventListener('change', (ev) => {
	for (const c of state.captures) {
		if (c.status === 'recording' || c.status === 'storing') continue;
		if (ev.target.checked) state.selected.add(c.id);
		else state.selected.delete(c.id);
	}
	for (const tr of $('#captures-body').children) {
		const box = tr.querySelector('input.row-select');
		if (!box.disabled) box.checked = state.selected.has(tr.dataset.id);
	}
	syncSelection();
});

// ---- loading --------------------------------------------------------------------

async function refresh() {
	clearTimeout(state.timer);
	if (!state.signedIn) return;
	const seq = ++state.seq;
	try {
		const [list, agent] = await Promise.all([
			api.list({ search: state.search, status: state.filter, offset: state.offset, limit: PAGE,
				sort: state.sort, order: state.order }),
			api.status(),
		]);
		if (seq !== state.seq || !state.signedIn) return;
		if (list.total > 0 && list.captures.length === 0 && state.offset > 0) { // the page emptied
			state.offset = Math.max(0, Math.floor((list.total - 1) / PAGE) * PAGE);
			refresh();
			return;
		}
		state.captures = list.captures;
		state.total = list.total;
		state.agent = agent;
		show($('#list-error'));
		renderTable();
		renderAgent();
		$('#take-host').value = agent.host;
	} catch (e) {
		if (seq !== state.seq || !state.signedIn || e.status === 401) return;
		show($('#list-error'), `Could not load the captures: ${e.message}`);
	}
	if (seq !== state.seq || !state.signedIn) return;
	const busy = state.captures.some((c) => c.status === 'recording' || c.status === 'storing') ||
		(state.agent && state.agent.outstanding > 0);
	state.timer = setTimeout(refresh, busy ? FAST_MS : SLOW_MS);
}

let searchTimer = 0;
$('#search').addEventListener('input', (ev) => {
	clearTimeout(searchTimer);
	searchTimer = setTimeout(() => {
		state.search = ev.target.value.trim();
		state.offset = 0;
		refresh();
	}, 200);
});

for (const [sel, value] of [['#filter-error', 'error'], ['#filter-expiring', 'expiring']]) {
	$(sel).addEventListener('click', () => {
		state.filter = state.filter === value ? '' : value;
		$('#filter-error').setAttribute('aria-pressed', String(state.filter === 'error'));
		$('#filter-expiring').setAttribute('aria-pressed', String(state.filter === 'expiring'));
		state.offset = 0;
		refresh();
	});
}

// Column headers sort through the API: a first click sorts numbers and times largest first,
// words A to Z; a second click on the same column reverses.
function renderSort() {
	for (const b of document.querySelectorAll('#captures-table button.sort')) {
		const on = b.dataset.sort === state.sort;
		const th = b.closest('th');
		if (on) th.setAttribute('aria-sort', state.order === 'asc' ? 'ascending' : 'descending');
		else th.removeAttribute('aria-sort');
	}
	const what = state.sort === 'created' ? (state.order === 'desc' ? 'newest first' : 'oldest first')
		: `by ${state.sort}, ${state.order === 'asc' ? 'ascending' : 'descending'}`;
	$('#captures-caption').textContent = `Captures, ${what}`;
	const sel = $('#sort-select'); // the narrow window's sort: an order set by a header may not be listed
	const value = `${state.sort}:${state.order}`;
	if (![...sel.options].some((o) => o.value === value)) sel.append(new Option(what[0].toUpperCase() + what.slice(1), value));
	sel.value = value;
}
$('#sort-select').addEventListener('change', (ev) => {
	[state.sort, state.order] = ev.target.value.split(':');
	state.offset = 0;
	renderSort();
	refresh();
});
for (const b of document.querySelectorAll('#captures-table button.sort')) {
	b.addEventListener('click', () => {
		const key = b.dataset.sort;
		if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
		else {
			state.sort = key;
			state.order = ['created', 'duration', 'size'].includes(key) ? 'desc' : 'asc';
		}
		state.offset = 0;
		renderSort();
		refresh();
	});
}

$('#page-prev').addEventListener('click', () => {
	state.offset = Math.max(0, state.offset - PAGE);
	refresh();
});
$('#page-next').addEventListener('click', () => {
	if (state.offset + PAGE < state.total) state.offset += PAGE;
	refresh();
});

// ---- download: a single-use link the browser follows, saving to disk as it arrives --

async function download(c, btn, part = 'scap') {
	btn.disabled = true;
	const label = btn.textContent;
	btn.textContent = 'Downloading…';
	try {
		const { url } = await api.downloadLink(c.id);
		const a = document.createElement('a');
		a.href = part === 'scap' ? url : `${url}?part=${encodeURIComponent(part)}`;
		a.download = part === 'artifacts' ? `${c.name}.artifacts.tar.gz` : `${c.name}.${part}`;
		a.hidden = true;
		document.body.append(a);
		a.click();
		a.remove();
		show($('#list-error'));
	} catch (e) {
		if (e.status !== 401) show($('#list-error'), `Download of ${c.name} failed: ${e.message}`);
	} finally {
		btn.textContent = label;
		btn.disabled = false;
	}
}

// ---- confirmation ---------------------------------------------------------------

// Ask, then run action (async); its error stays shown in the dialog.
function confirmThen(text, yesLabel, action) {
	const d = $('#confirm-dialog');
	$('#confirm-text').textContent = text;
	$('#confirm-yes').textContent = yesLabel;
	$('#confirm-yes').disabled = false;
	show($('#confirm-error'));
	d._action = action;
	openModal(d, $('#confirm-no'));
}

$('#confirm-no').addEventListener('click', () => $('#confirm-dialog').close());
$('#confirm-yes').addEventListener('click', async () => {
	const d = $('#confirm-dialog');
	const yes = $('#confirm-yes');
	yes.disabled = true;
	try {
		await d._action();
		d.close();
	} catch (e) {
		if (e.status !== 401) show($('#confirm-error'), e.message);
	} finally {
		yes.disabled = false;
	}
	refresh();
});

function deleteOne(c) {
	confirmThen(`Delete the capture “${c.name}” (${c.id})? Its file is removed from the store.`, 'Delete',
		async () => {
			await api.remove(c.id);
			state.selected.delete(c.id);
		});
}

$('#delete-selected').addEventListener('click', () => {
	const ids = [...state.selected];
	if (!ids.length) return;
	const names = state.captures.filter((c) => state.selected.has(c.id)).map((c) => c.name);
	const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
	confirmThen(`Delete ${ids.length} capture${ids.length > 1 ? 's' : ''} (${shown})? Their files are removed from the store.`,
		`Delete ${ids.length}`, async () => {
			const r = await api.removeMany(ids);
			for (const id of r.deleted || []) state.selected.delete(id);
			const errs = Object.entries(r.errors || {});
			if (errs.length)
				throw new ApiError(409, `${errs.length} not deleted: ${errs.map(([, m]) => m).join('; ')}`);
		});
});

// ---- details --------------------------------------------------------------------

// The bundle's parts: each with its size, sha256, packets or artifacts, and a button that downloads it.
function detailsParts(c) {
	const dd = $('#details-parts');
	dd.replaceChildren();
	const parts = c.status === 'ok' ? c.parts || [] : [];
	if (!parts.length) dd.textContent = '—';
	for (const p of parts) {
		const line = document.createElement('div');
		line.className = 'part';
		line.dataset.part = p.part;
		const what = p.part === 'pcapng'
			? `packets (pcapng): ${fmtBytes(p.size)}, ${(p.packets || 0).toLocaleString()} packets`
				+ (p.lost_packets ? `, ${p.lost_packets.toLocaleString()} lost` : '')
			: p.part === 'artifacts'
				? `artifacts (tar.gz): ${fmtBytes(p.size)}, ${(p.artifacts || 0).toLocaleString()} artifacts`
					+ (p.not_kept_bytes ? `, ${fmtBytes(p.not_kept_bytes)} not kept` : '')
				: `events (.scap): ${fmtBytes(p.size)}`;
		const text = document.createElement('span');
		text.textContent = `${what}, sha256 ${String(p.sha256).slice(0, 16)}… `;
		text.title = p.sha256;
		const btn = document.createElement('button');
		btn.type = 'button';
		btn.className = 'part-download';
		btn.textContent = `Download ${p.part}`;
		btn.addEventListener('click', () => download(c, btn, p.part));
		line.append(text, btn);
		dd.append(line);
	}
	const missing = [];
	if (c.status === 'ok' && c.packets && !parts.some((p) => p.part === 'pcapng')) missing.push('packets');
	if (c.status === 'ok' && (c.artifacts || []).length && !parts.some((p) => p.part === 'artifacts')) {
		missing.push('artifacts');
	}
	for (const m of missing) {
		const note = document.createElement('div');
		note.textContent = `${m} asked for, not kept (see Incomplete)`;
		dd.append(note);
	}
}

function openDetails(c) {
	const set = (id, v) => { $(id).textContent = v === undefined || v === '' ? '—' : String(v); };
	$('#details-title').textContent = c.name;
	set('#details-id', c.id);
	set('#details-status', statusLabel(c.status) + (c.kept ? ' (kept)' : ''));
	set('#details-trigger', c.trigger);
	set('#details-filter', c.filter ? c.filter + (c.filter_proclist ? '  (also the process table)' : '') : 'none');
	set('#details-host', c.host);
	set('#details-container', containerText(c));
	set('#details-container-image', c.container_image || '—');
	set('#details-storage', c.storage);
	set('#details-start', c.start ? `${fmtTime(c.start)} (${c.start})` : '');
	set('#details-window', `${fmtSeconds(c.duration)} held; asked: ${fmtSeconds(c.before)} before, ${fmtSeconds(c.after)} after`);
	set('#details-incomplete', c.status !== 'ok' ? ''
		: c.incomplete ? `yes: ${c.incomplete_reason}` : 'no: the whole window, nothing lost');
	set('#details-lost', c.status === 'ok' ? (c.lost_events || 0).toLocaleString() : '');
	set('#details-size', c.status === 'ok' ? `${fmtBytes(c.size)} (${(c.size || 0).toLocaleString()} bytes)` : '');
	set('#details-sha256', c.sha256);
	detailsParts(c);
	set('#details-error', c.error || 'none');
	set('#details-created', c.created ? `${fmtTime(c.created)} (${c.created})` : '');
	set('#details-expires', c.kept ? 'never (kept)'
		: c.expires_at ? `${fmtTime(c.expires_at)}${c.expiring ? ' (expiring)' : ''}` : '');
	openModal($('#details'), $('#details-close'));
}
$('#details-close').addEventListener('click', () => $('#details').close());

// ---- Take Capture ---------------------------------------------------------------

const take = { id: '', poll: 0, tick: 0, started: 0, before: 0, after: 0, capture: null };

function takeFields(disabled) {
	for (const id of ['#take-name', '#take-container', '#take-storage', '#take-duration', '#take-before',
		'#take-after', '#take-filter'])
		$(id).disabled = disabled;
}

function takeReset() {
	clearTimeout(take.poll);
	clearInterval(take.tick);
	Object.assign(take, { id: '', poll: 0, tick: 0, capture: null });
	takeFields(false);
	show($('#take-error'));
	show($('#take-filter-error'));
	$('#take-filter').removeAttribute('aria-invalid');
	$('#take-progress').hidden = true;
	show($('#take-done'));
	$('#take-keep').hidden = true;
	$('#take-discard').hidden = true;
	$('#take-submit').hidden = false;
	$('#take-submit').disabled = false;
	$('#take-cancel').textContent = 'Cancel';
}

$('#take-open').addEventListener('click', () => {
	takeReset();
	$('#take-form').reset();
	$('#take-host').value = state.agent ? state.agent.host : '';
	const ring = state.agent && state.agent.ring;
	$('#take-ring').textContent = ring && Number.isFinite(ring.seconds) ? ` (it holds ${ring.seconds.toFixed(1)} s now)` : '';
	takeParts();
	if (state.agent && !state.agent.captures_enabled)
		show($('#take-error'), 'Captures are disabled on this agent (captures.enabled: false in its configuration).');
	openModal($('#take-dialog'), $('#take-name'));
});
$('#take-cancel').addEventListener('click', () => $('#take-dialog').close());
$('#take-dialog').addEventListener('close', () => {
	clearTimeout(take.poll);
	clearInterval(take.tick);
	refresh();
});

// The bundle's other parts the agent can give (packets, each artifact kind it keeps), each a checkbox, on.
function takeParts() {
	const packets = Boolean(state.agent && state.agent.packets && state.agent.packets.enabled);
	const kinds = Object.keys((state.agent && state.agent.artifacts && state.agent.artifacts.kinds) || {});
	$('#take-packets-row').hidden = !packets;
	$('#take-packets').checked = true;
	const box = $('#take-artifacts');
	box.replaceChildren();
	for (const k of kinds) {
		const label = document.createElement('label');
		const input = document.createElement('input');
		input.type = 'checkbox';
		input.checked = true;
		input.className = 'take-artifact';
		input.value = k;
		label.append(input, ` ${k} artifacts`);
		box.append(label);
	}
	$('#take-parts').hidden = !packets && !kinds.length;
}

function num(id) {
	const v = $(id).value.trim();
	return v === '' ? null : Number(v);
}

// The body of POST /api/captures, or an error sentence.
function takeBody() {
	const name = $('#take-name').value.trim();
	if (!name) return 'Give the capture a name.';
	const body = { name, storage: $('#take-storage').value };
	const container = $('#take-container').value.trim();
	if (container) body.container = container;
	const filter = $('#take-filter').value; // as typed: the agent's error gives columns
	if (filter.trim()) body.filter = filter;
	const duration = num('#take-duration') ?? 5;
	const before = num('#take-before') ?? 0;
	const after = num('#take-after');
	for (const [label, v] of [['Duration', duration], ['Before', before], ['After', after]])
		if (v !== null && !Number.isFinite(v)) return `${label} must be a number of seconds.`;
	if (before > 0 || after !== null) {
		body.before = before;
		body.after = after ?? duration;
	} else {
		body.duration = duration;
	}
	if (!$('#take-packets-row').hidden) body.packets = $('#take-packets').checked;
	const kinds = [...document.querySelectorAll('#take-artifacts input.take-artifact')];
	if (kinds.length) body.artifacts = kinds.filter((k) => k.checked).map((k) => k.value);
	return body;
}

$('#take-form').addEventListener('submit', async (ev) => {
	ev.preventDefault();
	if (take.id) return;
	show($('#take-error'));
	show($('#take-filter-error'));
	$('#take-filter').removeAttribute('aria-invalid');
	const body = takeBody();
	if (typeof body === 'string') {
		show($('#take-error'), body);
		return;
	}
	const submit = $('#take-submit');
	submit.disabled = true;
	try {
		const c = await api.take(body);
		take.id = c.id;
		take.capture = c;
		take.started = performance.now();
		take.before = c.before ?? body.before ?? 0;
		take.after = c.after ?? body.after ?? body.duration;
		takeFields(true);
		submit.hidden = true;
		$('#take-cancel').textContent = 'Close';
		$('#take-progress').hidden = false;
		takeProgress();
		take.tick = setInterval(takeProgress, 200);
		take.poll = setTimeout(takePoll, 1000);
		refresh();
	} catch (e) {
		submit.disabled = false;
		if (e.status === 401) return;
		// a 400 about the filter goes beside the filter field (the agent names the member)
		if (e.status === 400 && e.field === 'filter') {
			show($('#take-filter-error'), e.message);
			$('#take-filter').setAttribute('aria-invalid', 'true');
			$('#take-filter').focus();
		} else if (e.status === 409) {
			show($('#take-error'), `${e.message}: wait until the capture being recorded is stored, then try again.`);
		} else {
			show($('#take-error'), e.message);
		}
	}
});

function takeProgress() {
	const c = take.capture;
	if (!c) return;
	const bar = $('#take-progress-bar');
	const text = $('#take-progress-text');
	const win = take.before + take.after;
	if (c.status === 'recording') {
		const elapsed = Math.min(win, take.before + (performance.now() - take.started) / 1000);
		bar.max = win;
		bar.value = elapsed;
		text.textContent = `Recording ${elapsed.toFixed(1)} s / ${fmtSeconds(win)}`;
	} else if (c.status === 'storing') {
		bar.removeAttribute('value'); // indeterminate
		text.textContent = 'Storing (writing and hashing)…';
	}
}

async function takePoll() {
	const id = take.id;
	if (!id) return;
	try {
		const c = await api.get(id);
		if (take.id !== id) return;
		take.capture = c;
		if (c.status === 'recording' || c.status === 'storing') {
			takeProgress();
			take.poll = setTimeout(takePoll, 1000);
			return;
		}
		clearInterval(take.tick);
		$('#take-progress').hidden = true;
		if (c.status === 'ok') {
			show($('#take-done'), `Stored: ${fmtBytes(c.size)}, sha256 ${c.sha256.slice(0, 16)}…. `
				+ (c.incomplete ? `Incomplete: ${c.incomplete_reason}. ` : '')
				+ 'Keep it (no expiry) or discard it?');
		} else {
			show($('#take-error'), `The capture failed: ${c.error || 'no reason given'}`);
		}
		$('#take-keep').hidden = c.status !== 'ok';
		$('#take-discard').hidden = false;
		(c.status === 'ok' ? $('#take-keep') : $('#take-discard')).focus();
		refresh();
	} catch (e) {
		if (take.id !== id || e.status === 401) return;
		show($('#take-error'), `Could not follow the capture: ${e.message}`);
		take.poll = setTimeout(takePoll, 2000);
	}
}

async function takeFinish(fn, btn) {
	const id = take.id;
	if (!id) return;
	btn.disabled = true;
	try {
		await fn(id);
		$('#take-dialog').close();
	} catch (e) {
		if (e.status !== 401) show($('#take-error'), e.message);
	} finally {
		btn.disabled = false;
	}
}
$('#take-keep').addEventListener('click', (ev) => takeFinish(api.keep, ev.currentTarget));
$('#take-discard').addEventListener('click', (ev) => takeFinish(api.discard, ev.currentTarget));

// ---- start ----------------------------------------------------------------------

(async () => {
	if (!token.get()) {
		showSignin();
		return;
	}
	try {
		state.agent = await api.status(token.get());
		showCaptures();
	} catch (e) {
		if (e.status === 401) token.clear();
		showSignin(e.status === 401 ? '' : e.message);
	}
})();
