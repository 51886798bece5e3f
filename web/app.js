// chanstrip's page. Everything is generated from the OSCQuery namespace (GET /): new
// parameters, stages and meter fields appear with no edit here. Values and meters arrive
// over the WebSocket as binary OSC; a control sends binary OSC back.
'use strict';

const METER_RATE_HZ = 50;   // the server caps it like OSC's
const FLOOR_DB = -60;       // bottom of the level bars
const GR_RANGE_DB = 24;     // full scale of the gain-reduction bars
const state = { ws: null, strips: [], nodes: new Map(), meterFields: [], frames: 0 };
const $ = (id) => document.getElementById(id);

// ---- OSC (binary) ---------------------------------------------------------------------
function oscString(s) {
  const b = new TextEncoder().encode(s);
  const out = new Uint8Array((b.length + 4) & ~3);
  out.set(b);
  return out;
}

function oscEncode(path, value) {
  const a = oscString(path), t = oscString(',f');
  const buf = new Uint8Array(a.length + t.length + 4);
  buf.set(a, 0);
  buf.set(t, a.length);
  new DataView(buf.buffer).setFloat32(a.length + t.length, value, false);
  return buf.buffer;
}

// a command: its namespace TYPE is "s" (one string argument) or "N" (Nil: no data)
function oscEncodeCommand(path, type, text) {
  const parts = [oscString(path), oscString(',' + type)];
  if (type === 's') parts.push(oscString(text));
  const buf = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) { buf.set(p, pos); pos += p.length; }
  return buf.buffer;
}

function oscReadString(bytes, pos) {
  let end = pos;
  while (end < bytes.length && bytes[end] !== 0) end++;
  const s = new TextDecoder().decode(bytes.subarray(pos, end));
  return [s, (end + 4) & ~3];
}

function oscDecode(buffer) {
  const bytes = new Uint8Array(buffer), dv = new DataView(buffer);
  let [path, pos] = oscReadString(bytes, 0);
  let types;
  [types, pos] = oscReadString(bytes, pos);
  const args = [];
  for (const t of types.slice(1)) {
    if (t === 'f') { args.push(dv.getFloat32(pos, false)); pos += 4; }
    else if (t === 'i') { args.push(dv.getInt32(pos, false)); pos += 4; }
    else if (t === 's') { let s; [s, pos] = oscReadString(bytes, pos); args.push(s); }
    else break;
  }
  return { path, args };
}

// ---- values -------------------------------------------------------------------------
const dbText = (v) => (v === null || !isFinite(v) || v <= -150) ? '-inf' : v.toFixed(1);

function formatValue(node, v) {
  if (node.X_ENUM) return node.X_ENUM[Math.round(v)] || String(v);
  if (node.X_KIND === 'bool') return v ? 'on' : 'off';
  if (v === 0 && node.RANGE[0].MIN > 0) return 'off'; // "0 = off" below the range
  const unit = (node.UNIT && node.UNIT[0]) || '';
  const digits = Number.isInteger(v) || Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toFixed(digits) + (unit && unit !== 'bool' && unit !== 'enum' ? ' ' + unit : '');
}

// slider position 0..1 <-> value, through the parameter's taper (as OSC's /norm does)
function toPos(node, v) {
  const r = node.RANGE[0];
  if (node.X_TAPER === 'log' && r.MIN > 0) {
    if (v <= 0) return 0;
    return Math.log(v / r.MIN) / Math.log(r.MAX / r.MIN);
  }
  return (v - r.MIN) / (r.MAX - r.MIN);
}

function fromPos(node, p) {
  const r = node.RANGE[0];
  if (node.X_TAPER === 'log' && r.MIN > 0) return r.MIN * Math.pow(r.MAX / r.MIN, p);
  return r.MIN + p * (r.MAX - r.MIN);
}

function send(path, value) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(oscEncode(path, value));
}

function sendCommand(node, text) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN)
    state.ws.send(oscEncodeCommand(node.FULL_PATH, node.TYPE, text));
}

function showMessage(text) {
  const m = $('message');
  m.textContent = text;
  m.classList.add('show');
  clearTimeout(showMessage.timer);
  showMessage.timer = setTimeout(() => m.classList.remove('show'), 5000);
}

// ---- controls -----------------------------------------------------------------------
function makeControl(node, name) {
  const row = document.createElement('div');
  row.className = 'ctl';
  row.dataset.path = node.FULL_PATH;
  row.title = (node.DESCRIPTION || '') + ' (double-click: default)';
  const label = document.createElement('label');
  label.textContent = name;
  const val = document.createElement('span');
  val.className = 'val';
  let input;
  const vals = node.RANGE && node.RANGE[0].VALS;
  if (vals && node.X_KIND !== 'bool') {
    input = document.createElement('select');
    vals.forEach((v, k) => {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = node.X_ENUM ? node.X_ENUM[k] : formatValue(node, v);
      input.appendChild(o);
    });
    input.addEventListener('change', () => send(node.FULL_PATH, Number(input.value)));
  } else if (node.X_KIND === 'bool') {
    input = document.createElement('input');
    input.type = 'checkbox';
    input.addEventListener('change', () => {
      send(node.FULL_PATH, input.checked ? 1 : 0);
      val.textContent = formatValue(node, input.checked ? 1 : 0);
    });
  } else {
    input = document.createElement('input');
    input.type = 'range';
    input.min = 0; input.max = 1000; input.step = 1;
    input.addEventListener('input', () => {
      const v = fromPos(node, input.value / 1000);
      send(node.FULL_PATH, v);
      val.textContent = formatValue(node, v);
    });
  }
  input.setAttribute('aria-label', node.FULL_PATH);
  label.htmlFor = input.id = 'c' + node.FULL_PATH.replace(/\W/g, '_');
  const control = {
    node, input, val,
    set(v) {
      if (input.type === 'checkbox') input.checked = v !== 0;
      else if (input.tagName === 'SELECT') input.value = String(vals.reduce((a, b) =>
        Math.abs(b - v) < Math.abs(a - v) ? b : a));
      else if (document.activeElement !== input) input.value = Math.round(toPos(node, v) * 1000);
      val.textContent = formatValue(node, v);
    },
  };
  row.addEventListener('dblclick', () => {
    send(node.FULL_PATH, node.X_DEFAULT);
    control.set(node.X_DEFAULT);
  });
  row.append(label, input, val);
  control.set(node.VALUE ? node.VALUE[0] : node.X_DEFAULT);
  state.nodes.set(node.FULL_PATH, control);
  return row;
}

// ---- meters -------------------------------------------------------------------------
function meterLayout(fields) {
  const idx = (n) => fields.indexOf(n);
  return {
    inPeak: idx('in_peak_dbfs'), inRms: idx('in_rms_dbfs'), inDbu: idx('in_dbu'),
    tp: idx('in_true_peak_dbtp'), headroom: idx('headroom_db'),
    outPeak: idx('out_peak_dbfs'), outRms: idx('out_rms_dbfs'),
    gr: fields.map((f, k) => [f, k]).filter(([f]) => f.endsWith('_gr_db')),
    loudness: fields.map((f, k) => [f, k]).filter(([f]) => /lufs|loudness|lu$/.test(f)),
  };
}

function makeStrip(n, stripNode) {
  const col = document.createElement('section');
  col.className = 'strip';
  col.dataset.strip = n;
  const h = document.createElement('h2');
  h.innerHTML = `<span>Strip ${n}</span>`;
  col.appendChild(h);
  const canvas = document.createElement('canvas');
  canvas.className = 'meters';
  col.appendChild(canvas);
  const readouts = document.createElement('div');
  readouts.className = 'readouts';
  col.appendChild(readouts);
  const strip = { n, canvas, readouts: {}, shown: null, target: null, col };
  const lay = state.layout;
  const ro = [['in_dbu', 'in dBu'], ['in_peak_dbfs', 'in dBFS'], ['headroom_db', 'TP headroom'],
    ['out_peak_dbfs', 'out dBFS'], ...lay.gr.map(([f]) => [f, f.replace('_gr_db', ' GR')]),
    ...lay.loudness.map(([f]) => [f, f])];
  for (const [f, label] of ro) {
    if (state.meterFields.indexOf(f) < 0) continue;
    const d = document.createElement('div');
    d.innerHTML = `${label} <b data-field="${f}">-inf</b>`;
    readouts.appendChild(d);
    strip.readouts[f] = d.querySelector('b');
  }
  for (const [mod, modNode] of Object.entries(stripNode.CONTENTS)) {
    const params = Object.entries(modNode.CONTENTS || {}).filter(([, p]) => p.ACCESS === 3);
    if (!params.length) continue;
    const fs = document.createElement('fieldset');
    fs.dataset.stage = mod;
    const lg = document.createElement('legend');
    lg.textContent = mod;
    fs.appendChild(lg);
    for (const [name, p] of params) fs.appendChild(makeControl(p, name));
    col.appendChild(fs);
  }
  addAutogain(strip, stripNode);
  addBypass(strip);
  addCompare(strip, stripNode);
  return strip;
}

// Bypass in the strip's title too: the on/off parameter named .../bypass of the strip
// module, shown lit while the strip is bypassed, whoever switches it.
function addBypass(strip) {
  const c = state.nodes.get(`/strip/${strip.n}/strip/bypass`);
  if (!c || c.node.X_KIND !== 'bool') return;
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'bypass';
  b.textContent = 'Bypass';
  b.setAttribute('aria-pressed', 'false');
  b.addEventListener('click', () => {
    const on = !c.input.checked;
    send(c.node.FULL_PATH, on ? 1 : 0);
    c.set(on ? 1 : 0);
  });
  const set = c.set;
  c.set = (v) => { set(v); b.classList.toggle('on', v !== 0); b.setAttribute('aria-pressed', String(v !== 0)); };
  c.set(c.input.checked ? 1 : 0);
  strip.col.querySelector('h2').appendChild(b);
}

// The strip's write-only commands of the namespace (ab/store, ab/recall, ab/swap, reset):
// a button per value of a string command (store A, store B, ...) and one for a Nil one.
function addCompare(strip, stripNode) {
  const cmds = [];
  const ab = stripNode.CONTENTS.ab;
  for (const [name, node] of Object.entries((ab && ab.CONTENTS) || {})) cmds.push([name, node]);
  for (const [name, node] of Object.entries(stripNode.CONTENTS))
    if (node.ACCESS === 2 && !node.CONTENTS) cmds.push([name, node]);
  if (!cmds.length) return;
  const fs = document.createElement('fieldset');
  fs.className = 'compare';
  fs.dataset.stage = 'compare';
  const lg = document.createElement('legend');
  lg.textContent = 'A/B';
  fs.appendChild(lg);
  for (const [name, node] of cmds) {
    if (node.ACCESS !== 2) continue;
    const vals = node.TYPE === 's' && node.RANGE ? node.RANGE[0].VALS : [''];
    for (const v of vals) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = v ? `${name} ${v}` : name;
      b.title = node.DESCRIPTION || '';
      b.dataset.path = node.FULL_PATH;
      b.dataset.arg = v;
      b.addEventListener('click', () => {
        sendCommand(node, v);
        showStatus(`strip ${strip.n}: ${b.textContent}`);
      });
      fs.appendChild(b);
    }
  }
  strip.col.insertBefore(fs, strip.col.querySelector('fieldset'));
}

// The auto-gain button: shown only when the namespace has an on/off parameter whose address
// names autogain (a stage /strip/N/autogain/... or a parameter .../autogain); it sends that
// parameter and shows its state, whoever changes it.
function addAutogain(strip, stripNode) {
  let node = null;
  for (const m of Object.values(stripNode.CONTENTS))
    for (const p of Object.values(m.CONTENTS || {}))
      if (!node && p.ACCESS === 3 && p.X_KIND === 'bool' && /autogain/.test(p.FULL_PATH)) node = p;
  if (!node) return;
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'autogain';
  b.textContent = 'Auto gain';
  const c = state.nodes.get(node.FULL_PATH);
  b.addEventListener('click', () => {
    const on = !c.input.checked;
    send(node.FULL_PATH, on ? 1 : 0);
    c.set(on ? 1 : 0);
  });
  const set = c.set;
  c.set = (v) => { set(v); b.classList.toggle('on', v !== 0); };
  c.set(c.input.checked ? 1 : 0);
  strip.col.querySelector('h2').appendChild(b);
}

function drawStrip(s) {
  const c = s.canvas, dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth, h = c.clientHeight;
  if (c.width !== Math.round(w * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const lay = state.layout, v = s.shown;
  const bars = [['IN', lay.inPeak, lay.inRms], ...lay.gr.map(([f, k]) => [f.replace('_gr_db', '').toUpperCase(), k, -1, true]),
    ['OUT', lay.outPeak, lay.outRms]].filter((b) => b[1] >= 0);
  const bw = (w - 8) / bars.length, top = 4, bottom = h - 16;
  const y = (db) => top + (bottom - top) * Math.min(1, Math.max(0, db / FLOOR_DB));
  g.font = '10px system-ui, sans-serif';
  g.textAlign = 'center';
  bars.forEach(([label, k, rms, isGr], i) => {
    const x = 4 + i * bw + 3, bwi = bw - 6;
    g.fillStyle = '#1c1f23';
    g.fillRect(x, top, bwi, bottom - top);
    if (v) {
      if (isGr) {
        const gr = Math.min(GR_RANGE_DB, Math.max(0, v[k]));
        g.fillStyle = getComputedStyle(document.body).getPropertyValue('--gr') || '#f93';
        g.fillRect(x, top, bwi, (bottom - top) * gr / GR_RANGE_DB);
      } else {
        const pk = v[k];
        g.fillStyle = pk > -1 ? '#ff5a4f' : pk > -12 ? '#e8c547' : '#3ccf6e';
        g.fillRect(x, y(pk), bwi, bottom - y(pk));
        if (rms >= 0) { g.fillStyle = 'rgba(0,0,0,.35)'; g.fillRect(x, y(v[rms]), bwi, bottom - y(v[rms])); }
      }
    }
    g.fillStyle = '#8a929c';
    g.fillText(label, x + bwi / 2, h - 4);
  });
}

// meters fall back smoothly between messages (about 20 dB/s), peaks jump up at once
function animate(tPrev) {
  requestAnimationFrame((t) => {
    state.frames++; // read by the browser test: the meters are drawn at the screen's rate
    const dt = Math.min(0.1, (t - tPrev) / 1000 || 0);
    for (const s of state.strips) {
      if (!s.target) continue;
      if (!s.shown) s.shown = s.target.map(() => -150);
      for (let k = 0; k < s.target.length; k++) {
        // gain reduction as a positive amount: it rises at once and releases like a level
        const isGr = state.meterFields[k].endsWith('_gr_db');
        const raw = s.target[k] === null ? -150 : s.target[k];
        const tv = isGr ? Math.abs(raw) : raw;
        s.shown[k] = tv > s.shown[k] ? tv : Math.max(tv, s.shown[k] - (isGr ? 40 : 20) * dt);
      }
      drawStrip(s);
    }
    animate(t);
  });
}

function onMeter(strip, args) {
  const s = state.strips[strip - 1];
  if (!s) return;
  s.target = args;
  const now = performance.now();
  if (now - (s.readoutT || 0) < 100) return; // text at 10 Hz is plenty to read
  s.readoutT = now;
  // silence: the dBu and headroom figures say nothing useful, as -inf does not either
  const silent = !(args[state.layout.inPeak] > -150);
  for (const [f, el] of Object.entries(s.readouts)) {
    const k = state.meterFields.indexOf(f);
    if (silent && (f === 'in_dbu' || f === 'headroom_db')) el.textContent = '-';
    else el.textContent = f === 'clips' ? String(args[k]) : dbText(args[k]);
  }
}

// ---- connection ---------------------------------------------------------------------
function onMessage(ev) {
  if (typeof ev.data === 'string') {
    const m = JSON.parse(ev.data);
    if (m.COMMAND === 'ERROR') showMessage(`${m.DATA.PATH}: ${m.DATA.MESSAGE}`);
    else if (m.COMMAND === 'PRESET_LIST') fillPresets(m.DATA);
    else if (m.COMMAND === 'PRESET_LOADED') showStatus(`preset ${m.DATA} loaded`);
    else if (m.COMMAND === 'PRESET_SAVED') { showStatus(`preset ${m.DATA} saved`); listPresets(); }
    return;
  }
  const { path, args } = oscDecode(ev.data);
  const mm = /^\/strip\/(\d+)\/meter$/.exec(path);
  if (mm) { onMeter(Number(mm[1]), args); return; }
  const c = state.nodes.get(path);
  if (c && typeof args[0] === 'number') c.set(args[0]);
}

function showStatus(text, cls) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status ' + (cls || 'ok');
}

function command(c, data, extra) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN)
    state.ws.send(JSON.stringify(Object.assign({ COMMAND: c, DATA: data }, extra || {})));
}

function listPresets() { command('PRESET_LIST', ''); }

function fillPresets(names) {
  const dl = $('preset-list');
  dl.innerHTML = '';
  for (const n of names) { const o = document.createElement('option'); o.value = n; dl.appendChild(o); }
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/`);
  ws.binaryType = 'arraybuffer';
  state.ws = ws;
  ws.onopen = () => {
    showStatus('connected');
    command('LISTEN', '/strip');
    command('LISTEN', '/strip/*/meter', { RATE: METER_RATE_HZ });
    listPresets();
  };
  ws.onmessage = onMessage;
  ws.onclose = () => { showStatus('disconnected: retrying', 'bad'); setTimeout(connect, 1000); };
}

async function start() {
  const [ns, info] = await Promise.all([fetch('/').then((r) => r.json()),
    fetch('/?HOST_INFO').then((r) => r.json())]);
  $('title').textContent = info.NAME;
  document.title = info.NAME;
  const stripsNode = ns.CONTENTS.strip.CONTENTS;
  const first = stripsNode[Object.keys(stripsNode)[0]];
  const meter = first.CONTENTS.meter.CONTENTS;
  state.meterFields = Object.entries(meter).filter(([, p]) => p.ACCESS === 1).map(([f]) => f);
  state.layout = meterLayout(state.meterFields);
  const main = $('strips');
  for (const key of Object.keys(stripsNode).sort((a, b) => a - b)) {
    const s = makeStrip(Number(key), stripsNode[key]);
    state.strips.push(s);
    main.appendChild(s.col);
  }
  $('preset-load').addEventListener('click', () => command('PRESET_LOAD', $('preset-name').value));
  $('preset-save').addEventListener('click', () => command('PRESET_SAVE', $('preset-name').value));
  connect();
  animate(performance.now());
}

window.chanstrip = state;
start().catch((e) => showStatus('cannot read the namespace: ' + e, 'bad'));
