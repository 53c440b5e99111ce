// Formatting for the Captures page, and a small element helper.

export function el(tag, cls = '', text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = text;
	return e;
}

const pad = (n) => String(n).padStart(2, '0');

// An ISO time as local YYYY-MM-DD HH:MM:SS.
export function fmtTime(iso) {
	if (!iso) return '';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
		`${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtSeconds(s) {
	if (typeof s !== 'number' || !Number.isFinite(s)) return '—';
	if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
	const m = Math.floor(s / 60);
	const r = Math.round(s - m * 60);
	return r ? `${m} min ${r} s` : `${m} min`;
}

export function fmtBytes(n) {
	if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return i ? `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}` : `${n} B`;
}

const LABELS = { recording: 'Recording', storing: 'Storing', ok: 'Ok', error: 'Error' };
export const statusLabel = (s) => LABELS[s] || s;

// A capture's container as a person knows it: its name and id, its id alone, or "all".
export function containerText(c) {
	if (!c.container) return 'all';
	return c.container_name ? `${c.container_name} (${c.container})` : c.container;
}
