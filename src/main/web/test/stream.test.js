// The engine against a scripted acceptor: the handshake of section 21's vectors byte for byte,
// then sealed frames both ways, checked as the acceptor sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DapStream } from '../src/stream.js';
import { ClientHandshake } from '../src/secure.js';
import {
  Control, ErrorCode, Flags, FrameDecoder, INITIAL_CHANNEL_WINDOW, PacketType, Writer, concat, decodeClose, encodeClose, encodeHeader, hex,
} from '../src/wire.js';
import { draws, vector } from './vectors.js';

const CLIENT_KEY = 'client Ed25519 private key';
const CLIENT_DRAWS = 'client random draws (hello random 32, X25519 private 32, ML-KEM d 32, z 32)';

/** The acceptor's end: its keys come from the same vectors, so it opens what the client seals. */
class Acceptor {
  constructor() {
    this.decoder = new FrameDecoder();
    this.sent = [];
    this.wsClosed = null;
    this.clock = 1000;
    this.stream = new DapStream(
      { send: (bytes) => this.sent.push(bytes.slice()), close: (code) => { this.wsClosed = code; } },
      { identity: { secretKey: vector(CLIENT_KEY) }, random: draws(vector(CLIENT_DRAWS)), now: () => this.clock },
    );
    this.seq0 = 0;
    this.channelSeq = new Map();
  }

  /** Runs the handshake; afterwards `this.keys` are the acceptor's view (send = c2s to open, receive = s2c to seal). */
  async handshake() {
    const ready = this.stream.start();
    clearInterval(this.stream.timer); // the test ticks by hand
    await settle();
    const [ch] = this.frames();
    assert.equal(hex(ch.header), hex(encodeHeader(1264, PacketType.CONTROL, 0, 0, 0)));
    assert.equal(hex(ch.payload), hex(vector('CLIENT_HELLO')));
    this.plain(PacketType.CONTROL, 0, vector('SERVER_HELLO'));
    await settle();
    const [cf] = this.frames();
    assert.equal(cf.seq, 1);
    assert.equal(hex(cf.payload), hex(vector('CLIENT_FINISH')));
    this.plain(PacketType.CONTROL, 0, vector('SERVER_FINISH'));
    await ready;
    const mirror = new ClientHandshake({ identity: { secretKey: vector(CLIENT_KEY) }, random: draws(vector(CLIENT_DRAWS)) });
    mirror.clientHello();
    mirror.serverHello(vector('SERVER_HELLO'));
    this.keys = mirror.serverFinish(vector('SERVER_FINISH'));
  }

  plain(type, ch, payload) {
    this.stream.receive(concat(encodeHeader(payload.length, type, this.seq0++, ch, 0), payload));
  }

  /** A sealed frame from the acceptor with the next seq of its channel. */
  seal(type, ch, payload, flags = 0) {
    const seq = ch === 0 ? this.seq0++ : (this.channelSeq.get(ch) ?? 0);
    if (ch !== 0) this.channelSeq.set(ch, seq + 1);
    return this.keys.receive.seal(type, seq, ch, flags | Flags.ENCRYPTED, payload);
  }

  send(type, ch, payload, flags = 0) {
    this.stream.receive(this.seal(type, ch, payload, flags));
  }

  /** What the client wrote since the last call, as frames; sealed ones opened with the c2s keys. */
  frames() {
    const out = this.decoder.push(concat(...this.sent));
    this.sent = [];
    for (const f of out) {
      if (f.flags & Flags.ENCRYPTED) f.plain = this.keys.send.open(f);
    }
    return out;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function openEcho(a, onMessage = () => {}) {
  const opened = a.stream.openChannel(0xf0, { onMessage });
  await settle();
  const [open] = a.frames();
  assert.equal(open.seq, 2, 'the first encrypted frame on ch 0 is seq 2');
  assert.equal(hex(open.plain), '030100f000', 'OPEN_CHANNEL 1, ECHO');
  a.send(PacketType.CONTROL, 0, Uint8Array.of(Control.OPEN_ACK, 1, 0));
  return opened;
}

test('handshake, ECHO, ping, CLOSE: every frame as the acceptor reads it', async () => {
  const a = new Acceptor();
  await a.handshake();
  assert.equal(a.stream.session, 0x1a2b3c4d);
  assert.equal(a.stream.keepaliveIntervalMs, 1000, 'min(1 s, 3000 ms / 3)');
  const echoes = [];
  const echo = await openEcho(a, (bytes) => echoes.push(new TextDecoder().decode(bytes)));
  await echo.write('hello, DAP');
  await settle();
  const [data] = a.frames();
  assert.equal(hex(data.header.subarray(4)), hex(Uint8Array.of(1, 0, 0, 0, 0, 1, 0, Flags.ENCRYPTED)));
  assert.equal(hex(concat(data.header, data.payload)), hex(vector('DATA frame (ch 1, seq 0, "hello, DAP", c2s epoch 0)')),
    'the vector frame: seq 0 of channel 1 under the c2s epoch-0 key');
  a.send(PacketType.DATA, 1, new TextEncoder().encode('hello, DAP'));
  assert.deepEqual(echoes, ['hello, DAP']);

  a.send(PacketType.KEEPALIVE, 0, new Writer(9).u8(0).u64(0x0a1b2c3d4e5fn).bytes);
  await settle();
  const [pong] = a.frames();
  assert.equal(pong.type, PacketType.KEEPALIVE);
  assert.equal(hex(pong.plain), '015f4e3d2c1b0a0000', 'the pong carries the ping timestamp');

  a.clock += 1000; // write side idle for the interval: the client pings
  a.stream.tick();
  await settle();
  const [ping] = a.frames();
  assert.equal(ping.plain[0], 0);
  a.clock += 2.5;
  a.send(PacketType.KEEPALIVE, 0, concat(Uint8Array.of(1), ping.plain.subarray(1)));
  assert.equal(a.stream.stats.rttMs, 2.5);
  a.send(PacketType.KEEPALIVE, 0, concat(Uint8Array.of(1), ping.plain.subarray(1)));
  assert.equal(a.stream.stats.pongsIgnored, 1, 'a second pong for one ping is no sample');

  const closing = echo.close('bye');
  await settle();
  const [close] = a.frames();
  assert.equal(close.type, PacketType.CLOSE);
  assert.equal(close.seq, 1);
  assert.deepEqual(decodeClose(close.plain), { code: 0, reason: 'bye' });
  a.send(PacketType.CLOSE, 1, encodeClose(0, ''));
  assert.deepEqual(await closing, { code: 0, reason: '' });

  const ended = a.stream.close('done');
  await settle();
  const [streamClose] = a.frames();
  assert.equal(streamClose.ch, 0);
  assert.equal(streamClose.type, PacketType.CLOSE);
  a.send(PacketType.CLOSE, 0, encodeClose(0, ''));
  assert.deepEqual(await ended, { code: 0, reason: '', byPeer: true });
  assert.equal(a.wsClosed, 1000);
});

test('credit: the client stops at the channel window and goes on after WINDOW_UPDATE', async () => {
  const a = new Acceptor();
  await a.handshake();
  const echo = await openEcho(a);
  const chunk = new Uint8Array(64 * 1024);
  const writes = [];
  for (let i = 0; i < 17; i++) writes.push(echo.write(chunk));
  await settle();
  const sent = a.frames().filter((f) => f.ch === 1);
  assert.equal(sent.length, 16, '16 x 64 KiB fill the 1 MiB window');
  assert.equal(echo.sendWindow, 0);
  a.send(PacketType.CONTROL, 0, new Writer(7).u8(Control.WINDOW_UPDATE).u16(1).u32(64 * 1024).bytes);
  await Promise.all(writes);
  await settle();
  assert.equal(a.frames().filter((f) => f.ch === 1).length, 1);
});

test('credit: the client grants once half a window is consumed, and fails a peer beyond it', async () => {
  const a = new Acceptor();
  await a.handshake();
  await openEcho(a);
  const half = INITIAL_CHANNEL_WINDOW / 2;
  for (let sent = 0; sent < half; sent += 64 * 1024) a.send(PacketType.DATA, 1, new Uint8Array(64 * 1024));
  await settle();
  const [update] = a.frames();
  assert.equal(hex(update.plain), hex(new Writer(7).u8(Control.WINDOW_UPDATE).u16(1).u32(half).bytes));
  // in push mode the client grants as its handler consumes, so only a sender past the grant breaks it
  const channel = a.stream.channels.get(1);
  channel.recvRemaining = 10;
  a.send(PacketType.DATA, 1, new Uint8Array(11));
  await settle();
  const error = a.frames().find((f) => f.type === PacketType.ERROR);
  assert.equal(decodeClose(error.plain).code, ErrorCode.FLOW_CONTROL_VIOLATION);
  assert.equal((await a.stream.closed.promise).code, ErrorCode.FLOW_CONTROL_VIOLATION);
});

test('a fragmented message in and out (section 25)', async () => {
  const a = new Acceptor();
  await a.handshake();
  let got = null;
  const echo = await openEcho(a, (bytes) => { got = bytes; });
  const message = Uint8Array.from({ length: 150000 }, (_, i) => i & 0xff);
  await echo.write(message);
  await settle();
  const frames = a.frames().filter((f) => f.ch === 1);
  assert.deepEqual(frames.map((f) => f.flags), [Flags.ENCRYPTED | Flags.FRAGMENTED, Flags.ENCRYPTED | Flags.FRAGMENTED, Flags.ENCRYPTED]);
  assert.deepEqual(frames.map((f) => hex(f.plain.subarray(0, 8))), ['f049020000000000', 'f049020000000100', 'f049020000000200']);
  for (const f of frames) a.send(PacketType.DATA, 1, f.plain, f.flags & Flags.FRAGMENTED);
  assert.equal(hex(got), hex(message));
});

test('receive checks end the stream with their codes', async (t) => {
  const cases = [
    ['a repeated seq on ch 0', (a) => { a.seq0 -= 1; a.send(PacketType.CONTROL, 0, Uint8Array.of(Control.OPEN_ACK, 1, 0)); }, ErrorCode.BAD_SEQUENCE],
    ['a frame without ENCRYPTED', (a) => a.stream.receive(encodeHeader(0, PacketType.CONTROL, a.seq0++, 0, 0)), ErrorCode.NOT_ENCRYPTED],
    ['a changed sealed byte', (a) => { const f = a.seal(PacketType.CONTROL, 0, Uint8Array.of(1)); f[13] ^= 1; a.stream.receive(f); }, ErrorCode.DECRYPT_FAILED],
    ['DATA on an unknown channel', (a) => a.send(PacketType.DATA, 3, Uint8Array.of(1)), ErrorCode.UNKNOWN_CHANNEL],
    ['a handshake message after setup', (a) => a.send(PacketType.CONTROL, 0, vector('SERVER_FINISH')), ErrorCode.MALFORMED_HANDSHAKE],
    ['OPEN_ACK for a channel not opening', (a) => a.send(PacketType.CONTROL, 0, Uint8Array.of(Control.OPEN_ACK, 5, 0)), ErrorCode.MALFORMED_CONTROL],
    ['WINDOW_UPDATE of 0', (a) => a.send(PacketType.CONTROL, 0, new Writer(7).u8(Control.WINDOW_UPDATE).u16(0).u32(0).bytes), ErrorCode.MALFORMED_CONTROL],
    ['KEY_UPDATE skipping an epoch', (a) => a.send(PacketType.CONTROL, 0, new Writer(7).u8(Control.KEY_UPDATE).u16(0).u32(2).bytes), ErrorCode.BAD_KEY_UPDATE],
    ['KEEPALIVE of 8 bytes', (a) => a.send(PacketType.KEEPALIVE, 0, new Uint8Array(8)), ErrorCode.MALFORMED_FRAME],
    ['silence for the keepalive timeout', (a) => { a.clock += 3001; a.stream.tick(); }, ErrorCode.KEEPALIVE_TIMEOUT],
  ];
  for (const [name, act, code] of cases) {
    await t.test(name, async () => {
      const a = new Acceptor();
      await a.handshake();
      act(a);
      await settle();
      const error = a.frames().find((f) => f.type === PacketType.ERROR);
      assert.ok(error, 'an ERROR was sent');
      assert.equal(error.ch, 0);
      assert.equal(decodeClose(error.plain).code, code);
      assert.equal(a.wsClosed, 1000);
    });
  }
});

test('KEY_UPDATE from the acceptor: its later frames open under the next epoch', async () => {
  const a = new Acceptor();
  await a.handshake();
  a.send(PacketType.CONTROL, 0, new Writer(7).u8(Control.KEY_UPDATE).u16(0).u32(1).bytes);
  a.keys.receive.update();
  let got = null;
  const opened = a.stream.openChannel(0xf0, { onMessage: (b) => { got = b; } });
  a.send(PacketType.CONTROL, 0, Uint8Array.of(Control.OPEN_ACK, 1, 0));
  await opened;
  a.send(PacketType.DATA, 1, Uint8Array.of(42));
  assert.deepEqual([...got], [42]);
  assert.equal(a.stream.state, 'active');
});

test('the client moves to the next epoch before it seals seq 0 of a channel id used under the current one', async () => {
  const a = new Acceptor();
  await a.handshake();
  const first = await openEcho(a);
  await first.write('x');
  const closing = first.close();
  a.send(PacketType.CLOSE, 1, encodeClose(0, ''));
  await closing;
  a.frames();
  a.stream.nextId = 1; // as after a wrap of the ids: channel 1 again
  const again = a.stream.openChannel(0xf0, {});
  a.send(PacketType.CONTROL, 0, Uint8Array.of(Control.OPEN_ACK, 1, 0));
  await (await again).write('y');
  await settle();
  const raw = a.decoder.push(concat(...a.sent));
  a.sent = [];
  const [open, keyUpdate, data] = raw;
  assert.equal(hex(a.keys.send.open(open)), '030100f000');
  assert.equal(hex(a.keys.send.open(keyUpdate)), hex(new Writer(7).u8(Control.KEY_UPDATE).u16(0).u32(1).bytes), 'sealed under epoch 0');
  a.keys.send.update();
  assert.equal(data.ch, 1);
  assert.equal(data.seq, 0);
  assert.equal(new TextDecoder().decode(a.keys.send.open(data)), 'y', 'sealed under epoch 1');
});

test('while closing the client sends no application packets; the CLOSE of the peer ends the stream', async () => {
  const a = new Acceptor();
  await a.handshake();
  const echo = await openEcho(a);
  const ended = a.stream.close('bye');
  await assert.rejects(echo.write('late'), /stream is closing/);
  a.send(PacketType.DATA, 1, new TextEncoder().encode('in flight'));
  a.send(PacketType.CONTROL, 0, new Writer(7).u8(Control.WINDOW_UPDATE).u16(1).u32(1).bytes);
  a.send(PacketType.KEEPALIVE, 0, new Writer(9).u8(0).u64(7n).bytes);
  await settle();
  const frames = a.frames();
  assert.deepEqual(frames.map((f) => [f.type, f.ch]), [[PacketType.CLOSE, 0]], 'the CLOSE only: no DATA, no pong while closing');
  a.send(PacketType.CLOSE, 0, encodeClose(0, ''));
  assert.deepEqual(await ended, { code: 0, reason: '', byPeer: true });
  assert.deepEqual(a.frames(), [], 'a closer does not answer the CLOSE that answers it');
});

test('a CLOSE from the acceptor is answered with CLOSE, and an ERROR is not answered', async () => {
  const a = new Acceptor();
  await a.handshake();
  a.send(PacketType.CLOSE, 0, encodeClose(ErrorCode.GOING_AWAY, 'drained'));
  await settle();
  const [answer] = a.frames();
  assert.equal(answer.type, PacketType.CLOSE);
  assert.deepEqual(decodeClose(answer.plain), { code: 0, reason: '' });
  assert.deepEqual(await a.stream.closed.promise, { code: ErrorCode.GOING_AWAY, reason: 'drained', byPeer: true });

  const b = new Acceptor();
  await b.handshake();
  b.send(PacketType.ERROR, 0, encodeClose(ErrorCode.OUTPUT_STALLED, 'not reading'));
  await settle();
  assert.deepEqual(b.frames(), []);
  assert.equal((await b.stream.closed.promise).code, ErrorCode.OUTPUT_STALLED);
});
