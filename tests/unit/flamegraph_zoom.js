// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Runs the inline script of a leakd flame graph against a small stand-in for the
// browser's DOM: node flamegraph_zoom.js FILE.svg FRAME SEARCH.  Clicks FRAME (by
// name) and checks the zoom (FRAME spans the page, its ancestors too, frames beside
// it hidden), searches SEARCH and prints the "Matched" text, resets, checks all back.
'use strict';
const fs = require('fs');

const [file, clickName, searchRe] = process.argv.slice(2);
const svg = fs.readFileSync(file, 'utf8');
const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
	.replace(/&apos;/g, "'").replace(/&amp;/g, '&');

function element(attrs) {
	const e = { attrs: Object.assign({}, attrs), style: {}, listeners: {}, textContent: '' };
	e.getAttribute = (k) => (k in e.attrs ? e.attrs[k] : null);
	e.setAttribute = (k, v) => { e.attrs[k] = String(v); };
	e.hasAttribute = (k) => k in e.attrs;
	e.addEventListener = (t, f) => { e.listeners[t] = f; };
	return e;
}

function attrsOf(tag) {
	const a = {};
	for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g))
		a[m[1]] = unescape(m[2]);
	return a;
}

const width = +/<svg[^>]* width="(\d+)"/.exec(svg)[1];
const frames = [];
for (const m of svg.matchAll(/<g class="f"([^>]*)><title>([^<]*)<\/title><rect([^>]*)\/><text([^>]*)>([^<]*)<\/text><\/g>/g)) {
	const g = element(attrsOf(m[1]));
	const title = element({}), rect = element(attrsOf(m[3])), text = element(attrsOf(m[4]));
	title.textContent = unescape(m[2]);
	text.textContent = unescape(m[5]);
	g.parts = { title, rect, text };
	g.querySelector = (sel) => g.parts[sel];
	frames.push(g);
}
const ids = {};
for (const id of ['reset', 'search', 'details', 'matched'])
	ids[id] = element({});
const listeners = {};
global.window = { addEventListener: (t, f) => { listeners[t] = f; } };
global.document = {
	documentElement: element({ width: String(width) }),
	querySelectorAll: (sel) => (sel === 'g.f' ? frames : []),
	getElementById: (id) => ids[id],
};
global.prompt = () => searchRe;

const script = /<!\[CDATA\[([\s\S]*?)\]\]>/.exec(svg)[1];
eval(script); // eslint-disable-line no-eval
listeners.load();

const fail = (msg) => { console.error('FAIL: ' + msg); process.exit(1); };
const pad = 10, span = width - 2 * pad;
const near = (a, b) => Math.abs(a - b) < 0.01;
const target = frames.find((g) => g.getAttribute('data-n') === clickName);
if (!target)
	fail('no frame ' + clickName);
const tx = +target.getAttribute('data-x'), tw = +target.getAttribute('data-w');
const td = +target.getAttribute('data-d');

target.listeners.click();
for (const g of frames) {
	const x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w'), d = +g.getAttribute('data-d');
	const r = g.querySelector('rect');
	const covers = x <= tx + 1e-9 && x + w >= tx + tw - 1e-9;
	const inside = x >= tx - 1e-9 && x + w <= tx + tw + 1e-9;
	if ((d <= td && covers) || (d > td && inside)) {
		if (g.style.display === 'none')
			fail(g.getAttribute('data-n') + ' hidden by the zoom');
		const want = d <= td ? span : w / tw * span;
		if (!near(+r.getAttribute('width'), want))
			fail(g.getAttribute('data-n') + ' width ' + r.getAttribute('width') + ' not ' + want);
	} else if (g.style.display !== 'none') {
		fail(g.getAttribute('data-n') + ' shown beside the zoomed frame');
	}
}
if (ids.reset.style.display !== '')
	fail('no reset button after the zoom');
if (target.querySelector('text').textContent !== clickName)
	fail('label of the zoomed frame: ' + target.querySelector('text').textContent);

ids.search.listeners.click();
console.log(ids.matched.textContent);
for (const g of frames) {
	const hit = new RegExp(searchRe).test(g.getAttribute('data-n'));
	if ((g.querySelector('rect').getAttribute('fill') === 'rgb(230,0,230)') !== hit)
		fail('search colour of ' + g.getAttribute('data-n'));
}

ids.reset.listeners.click();
for (const g of frames) {
	const r = g.querySelector('rect');
	if (g.style.display === 'none')
		fail('hidden after reset: ' + g.getAttribute('data-n'));
	if (!near(+r.getAttribute('width'), +g.getAttribute('data-w') * span) ||
	    !near(+r.getAttribute('x'), pad + +g.getAttribute('data-x') * span))
		fail('not back in place after reset: ' + g.getAttribute('data-n'));
}
target.listeners.mouseover();
if (ids.details.textContent !== target.querySelector('title').textContent)
	fail('details line: ' + ids.details.textContent);
console.log('OK');
