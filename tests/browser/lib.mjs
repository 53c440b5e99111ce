// What the browser checks share (tests/browser/run.sh runs them against a real agent):
// the environment, the API with the token, the check runner, and the page in Chromium
// with the helpers that drive it. Importing this module launches the browser.
// Environment: SYSREC_URL, SYSREC_TOKEN, SYSREC_ARTIFACTS (screenshots, downloads),
// CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const URL_ = process.env.SYSREC_URL;
export const TOKEN = process.env.SYSREC_TOKEN;
export const OUT = process.env.SYSREC_ARTIFACTS || 'build/browser';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!URL_ || !TOKEN) {
	console.error('tests/browser: SYSREC_URL and SYSREC_TOKEN must be set (run tests/browser/run.sh)');
	process.exit(2);
}
mkdirSync(OUT, { recursive: true });

let pass = 0, fail = 0, skip = 0;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the API, with the token ---------------------------------------------------------
export async function api(method, path, body) {
	const r = await fetch(URL_ + path, {
		method,
		headers: { Authorization: `Bearer ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await r.text();
	let json = null;
	try { json = JSON.parse(text); } catch { /* not JSON */ }
	return { status: r.status, json, text };
}
export async function waitStatus(id, want = 'ok', ms = 30000) {
	const end = Date.now() + ms;
	let last;
	while (Date.now() < end) {
		last = await api('GET', `/api/captures/${id}`);
		if (last.json && last.json.status === want) return last.json;
		if (last.json && want === 'ok' && last.json.status === 'error') throw new Error(`capture ${id} failed: ${last.json.error}`);
		await sleep(200);
	}
	throw new Error(`capture ${id} not ${want} after ${ms} ms: ${last && last.text}`);
}
export async function take(name, duration = 1, wait = true) { // via the API; retried while another records
	for (let i = 0; i < 100; i++) {
		const r = await api('POST', '/api/captures', { name, duration });
		if (r.status === 201) return wait ? waitStatus(r.json.id) : r.json;
		if (r.status !== 409) throw new Error(`POST /api/captures ${name}: ${r.status} ${r.text}`);
		await sleep(300);
	}
	throw new Error(`POST /api/captures ${name}: still 409`);
}
export async function idle(ms = 30000) { // no capture recording or storing
	await until('no capture recording or storing', async () => {
		const l = await api('GET', '/api/captures?limit=100');
		return l.json && l.json.captures.every((c) => c.status !== 'recording' && c.status !== 'storing');
	}, ms);
}
export async function gone(id, ms = 10000) {
	const end = Date.now() + ms;
	let s;
	while (Date.now() < end) {
		s = (await api('GET', `/api/captures/${id}`)).status;
		if (s === 404) return;
		await sleep(200);
	}
	throw new Error(`capture ${id} still there (GET: ${s})`);
}
export async function until(what, fn, ms = 15000) { // poll fn until it returns truthy
	const end = Date.now() + ms;
	let last;
	while (Date.now() < end) {
		try { last = await fn(); if (last) return last; } catch (e) { last = e.message; }
		await sleep(150);
	}
	throw new Error(`${what} (after ${ms} ms${last ? `; last: ${String(last).slice(0, 200)}` : ''})`);
}
export function assert(cond, why) { if (!cond) throw new Error(why); }

// --- the runner ----------------------------------------------------------------------
let blocked = ''; // set when the page did not load or sign in: the later checks fail at once
export async function check(name, fn, gate = '') {
	if (blocked) { fail++; console.log(`  FAIL  ${name}: not run: ${blocked}`); return; }
	try {
		const r = await fn();
		if (r && r.skip) { skip++; console.log(`  skip  ${name}: ${r.skip}`); return; }
		pass++;
		console.log(`  ok    ${name}${r && r.note ? ` (${r.note})` : ''}`);
	} catch (e) {
		fail++;
		console.log(`  FAIL  ${name}: ${String(e && e.message || e).split('\n')[0].slice(0, 400)}`);
		if (gate) blocked = gate;
		const shot = join(OUT, `fail-${fail}.png`); // what the page looked like
		try {
			await page.screenshot({ path: shot, timeout: 5000 });
			console.log(`        (screenshot ${shot})`);
			// a dialog left open by the failed check would block the next ones
			await page.evaluate(() => document.querySelectorAll('dialog[open]').forEach((d) => d.close()));
		} catch { /* no page yet */ }
	}
}

// --- the page ------------------------------------------------------------------------
const browser = await chromium.launch({
	executablePath: CHROMIUM,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
export const page = await context.newPage();
page.setDefaultTimeout(15000);

const consoleErrors = [];
let ignoredErrors = 0;
// The browser logs every non-2xx answer to a fetch as a console error; the checks cause
// some on purpose (the wrong token 401, the limit 409, the bad filter 400, captures
// disabled 403).
const expectedNet = /^Failed to load resource: the server responded with a status of (400|401|403|409)\b/;
page.on('console', (m) => {
	if (m.type() !== 'error') return;
	if (expectedNet.test(m.text())) { ignoredErrors++; return; }
	consoleErrors.push(`console: ${m.text()}`);
});
page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
const urlsWithToken = [];
page.on('request', (r) => { if (r.url().includes(TOKEN)) urlsWithToken.push(r.url()); });
page.on('framenavigated', (f) => { if (f.url().includes(TOKEN)) urlsWithToken.push(f.url()); });

export const row = (id) => page.locator(`tr[data-id="${id}"]`);
export const rowStatus = async (id) => ((await row(id).locator('td[data-col="status"]').textContent()) || '').trim();
export const isOk = (s) => s.replace(/[^a-z]/gi, '').toLowerCase() === 'ok'; // "Ok", maybe with an icon
export const visibleRows = () => page.locator('#captures-table tr[data-id]');
export async function rowNames() {
	return page.locator('#captures-table tr[data-id] td[data-col="name"]').allTextContents();
}
export async function signIn(token) {
	await page.fill('#token', token);
	await page.click('#signin-submit');
}
// Close the Take dialog if it is open. The page may be closing it at this moment (after
// Keep or Discard), so a click that finds the button gone is not an error.
export async function closeTakeDialog() {
	const dialog = page.locator('dialog#take-dialog');
	if (!(await dialog.isVisible())) return;
	try {
		await page.click('#take-cancel', { timeout: 2000 });
	} catch {
		if (await dialog.isVisible()) await page.keyboard.press('Escape');
	}
	await dialog.waitFor({ state: 'hidden' });
}
export async function openTake() {
	await closeTakeDialog();
	await page.click('#take-open');
	await page.locator('dialog#take-dialog').waitFor({ state: 'visible' });
}
export async function setToggle(sel, on) { // a toggle button (aria-pressed)
	const el = page.locator(sel);
	if (((await el.getAttribute('aria-pressed')) === 'true') !== on) await el.click();
	await until(`${sel} aria-pressed=${on}`, async () => (await el.getAttribute('aria-pressed')) === String(on), 2000);
}
// Wait for a row, brought by the table's own refresh (no reload): 1.5 s while a capture
// records or stores, 10 s otherwise.
export async function waitRow(id, ms = 12000) {
	await row(id).waitFor({ state: 'attached', timeout: ms });
}


// The checks every run ends with, then "browser: N passed, N failed, N skipped"; exits 1
// when a check failed.
export async function finish() {
	await check('the token was never in a URL', async () => {
		assert(urlsWithToken.length === 0, urlsWithToken[0] || '');
	});
	await check('no console errors or page errors', async () => {
		assert(consoleErrors.length === 0, `${consoleErrors.length}: ${consoleErrors.slice(0, 3).join(' | ')}`);
		return { note: `${ignoredErrors} expected 400/401/403/409 answers logged by the browser` };
	});
	await browser.close();
	console.log(`browser: ${pass} passed, ${fail} failed, ${skip} skipped`);
	process.exit(fail ? 1 : 0);
}
