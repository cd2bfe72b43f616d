import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ErrorCode, FrameDecoder, PacketType, StreamError, decodeClose, decodeHeader, encodeClose, encodeHeader, formatNode, hex, parseNode,
} from '../src/wire.js';
import { ClusterKind, decodeClusterMessage, encodeJoin, encodePublish } from '../src/cluster.js';
import { example } from './vectors.js';

/** The frames of section 17's stream, in wire order, from the examples of PROTOCOL.md. */
const WHOLE_STREAM = ['HELLO', 'WELCOME', 'OPEN_CHANNEL', 'OPEN_ACK', 'DATA', 'OPEN_CHANNEL of a custom type', 'OPEN_REJECT',
  'KEEPALIVE ping', 'KEEPALIVE pong', 'CONTROL on a channel', 'DISCARD report', 'CLOSE on a channel', 'CLOSE answer on a channel',
  'ERROR on a channel', 'CLOSE on ch 0', 'CLOSE answer on ch 0'];

test('the header of the DATA example', () => {
  const frame = example('DATA');
  assert.deepEqual(decodeHeader(frame), { size: 5, type: PacketType.DATA, seq: 0, ch: 1, flags: 0 });
  assert.equal(hex(encodeHeader(5, PacketType.DATA, 0, 1, 0)), hex(frame.subarray(0, 12)));
});

test('CLOSE and ERROR payloads of the examples', () => {
  assert.equal(hex(encodeClose(ErrorCode.NORMAL, 'closed by application')), hex(example('CLOSE on a channel').subarray(12)));
  assert.deepEqual(decodeClose(example('ERROR on a channel').subarray(12)),
    { code: ErrorCode.HANDLER_FAILED, reason: 'handler failed: IllegalStateException' });
  assert.equal(decodeClose(Uint8Array.of(0)), null, 'shorter than 2 bytes');
  assert.equal(decodeClose(Uint8Array.of(0, 0, 0xc3, 0x28)), null, 'reason not UTF-8');
  assert.equal(encodeClose(0, 'é'.repeat(300)).length, 2 + 512, 'a long reason is cut at a character boundary');
});

test('frames split at every byte come out whole and in order', () => {
  const frames = WHOLE_STREAM.map(example);
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) { all.set(f, at); at += f.length; }
  for (const step of [1, 7, 12, 13, all.length]) {
    const decoder = new FrameDecoder();
    const out = [];
    for (let i = 0; i < all.length; i += step) out.push(...decoder.push(all.slice(i, i + step)));
    assert.equal(out.length, frames.length, `step ${step}`);
    out.forEach((f, i) => assert.equal(hex(f.payload), hex(frames[i].subarray(12)), `frame ${i}, step ${step}`));
    assert.equal(decoder.partial(), false);
  }
});

test('header checks, in the order of section 8, before the payload arrives', () => {
  const refused = (header, code) => assert.throws(() => new FrameDecoder().push(header), (e) => e instanceof StreamError && e.code === code);
  refused(encodeHeader(65793, 0x09, 0, 0, 0xf8), ErrorCode.FRAME_TOO_LARGE);
  refused(encodeHeader(0x80000000, PacketType.DATA, 0, 1, 0), ErrorCode.FRAME_TOO_LARGE);
  refused(encodeHeader(0, 0x06, 0, 0, 0xf8), ErrorCode.UNKNOWN_PACKET_TYPE);
  refused(encodeHeader(0, PacketType.DATA, 0, 1, 0x08), ErrorCode.RESERVED_FLAGS);
  assert.deepEqual(new FrameDecoder().push(encodeHeader(65792, PacketType.DATA, 0, 1, 0)), [], 'the largest payload waits for its bytes');
});

test('node addresses as section 11.1 writes them', () => {
  assert.equal(formatNode(0x0123456789abcdefn), '0123::4567::89AB::CDEF');
  assert.equal(parseNode('FEDC::BA98::7654::3210'), 0xfedcba9876543210n);
});

test('CLUSTER JOIN and MESSAGE of the examples', () => {
  assert.equal(hex(encodeJoin(ClusterKind.JOIN, 42, 'prices')), hex(example('CLUSTER JOIN').subarray(12)));
  const m = decodeClusterMessage(example('CLUSTER MESSAGE').subarray(12));
  assert.equal(m.kind, ClusterKind.MESSAGE);
  assert.equal(m.ref, 1);
  assert.equal(m.balanced, false);
  assert.equal(formatNode(m.origin), '0123::4567::89AB::CDEF');
  assert.equal(m.publisher, 0x1a2b3c4d);
  assert.equal(m.seq, 1n);
  assert.equal(new TextDecoder().decode(m.payload), 'hi');
  assert.equal(hex(encodePublish('prices', new TextEncoder().encode('hi'))), '0306707269636573' + '6869');
});

test('malformed CLUSTER messages are refused', () => {
  const bad = (bytes) => assert.throws(() => decodeClusterMessage(Uint8Array.from(bytes)));
  bad([0x81, 1, 0, 0, 0, 1, 0, 0, 0]); // JOINED truncated
  bad([0x82, 1, 0, 0, 0, 1, 0, 0, 0, 9]); // LEFT with a trailing byte
  bad([0x84, 1, 0, 0, 0, 0x02, ...new Array(20).fill(0)]); // reserved MESSAGE flag
  bad([0x01, 1, 0, 0, 0, 1, 0x61]); // a client's kind from the node
  bad([]);
});
