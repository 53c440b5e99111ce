// The web UI's Captures page, in a real browser against a real agent (tests/browser/run.sh):
// sign in, take, keep, search, filter, sort, download, details, delete, the server's errors,
// a narrow window and the keyboard. Prints "  ok    NAME" or "  FAIL  NAME: WHY" per check,
// then "browser: N passed, N failed, N skipped"; exits 1 when a check failed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
	OUT, TOKEN, URL_, api, assert, check, closeTakeDialog, finish, gone, idle, isOk, openTake, page, row, rowNames,
	rowStatus, setToggle, signIn, sleep, take, until, visibleRows, waitRow, waitStatus,
} from './lib.mjs';

const LIMIT_MSG = 'Maximum number of outstanding captures (1) reached';

// Captures made through the API before the page opens: names to search, rows to download,
// inspect and delete.
const stamp = Date.now().toString(36);
const names = { alpha: `bt-alpha-${stamp}`, beta: `bt-beta-${stamp}`, gamma: `bt-gamma-${stamp}`, delta: `bt-delta-${stamp}` };
const made = {};
await check('setup: 4 captures through the API', async () => {
	for (const [k, n] of Object.entries(names)) made[k] = await take(n, 1);
	return { note: Object.values(made).map((c) => c.id).join(' ') };
}, 'no captures to work on');

await check('the page loads and asks for the token', async () => {
	const r = await page.goto(URL_ + '/');
	assert(r && r.status() === 200, `GET / answered ${r && r.status()}`);
	await page.locator('#signin').waitFor({ state: 'visible' });
	await page.locator('#token').waitFor({ state: 'visible' });
}, 'the page did not load');

await check('a wrong token shows #signin-error', async () => {
	await signIn('0000' + TOKEN.slice(4).split('').reverse().join(''));
	await page.locator('#signin-error').waitFor({ state: 'visible' });
	const t = ((await page.locator('#signin-error').textContent()) || '').trim();
	assert(t.length > 0, '#signin-error is empty');
	assert(!(await page.locator('#captures').isVisible()), '#captures shown after a wrong token');
	return { note: JSON.stringify(t) };
});

await check('sign in with the token; the token is not in the URL', async () => {
	await signIn(TOKEN);
	await page.locator('#captures').waitFor({ state: 'visible' });
	await until('#signin hidden', async () => !(await page.locator('#signin').isVisible()), 5000);
	assert(!page.url().includes(TOKEN), `the token is in the URL: ${page.url()}`);
	assert(!(await page.locator('#signin-error').isVisible()), '#signin-error still shown');
	await waitRow(made.alpha.id);
}, 'could not sign in');

let taken;
await check('take through the form: progress, Ok row, Keep', async () => {
	const name = `bt-form-${stamp}`;
	await openTake();
	await page.fill('#take-name', name);
	await page.fill('#take-duration', '2');
	await page.click('#take-submit');
	await page.locator('#take-progress').waitFor({ state: 'visible', timeout: 5000 });
	await page.screenshot({ path: join(OUT, 'take-recording-1280x800.png') });
	const r = await until('the capture in the API', async () => {
		const l = await api('GET', `/api/captures?search=${encodeURIComponent(name)}`);
		return l.json && l.json.captures.find((c) => c.name === name);
	}, 5000);
	taken = r;
	assert(r.duration === 2, `duration ${r.duration}, not 2`);
	await waitStatus(r.id, 'ok', 20000);
	await waitRow(r.id);
	await until(`row ${r.id} status Ok`, async () => {
		const st = await rowStatus(r.id);
		if (!isOk(st)) throw new Error(`status ${JSON.stringify(st)}`);
		return true;
	}, 15000);
	await page.locator('#take-keep').waitFor({ state: 'visible', timeout: 10000 });
	await until('#take-keep enabled', () => page.locator('#take-keep').isEnabled(), 10000);
	await page.click('#take-keep');
	const c = await until('kept: true in the API', async () => {
		const g = await api('GET', `/api/captures/${r.id}`);
		return g.json && g.json.kept === true && g.json;
	}, 10000);
	await page.locator('dialog#take-dialog').waitFor({ state: 'hidden', timeout: 5000 }); // Keep closes it
	await until(`row ${r.id} tagged kept`, async () =>
		((await row(r.id).locator('td[data-col="name"]').textContent()) || '').includes('kept'), 5000);
	return { note: `${c.id}, ${c.size} bytes, kept` };
});

await check('take by container name through the form: the row and details name the container and its image', async () => {
	const cid = process.env.SYSREC_CONTAINER_ID;
	if (!cid) return { skip: 'no container made (cgroups)' };
	const name = `bt-container-${stamp}`;
	await openTake();
	await page.fill('#take-name', name);
	await page.fill('#take-container', 'web-1');
	await page.fill('#take-duration', '1');
	await page.click('#take-submit');
	const r = await until('the capture in the API', async () => {
		const l = await api('GET', `/api/captures?search=${encodeURIComponent(name)}`);
		return l.json && l.json.captures.find((c) => c.name === name);
	}, 5000);
	assert(r.container === cid, `container ${r.container}, not ${cid}`);
	await waitStatus(r.id, 'ok', 20000);
	await closeTakeDialog();
	await waitRow(r.id);
	const tag = row(r.id).locator('td[data-col="name"] .tag.container');
	await until(`row ${r.id} tagged web-1`, async () => (await tag.textContent()) === 'web-1', 10000);
	const title = await tag.getAttribute('title');
	assert(title.includes(`web-1 (${cid})`) && title.includes('registry.local:5000/shop/web:2.1'), `tag title ${title}`);
	await row(r.id).locator('button.row-details').click();
	await until('#details-container', async () => (await page.textContent('#details-container')) === `web-1 (${cid})`, 5000);
	const image = await page.textContent('#details-container-image');
	assert(image === 'registry.local:5000/shop/web:2.1', `#details-container-image ${image}`);
	await page.keyboard.press('Escape');
	return { note: `${r.id}: web-1 (${cid}), registry.local:5000/shop/web:2.1` };
});

await check('the form offers the bundle\'s parts the agent keeps; unticked, the capture has only its .scap', async () => {
	await idle();
	const name = `bt-parts-${stamp}`;
	await openTake();
	const offered = await page.locator('#take-parts label:not([hidden])').evaluateAll((ls) => ls.map((l) => l.textContent.trim()));
	assert(JSON.stringify(offered) === '["packets (pcapng)","exec artifacts"]', `offered ${JSON.stringify(offered)}`);
	await page.fill('#take-name', name);
	await page.fill('#take-duration', '1');
	await page.uncheck('#take-packets');
	await page.uncheck('#take-artifacts input[value="exec"]');
	await page.click('#take-submit');
	const r = await until('the capture in the API', async () => {
		const l = await api('GET', `/api/captures?search=${encodeURIComponent(name)}`);
		return l.json && l.json.captures.find((c) => c.name === name);
	}, 5000);
	const c = await waitStatus(r.id, 'ok', 20000);
	await closeTakeDialog();
	assert(c.packets === false && JSON.stringify(c.artifacts) === '[]', `packets ${c.packets}, artifacts ${JSON.stringify(c.artifacts)}`);
	assert(JSON.stringify(c.parts.map((p) => p.part)) === '["scap"]', `parts ${JSON.stringify(c.parts)}`);
	return { note: `${r.id}: parts ${c.parts.map((p) => p.part).join(', ')}` };
});

await check('back in time through the form: Before 2 s, After 1 s, then Discard', async () => {
	await idle();
	const name = `bt-back-${stamp}`;
	await openTake();
	const hint = ((await page.locator('#take-window-help').textContent()) || '').replace(/\s+/g, ' ');
	assert(/holds \d+\.\d s now/.test(hint), `the window help does not say what the flight recorder holds: ${JSON.stringify(hint)}`);
	await page.fill('#take-name', name);
	await page.fill('#take-before', '2');
	await page.fill('#take-after', '1');
	await page.click('#take-submit');
	const c = await until('the capture in the API', async () => {
		const l = await api('GET', `/api/captures?search=${encodeURIComponent(name)}`);
		return l.json && l.json.captures.find((x) => x.name === name);
	}, 5000);
	assert(c.before === 2 && c.after === 1 && c.duration === 3, `before ${c.before}, after ${c.after}, duration ${c.duration}`);
	await waitStatus(c.id, 'ok', 20000);
	await page.locator('#take-discard').waitFor({ state: 'visible', timeout: 10000 });
	await page.click('#take-discard');
	await gone(c.id);
	await page.locator('dialog#take-dialog').waitFor({ state: 'hidden', timeout: 5000 });
	await row(c.id).waitFor({ state: 'detached', timeout: 10000 });
	return { note: `${c.id}: 2 s + 1 s, discarded` };
});

let long;
await check('a second take while one records: the limit message in #take-error', async () => {
	await closeTakeDialog();
	long = await take(`bt-long-${stamp}`, 10, false);
	await openTake();
	await page.fill('#take-name', `bt-refused-${stamp}`);
	await page.fill('#take-duration', '1');
	await page.click('#take-submit');
	await page.locator('#take-error').waitFor({ state: 'visible', timeout: 5000 });
	const t = ((await page.locator('#take-error').textContent()) || '').trim();
	assert(t.includes(LIMIT_MSG), `#take-error says ${JSON.stringify(t)}`);
	const l = await api('GET', `/api/captures?search=bt-refused-${stamp}`);
	assert(l.json && l.json.total === 0, 'a refused capture is in the catalog');
	await closeTakeDialog();
	// taken elsewhere (through the API): the table shows it recording, without a reload
	await waitRow(long.id);
	await until(`row ${long.id} Recording`, async () => /recording/i.test(await rowStatus(long.id)), 5000);
	return { note: JSON.stringify(t) };
});

await check('#search narrows the table to matching names', async () => {
	await page.fill('#search', names.beta);
	const got = await until('only the beta row', async () => {
		const n = await rowNames();
		return n.length >= 1 && n.every((x) => x.includes(names.beta)) && n;
	});
	await page.fill('#search', '');
	await until('all rows back', async () => (await visibleRows().count()) >= 4);
	return { note: `${got.length} row` };
});

await check('column headers sort (Name A to Z, then Z to A; Size; back to Time, newest first)', async () => {
	const ids = () => visibleRows().evaluateAll((trs) => trs.map((t) => t.dataset.id));
	const apiIds = async (sort, order) =>
		(await api('GET', `/api/captures?sort=${sort}&order=${order}&limit=50`)).json.captures.map((c) => c.id);
	const th = (key) => page.locator(`#captures-table th:has(button[data-sort="${key}"])`);
	const steps = [['name', 'asc'], ['name', 'desc'], ['size', 'desc'], ['created', 'desc']];
	const newest = await apiIds('created', 'desc');
	assert(JSON.stringify(await apiIds('name', 'asc')) !== JSON.stringify(newest), 'by name is the order by time: nothing to see');
	for (const [key, order] of steps) {
		await page.click(`#captures-table button.sort[data-sort="${key}"]`);
		const want = await apiIds(key, order);
		await until(`rows by ${key} ${order}`, async () => JSON.stringify(await ids()) === JSON.stringify(want), 5000);
		const aria = await th(key).getAttribute('aria-sort');
		assert(aria === (order === 'asc' ? 'ascending' : 'descending'), `${key}: aria-sort ${aria}`);
	}
	return { note: `${(await ids()).length} rows` };
});

await check('#filter-error shows only error captures', async () => {
	const errs = (await api('GET', '/api/captures?status=error')).json.total;
	assert(errs >= 1, 'no capture in the Error state (run.sh interrupts one)');
	await setToggle('#filter-error', true);
	await until('no Ok rows', async () => {
		const st = await page.locator('#captures-table tr[data-id] td[data-col="status"]').allTextContents();
		return st.every((s) => !isOk(s)) && st.length === errs;
	});
	const st = await page.locator('#captures-table tr[data-id] td[data-col="status"]').allTextContents();
	assert(st.every((s) => /error/i.test(s)), `statuses: ${st.join(', ')}`);
	await setToggle('#filter-error', false);
	await until('rows back', async () => (await visibleRows().count()) >= 4);
	return { note: `${errs} error captures` };
});

await check('a bad filter shows the filter error in #take-filter-error', async () => {
	await idle(); // else the limit would answer first
	const filter = 'proc.name = ';
	const want = await api('POST', '/api/captures', { name: `bt-badfilter-${stamp}`, filter });
	assert(want.status === 400 && want.json && want.json.error, `the API answered ${want.status} ${want.text}`);
	await openTake();
	await page.fill('#take-name', `bt-badfilter-${stamp}`);
	await page.fill('#take-duration', '1');
	await page.fill('#take-filter', filter);
	await page.click('#take-submit');
	await page.locator('#take-filter-error').waitFor({ state: 'visible', timeout: 5000 });
	const t = ((await page.locator('#take-filter-error').textContent()) || '').trim();
	// the message after its column (the UI may trim the filter, moving the column)
	const msg = (x) => x.replace(/^.*?filter error at column \d+: */i, '');
	assert(/filter error/i.test(t) && t.includes(msg(want.json.error)),
		`#take-filter-error says ${JSON.stringify(t)}; the API's error is ${JSON.stringify(want.json.error)}`);
	const l = await api('GET', `/api/captures?search=bt-badfilter-${stamp}`);
	assert(l.json && l.json.total === 0, 'a capture with the bad filter is in the catalog');
	await closeTakeDialog();
	return { note: JSON.stringify(t) };
});

await check('screenshots at 1280x800 and 400x800; usable at 400 px (no sideways scroll, actions reachable, a sort select)', async () => {
	await idle();
	await until(`row ${long.id} Ok without a reload`, async () => isOk(await rowStatus(long.id)), 12000);
	const n = await visibleRows().count();
	assert(n >= 3, `${n} rows listed`);
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.screenshot({ path: join(OUT, 'captures-1280x800.png') });
	await page.setViewportSize({ width: 400, height: 800 });
	await sleep(300);
	await page.screenshot({ path: join(OUT, 'captures-400x800.png') });
	// usable on a narrow window: nothing wider than the window, every row's actions and
	// checkbox inside it (no sideways scrolling), a row's Details opens
	const wide = await page.evaluate(() => ({
		page: document.documentElement.scrollWidth,
		table: document.querySelector('.table-wrap').scrollWidth,
		out: [...document.querySelectorAll('#captures-table tr[data-id] :is(button, input)')]
			.filter((e) => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth || r.width === 0; })
			.map((e) => `${e.className} of ${e.closest('tr').dataset.id}`),
	}));
	assert(wide.page <= 400 && wide.table <= 400, `wider than the 400 px window: page ${wide.page} px, table ${wide.table} px`);
	assert(wide.out.length === 0, `controls outside the window: ${wide.out.slice(0, 3).join(', ')}`);
	await visibleRows().first().locator('button.row-details').click();
	await page.locator('#details').waitFor({ state: 'visible' });
	const box = await page.locator('#details').boundingBox();
	assert(box && box.x >= 0 && box.x + box.width <= 400, `the details dialog is outside the window: ${JSON.stringify(box)}`);
	await page.screenshot({ path: join(OUT, 'details-400x800.png') });
	await page.click('#details-close');
	await page.locator('#details').waitFor({ state: 'hidden', timeout: 5000 });
	// the column headers are hidden here: the sort is a select
	await page.selectOption('#sort-select', 'name:asc');
	const want = (await api('GET', '/api/captures?sort=name&order=asc&limit=50')).json.captures.map((c) => c.id);
	await until('rows by name, A to Z', async () =>
		JSON.stringify(await visibleRows().evaluateAll((trs) => trs.map((t) => t.dataset.id))) === JSON.stringify(want), 5000);
	await page.selectOption('#sort-select', 'created:desc');
	await page.setViewportSize({ width: 1280, height: 800 });
	assert(!(await page.locator('#sort-select').isVisible()), '#sort-select shown at 1280 px, beside the sortable headers');
	return { note: `${n} rows; ${OUT}/captures-*.png` };
});

await check('download: Chromium saves the file itself from a single-use link; byte-equal (sha256)', async () => {
	const id = made.alpha.id;
	await waitRow(id);
	const fetched = [];
	const seen = (r) => { if (r.url().includes('/download')) fetched.push(`${r.method()} ${new URL(r.url()).pathname}`); };
	page.on('request', seen);
	const [dl] = await Promise.all([
		page.waitForEvent('download', { timeout: 15000 }),
		row(id).locator('button.row-download').click(),
	]);
	page.off('request', seen);
	assert(/\/dl\/[0-9a-f]{64}$/.test(dl.url()), `the browser downloaded ${dl.url()}, not a /dl/ link`);
	assert(fetched.length === 1 && fetched[0] === `POST /api/captures/${id}/download-link`,
		`the page fetched ${JSON.stringify(fetched)}: the file must not pass through the page`);
	const path = await dl.path(); // where Chromium saved it, as it arrived
	assert(path, `the download failed: ${await dl.failure()}`);
	const sum = createHash('sha256').update(readFileSync(path)).digest('hex');
	const c = (await api('GET', `/api/captures/${id}`)).json;
	assert(sum === c.sha256, `sha256 ${sum}, the API says ${c.sha256} (the download is in ${path})`);
	assert(dl.suggestedFilename() === `${c.name}.scap`, `saved as ${dl.suggestedFilename()}`);
	const again = await fetch(URL_ + new URL(dl.url()).pathname);
	assert(again.status === 404, `the link served again: ${again.status}`);
	const size = readFileSync(path).length;
	return { note: `${dl.suggestedFilename()}, ${size} bytes` };
});

await check('expiring comes from the API, not the page\'s clock', async () => {
	const id = made.beta.id;
	await waitRow(id);
	assert(!(await row(id).locator('.tag.expiring').count()), 'expiring shown for a capture the API says is not');
	// the API's answer, with expiring turned true for one capture (its expires_at untouched, 90 days on)
	await page.route('**/api/captures?*', async (route) => {
		const r = await route.fetch();
		const j = await r.json();
		for (const c of j.captures) if (c.id === id) c.expiring = true;
		await route.fulfill({ response: r, json: j });
	});
	try {
		await until('the expiring tag on the row the API marks', async () => (await row(id).locator('.tag.expiring').count()) === 1, 12000);
	} finally {
		await page.unroute('**/api/captures?*');
	}
	await until('the tag goes with the API\'s answer', async () => (await row(id).locator('.tag.expiring').count()) === 0, 12000);
});

await check('a 400 goes where the API\'s field says, whatever its sentence', async () => {
	await idle();
	const answers = [
		{ field: 'filter', error: 'name of the game: a sentence that once read as not about the filter', where: '#take-filter-error' },
		{ field: 'duration', error: 'filter words in a sentence about the duration', where: '#take-error' },
	];
	for (const a of answers) {
		await page.route('**/api/captures', (route) => route.request().method() === 'POST'
			? route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: a.error, field: a.field }) })
			: route.fallback());
		try {
			await openTake();
			await page.fill('#take-name', `bt-field-${stamp}`);
			await page.fill('#take-duration', '1');
			await page.fill('#take-filter', 'proc.name = x');
			await page.click('#take-submit');
			await page.locator(a.where).waitFor({ state: 'visible', timeout: 5000 });
			const t = ((await page.locator(a.where).textContent()) || '').trim();
			assert(t.includes(a.error), `${a.where} says ${JSON.stringify(t)}`);
			await closeTakeDialog();
		} finally {
			await page.unroute('**/api/captures');
		}
	}
});

await check('details show the sha256', async () => {
	const id = made.alpha.id;
	await row(id).locator('button.row-details').click();
	await page.locator('#details').waitFor({ state: 'visible' });
	await until('#details-sha256 has the sha256', async () =>
		((await page.locator('#details-sha256').textContent()) || '').includes(made.alpha.sha256), 5000);
	await page.click('#details-close');
	await page.locator('#details').waitFor({ state: 'hidden', timeout: 5000 });
});

await check('details list the bundle\'s parts; Download pcapng and artifacts save them, byte-equal (sha256)', async () => {
	const id = made.alpha.id;
	const c = (await api('GET', `/api/captures/${id}`)).json;
	const pcap = (c.parts || []).find((p) => p.part === 'pcapng');
	assert(pcap, `the capture has parts ${JSON.stringify(c.parts)}: no pcapng (the agent keeps packets)`);
	await row(id).locator('button.row-details').click();
	await page.locator('#details').waitFor({ state: 'visible' });
	const lines = await page.locator('#details-parts .part').evaluateAll((ds) => ds.map((d) => d.dataset.part));
	assert(JSON.stringify(lines) === '["scap","pcapng","artifacts"]', `#details-parts lists ${JSON.stringify(lines)}`);
	const [dl] = await Promise.all([
		page.waitForEvent('download', { timeout: 15000 }),
		page.locator('#details-parts .part[data-part="pcapng"] button.part-download').click(),
	]);
	const path = await dl.path();
	assert(path, `the download failed: ${await dl.failure()}`);
	const sum = createHash('sha256').update(readFileSync(path)).digest('hex');
	assert(sum === pcap.sha256, `sha256 ${sum}, the catalog says ${pcap.sha256}`);
	assert(dl.suggestedFilename() === `${c.name}.pcapng`, `saved as ${dl.suggestedFilename()}`);
	// the artifacts' archive, the same way
	const arts = c.parts.find((p) => p.part === 'artifacts');
	const [dl2] = await Promise.all([
		page.waitForEvent('download', { timeout: 15000 }),
		page.locator('#details-parts .part[data-part="artifacts"] button.part-download').click(),
	]);
	const path2 = await dl2.path();
	assert(path2, `the artifacts' download failed: ${await dl2.failure()}`);
	const sum2 = createHash('sha256').update(readFileSync(path2)).digest('hex');
	assert(sum2 === arts.sha256, `artifacts sha256 ${sum2}, the catalog says ${arts.sha256}`);
	assert(dl2.suggestedFilename() === `${c.name}.artifacts.tar.gz`, `saved as ${dl2.suggestedFilename()}`);
	await page.click('#details-close');
	await page.locator('#details').waitFor({ state: 'hidden', timeout: 5000 });
	return { note: `${pcap.packets} packets, ${pcap.size} bytes; ${arts.artifacts} artifacts, ${arts.size} bytes` };
});

await check('an incomplete capture says so: a tag on its row, the span held of the span asked, the reason in details', async () => {
	// more history than the agent keeps (--seconds 20): the recorder holds only part of it
	let r;
	for (let i = 0; i < 100; i++) {
		r = await api('POST', '/api/captures', { name: 'short-history', before: 100, after: 1 });
		if (r.status !== 409) break;
		await sleep(300);
	}
	assert(r.status === 201, `POST: ${r.status} ${r.text}`);
	const c = await waitStatus(r.json.id);
	assert(c.incomplete && c.incomplete_reason && c.duration < 101, `the API: ${JSON.stringify(c)}`);
	await waitRow(c.id);
	const tag = row(c.id).locator('span.tag.incomplete');
	assert(await tag.isVisible(), 'no incomplete tag on the row');
	assert((await tag.getAttribute('title')) === c.incomplete_reason, 'the tag does not carry the reason');
	const dur = ((await row(c.id).locator('td[data-col="duration"]').textContent()) || '').trim();
	assert(dur.endsWith(' of 1 min 41 s'), `the duration cell says ${JSON.stringify(dur)}`);
	await row(c.id).locator('button.row-details').click();
	await page.locator('#details').waitFor({ state: 'visible' });
	const t = ((await page.locator('#details-incomplete').textContent()) || '').trim();
	assert(t === `yes: ${c.incomplete_reason}`, `#details-incomplete says ${JSON.stringify(t)}`);
	await page.keyboard.press('Escape');
	await page.locator('#details').waitFor({ state: 'hidden', timeout: 5000 });
	return { note: JSON.stringify(dur) };
});

await check('details of a failed capture give the reason', async () => {
	const e = (await api('GET', '/api/captures?status=error')).json.captures[0];
	assert(e && e.error, 'no capture in the Error state with a reason');
	await waitRow(e.id);
	const st = await rowStatus(e.id);
	assert(/error/i.test(st), `its row's status is ${JSON.stringify(st)}`);
	await row(e.id).locator('button.row-details').click();
	await page.locator('#details').waitFor({ state: 'visible' });
	const t = ((await page.locator('#details-error').textContent()) || '').trim();
	assert(t === e.error, `#details-error says ${JSON.stringify(t)}; the API says ${JSON.stringify(e.error)}`);
	assert(await row(e.id).locator('button.row-download').isDisabled(), 'Download is enabled for a capture with no file');
	await page.keyboard.press('Escape');
	await page.locator('#details').waitFor({ state: 'hidden', timeout: 5000 });
	return { note: JSON.stringify(t) };
});

await check('delete one: row button, confirm dialog, gone from the API and the table', async () => {
	const id = made.gamma.id;
	await row(id).locator('button.row-delete').click();
	await page.locator('dialog#confirm-dialog').waitFor({ state: 'visible' });
	await page.click('#confirm-yes');
	await gone(id);
	await row(id).waitFor({ state: 'detached', timeout: 10000 });
	await page.locator('dialog#confirm-dialog').waitFor({ state: 'hidden', timeout: 5000 });
});

await check('delete several: two selected, #delete-selected, confirm', async () => {
	const ids = [made.beta.id, made.delta.id];
	for (const id of ids) await row(id).locator('input.row-select').check();
	await page.click('#delete-selected');
	await page.locator('dialog#confirm-dialog').waitFor({ state: 'visible' });
	await page.click('#confirm-yes');
	for (const id of ids) await gone(id);
	for (const id of ids) await row(id).waitFor({ state: 'detached', timeout: 10000 });
	const left = (await api('GET', '/api/captures')).json.captures.map((c) => c.id);
	for (const id of [made.alpha.id, taken && taken.id, long && long.id].filter(Boolean)) assert(left.includes(id), `${id} was deleted too`);
	return { note: `${left.length} left` };
});

await check('every control has a label (accessible name)', async () => {
	const unnamed = await page.evaluate(() => {
		const name = (e) => {
			if (e.getAttribute('aria-label')) return e.getAttribute('aria-label');
			const by = e.getAttribute('aria-labelledby');
			if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ');
			if (e.labels && e.labels.length) return [...e.labels].map((l) => l.textContent).join(' ');
			if (e.tagName === 'BUTTON') return e.textContent;
			return e.getAttribute('title') || '';
		};
		return [...document.querySelectorAll('button, input, select, textarea, dialog')]
			.filter((e) => !name(e).trim()).map((e) => e.id || `${e.tagName.toLowerCase()}.${e.className}`);
	});
	assert(unnamed.length === 0, `no accessible name: ${unnamed.join(', ')}`);
});

// The keyboard alone: Tab to Take Capture, Enter, type, Tab to Duration, Enter submits;
// when it is stored, Keep has the focus and Enter keeps it; focus returns to Take Capture.
// Then Tab to its row's Delete: Escape cancels, and Tab to Delete in the dialog deletes.
async function tabTo(sel, max = 80) {
	for (let i = 1; i <= max; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), sel)) return i;
	}
	throw new Error(`${sel} not reached with ${max} presses of Tab`);
}
const focused = () => page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.className));
await check('keyboard only: take, keep, delete with Tab, Enter and Escape', async () => {
	await idle();
	const name = `bt-keys-${stamp}`;
	await page.reload(); // from the top of the page (the token stays in the session)
	await page.locator('#captures').waitFor({ state: 'visible' });
	const tabs = await tabTo('#take-open');
	await page.keyboard.press('Enter');
	await page.locator('dialog#take-dialog').waitFor({ state: 'visible' });
	assert((await focused()) === 'take-name', `the focus is on ${await focused()}, not #take-name`);
	await page.keyboard.type(name);
	await tabTo('#take-duration', 10);
	await page.keyboard.press('Control+A');
	await page.keyboard.type('1');
	await page.keyboard.press('Enter');
	const c = await until('the capture in the API', async () => {
		const l = await api('GET', `/api/captures?search=${encodeURIComponent(name)}`);
		return l.json && l.json.captures.find((x) => x.name === name);
	}, 5000);
	assert(c.duration === 1, `duration ${c.duration}, not 1`);
	await waitStatus(c.id, 'ok', 20000);
	await until('#take-keep focused', async () => (await focused()) === 'take-keep', 10000);
	await page.keyboard.press('Enter');
	await page.locator('dialog#take-dialog').waitFor({ state: 'hidden', timeout: 5000 });
	await until('kept: true in the API', async () => (await api('GET', `/api/captures/${c.id}`)).json.kept === true, 5000);
	await until('the focus back on #take-open', async () => (await focused()) === 'take-open', 3000);
	await waitRow(c.id);
	await tabTo(`tr[data-id="${c.id}"] button.row-delete`);
	await page.keyboard.press('Enter');
	await page.locator('dialog#confirm-dialog').waitFor({ state: 'visible' });
	await page.keyboard.press('Escape');
	await page.locator('dialog#confirm-dialog').waitFor({ state: 'hidden', timeout: 5000 });
	assert((await api('GET', `/api/captures/${c.id}`)).status === 200, 'Escape deleted the capture');
	assert(await page.evaluate((id) => document.activeElement.matches(`tr[data-id="${id}"] button.row-delete`), c.id),
		`after Escape the focus is on ${await focused()}, not the row's Delete`);
	await page.keyboard.press('Enter');
	await page.locator('dialog#confirm-dialog').waitFor({ state: 'visible' });
	await tabTo('#confirm-yes', 5);
	await page.keyboard.press('Enter');
	await gone(c.id);
	await row(c.id).waitFor({ state: 'detached', timeout: 10000 });
	return { note: `Take Capture after ${tabs} presses of Tab` };
});

await check('sign out', async () => {
	await page.click('#signout');
	await page.locator('#signin').waitFor({ state: 'visible', timeout: 5000 });
});

await finish();
