// The demo page: connect, ECHO, a named cluster, live stream stats. Its state is in the page
// (elements and their data-* attributes), so a test reads what a person sees.
import { ChannelType, ClusterChannel, connect, errorName, formatNode } from './dap-stream.js';

/** How often the stats table refreshes and the page pings for a fresh RTT, in milliseconds. */
const STATS_REFRESH_MS = 250;
const PING_EVERY_MS = 1000;

const $ = (id) => document.getElementById(id);
const text = new TextDecoder();
let stream = null;
let echo = null;
let cluster = null;
let timers = [];

$('url').value = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/stream`;

function status(state, message) {
  $('status').dataset.state = state;
  $('status').textContent = message;
}

function append(list, line) {
  const item = document.createElement('li');
  item.textContent = line;
  $(list).append(item);
  item.scrollIntoView({ block: 'nearest' });
}

function enable(on) {
  for (const id of ['echo-text', 'echo-send', 'cluster-name', 'cluster-join', 'disconnect']) $(id).disabled = !on;
  $('connect').disabled = on;
}

function showStats() {
  if (!stream) return;
  const s = stream.stats;
  $('bytes-in').textContent = s.bytesIn;
  $('bytes-out').textContent = s.bytesOut;
  $('frames-in').textContent = s.framesIn;
  $('frames-out').textContent = s.framesOut;
  $('rtt').textContent = s.rttMs === null ? '–' : `${s.rttMs.toFixed(2)} ms`;
  $('rtt-last').textContent = s.lastRttMs === null ? '–' : `${s.lastRttMs.toFixed(2)} ms`;
}

async function open() {
  status('connecting', 'connecting…');
  try {
    stream = await connect($('url').value);
  } catch (e) {
    status('error', `failed: ${e.message}`);
    return;
  }
  $('node').textContent = formatNode(stream.server.node);
  $('session').textContent = `0x${stream.session.toString(16)}`;
  $('handshake').textContent = `${stream.stats.handshakeMs.toFixed(1)} ms`;
  $('handshake').dataset.ms = stream.stats.handshakeMs;
  status('ready', 'ready');
  stream.on('close', ({ code, reason }) => {
    status(code === 0 ? 'closed' : 'error', `closed: ${errorName(code)}${reason ? ` (${reason})` : ''}`);
    enable(false);
    for (const t of timers) clearInterval(t);
    showStats();
  });
  stream.on('goaway', ({ reason }) => append('echoes', `node going away: ${reason}`));
  echo = await stream.openChannel(ChannelType.ECHO, {
    onMessage: (bytes) => append('echoes', `echo: ${text.decode(bytes)}`),
  });
  enable(true);
  timers = [setInterval(showStats, STATS_REFRESH_MS), setInterval(() => stream.ping(), PING_EVERY_MS)];
  stream.ping();
}

$('connect').onclick = open;
$('disconnect').onclick = () => stream?.close('closed by the demo page');
$('echo-send').onclick = () => echo.write($('echo-text').value);
$('cluster-join').onclick = async () => {
  const name = $('cluster-name').value;
  try {
    cluster ??= await ClusterChannel.open(stream, {
      message: (m) => append('cluster-messages', `${m.cluster} · ${formatNode(m.origin)}/${m.publisher} #${m.seq}: ${text.decode(m.payload)}`),
      gap: (g) => append('cluster-messages', `${g.cluster}: ${g.missed} missed`),
      refused: (r) => append('cluster-messages', `refused: ${errorName(r.code)} ${r.reason}`),
    });
    const joined = await cluster.join(name);
    $('cluster-state').textContent = `joined ${name} (${joined.members} members)`;
    $('cluster-state').dataset.joined = name;
    $('cluster-text').disabled = false;
    $('cluster-publish').disabled = false;
  } catch (e) {
    $('cluster-state').textContent = `join failed: ${e.message}`;
  }
};
$('cluster-publish').onclick = () => cluster.publish($('cluster-name').value, $('cluster-text').value);

if (new URLSearchParams(location.search).has('connect')) open();
