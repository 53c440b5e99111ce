// The web UI against an agent whose captures are switched off (captures.enabled: false),
// started by tests/browser/run.sh on the data of captures.test.mjs: what was stored is
// still listed and downloadable, the header says captures are disabled, and Take Capture
// says so where the user acts, before and after submitting, without storing anything.
import { api, assert, check, finish, openTake, page, signIn, until, URL_, TOKEN, visibleRows } from './lib.mjs';

const DISABLED = /captures are disabled/i;

let before;
await check('captures disabled: the stored captures are still listed', async () => {
	before = (await api('GET', '/api/captures')).json;
	assert(before && before.total >= 1, `the API lists ${before && before.total} captures after the restart`);
	await page.goto(URL_ + '/');
	await signIn(TOKEN);
	await page.locator('#captures').waitFor({ state: 'visible' });
	await until(`${before.total} rows`, async () => (await visibleRows().count()) === before.total);
	return { note: `${before.total} captures` };
}, 'could not sign in');

await check('captures disabled: the header says so', async () => {
	const t = await until('"disabled" in #agent-status', async () => {
		const x = await page.locator('#agent-status').innerText();
		return (x.match(/Captures\s+disabled/i) || [])[0];
	}, 5000);
	return { note: JSON.stringify(t) };
});

await check('captures disabled: Take Capture says so when opened and when submitted (403)', async () => {
	await openTake();
	await page.locator('#take-error').waitFor({ state: 'visible', timeout: 5000 });
	const opened = ((await page.locator('#take-error').textContent()) || '').trim();
	assert(DISABLED.test(opened), `#take-error on opening says ${JSON.stringify(opened)}`);
	const name = `bt-disabled-${Date.now().toString(36)}`;
	const want = await api('POST', '/api/captures', { name, duration: 1 });
	assert(want.status === 403, `the API answered ${want.status} ${want.text}`);
	await page.fill('#take-name', name);
	await page.fill('#take-duration', '1');
	await page.click('#take-submit');
	const said = await until('#take-error with the agent\'s answer', async () => {
		const t = ((await page.locator('#take-error').textContent()) || '').trim();
		return t.includes(want.json.error) && t;
	}, 5000);
	assert(!(await page.locator('#take-progress').isVisible()), 'the progress shows for a refused capture');
	const after = (await api('GET', '/api/captures')).json;
	assert(after.total === before.total, `${after.total} captures now, ${before.total} before`);
	await page.keyboard.press('Escape');
	await page.locator('dialog#take-dialog').waitFor({ state: 'hidden', timeout: 5000 });
	return { note: JSON.stringify(said) };
});

await finish();
