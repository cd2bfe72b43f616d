// The stream engine of docs/PROTOCOL.md for the connector: setup by the secure handshake
// (section 20), channels (10), CONTROL messages (11), CLOSE/ERROR (12), keepalive (13),
// sealed frames and key updates (22, 23), flow control (24) and fragmentation (25).
// Not offered, so never on the wire: compression (26), acknowledgements (28), channel keys (23:
// a peer's CHANNEL_KEY is answered KEY_REJECTED).
import { ClientHandshake, REKEY_BYTES, REKEY_FRAMES } from './secure.js';
import {
  Control, ErrorCode, FRAGMENT_HEADER_SIZE, Flags, FrameDecoder, INITIAL_CHANNEL_WINDOW, INITIAL_STREAM_WINDOW,
  MAX_FRAME_MESSAGE, MAX_MESSAGE_SIZE, MAX_REASON_BYTES, MAX_REASSEMBLY_BYTES, MAX_WINDOW, PacketType, Reader,
  StreamError, Writer, concat, decodeClose, decodeUtf8, encodeClose, encodeHeader, errorName,
} from './wire.js';

/** Timers of sections 9, 13 and 25, in milliseconds: this client's defaults, the same as the node's. */
export const Defaults = Object.freeze({
  setupTimeoutMs: 5000,
  keepaliveIntervalMs: 1000,
  keepaliveTimeoutMs: 3000,
  reassemblyTimeoutMs: 30000,
});
/** Pings remembered for matching pongs (section 13). */
const REMEMBERED_PINGS = 4;
/** Largest WebSocket message a sender may send (section 30.2). */
export const MAX_WS_MESSAGE = 65536;
/** RTT smoothing gain, as TCP's (section 13). */
const RTT_GAIN = 8;
/** Highest channel id; the connector's ids are odd (section 10.1). */
const MAX_CHANNEL_ID = 65535;

const State = Object.freeze({ SETUP: 'setup', ACTIVE: 'active', CLOSING: 'closing', CLOSED: 'closed' });

function defer() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** One channel of a stream, on this side (section 16.2). */
export class StreamChannel {
  constructor(stream, id, type, handler) {
    this.stream = stream;
    this.id = id;
    this.type = type;
    this.handler = handler ?? {};
    this.state = 'opening';
    this.sendSeq = 0;
    this.recvSeq = 0;
    this.sendWindow = INITIAL_CHANNEL_WINDOW;
    this.recvRemaining = INITIAL_CHANNEL_WINDOW;
    this.recvConsumed = 0;
    this.queue = [];
    this.reassembly = null;
    this.dropInbound = false;
    this.opened = defer();
    this.closed = defer();
  }

  /**
   * Writes one message (DATA, or CONTROL of at most 64 KiB); resolves once it is on the wire,
   * which waits for credit (section 24). DATA over 64 KiB goes as fragments (section 25).
   */
  write(bytes, type = PacketType.DATA) {
    if (typeof bytes === 'string') bytes = new TextEncoder().encode(bytes);
    if (this.state !== 'open') return Promise.reject(new Error(`channel ${this.id} is ${this.state}`));
    if (this.stream.state !== State.ACTIVE) return Promise.reject(new Error(`stream is ${this.stream.state}`));
    if (type === PacketType.CONTROL && bytes.length > MAX_FRAME_MESSAGE) return Promise.reject(new Error('CONTROL over 64 KiB'));
    if (type !== PacketType.CONTROL && type !== PacketType.DATA) return Promise.reject(new Error('only DATA and CONTROL'));
    if (bytes.length > MAX_MESSAGE_SIZE) return Promise.reject(new Error(`message over ${MAX_MESSAGE_SIZE} bytes`));
    const done = defer();
    this.queue.push({ type, bytes, offset: 0, done });
    this.stream.pump();
    return done.promise;
  }

  /** Closes the channel (section 10.5); resolves when the peer answered. */
  close(reason = '') {
    if (this.state === 'open') {
      this.state = 'closing';
      this.stream.sendFrame(PacketType.CLOSE, this.id, encodeClose(ErrorCode.NORMAL, reason));
      this.dropQueue(new Error('channel closed'));
    }
    return this.closed.promise;
  }

  /** Ends the channel with ERROR `code` (section 10.6); its inbound is dropped until the peer's CLOSE. */
  fail(code, reason) {
    if (this.state === 'open') {
      this.state = 'closing';
      this.dropInbound = true;
      this.stream.sendFrame(PacketType.ERROR, this.id, encodeClose(code, reason));
      this.dropQueue(new Error(`channel failed: ${errorName(code)}`));
    }
  }

  dropQueue(error) {
    for (const item of this.queue) item.done.reject(error);
    this.queue = [];
  }
}

/**
 * A secure stream over a byte transport ({ send(Uint8Array), close(code) }): the caller feeds
 * received bytes to receive() and reports the end of the connection with connectionLost().
 */
export class DapStream {
  constructor(transport, options = {}) {
    this.transport = transport;
    this.options = { ...Defaults, ...options };
    this.now = options.now ?? (() => performance.now());
    this.handshake = new ClientHandshake(options);
    this.decoder = new FrameDecoder();
    this.state = State.SETUP;
    this.step = 'server-hello';
    this.sendSeq0 = 0;
    this.recvSeq0 = 0;
    this.channels = new Map();
    this.everOpen = new Set();
    this.nextId = 1;
    this.sendStreamWindow = INITIAL_STREAM_WINDOW;
    this.recvStreamRemaining = INITIAL_STREAM_WINDOW;
    this.recvStreamConsumed = 0;
    this.reassemblyBytes = 0;
    this.keys = null;
    this.sealedChannels = new Set();
    this.openedChannels = new Set();
    this.pings = [];
    this.out = [];
    this.flushQueued = false;
    this.keepaliveIntervalMs = this.options.keepaliveIntervalMs;
    this.listeners = { goaway: [], close: [] };
    this.ready = defer();
    this.closed = defer();
    this.stats = {
      bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, messagesIn: 0, messagesOut: 0,
      rttMs: null, lastRttMs: null, pings: 0, pongs: 0, pongsIgnored: 0, handshakeMs: null,
    };
  }

  /** The transport is connected: sends CLIENT_HELLO at once and starts the timers (sections 9, 20.2). */
  start() {
    this.startedAt = this.now();
    this.lastRead = this.startedAt;
    this.lastWrite = this.startedAt;
    this.sendFrame(PacketType.CONTROL, 0, this.handshake.clientHello());
    const tick = Math.max(1, Math.min(this.options.keepaliveIntervalMs, this.options.keepaliveTimeoutMs) / 4);
    this.timer = setInterval(() => this.tick(), tick);
    return this.ready.promise;
  }

  on(event, listener) {
    this.listeners[event].push(listener);
  }

  /** The server's proven identity: { node (BigInt), sigAlg, publicKey }. */
  get server() {
    return this.handshake.server;
  }

  get session() {
    return this.handshake.session;
  }

  /** Opens a channel of `type` (section 10.3); resolves with it on OPEN_ACK, rejects on OPEN_REJECT. */
  openChannel(type, handler) {
    if (this.state !== State.ACTIVE) return Promise.reject(new Error(`stream is ${this.state}`));
    if (this.goingAway) return Promise.reject(new Error('the node is going away'));
    const id = this.allocateId();
    if (id === null) return Promise.reject(new Error('no free channel id'));
    const channel = new StreamChannel(this, id, type, handler);
    this.channels.set(id, channel);
    this.sendFrame(PacketType.CONTROL, 0, new Writer(5).u8(Control.OPEN_CHANNEL).u16(id).u8(type).u8(0).bytes);
    return channel.opened.promise;
  }

  allocateId() {
    for (let tries = 0; tries < (MAX_CHANNEL_ID + 1) / 2; tries++) {
      const id = this.nextId;
      this.nextId = id + 2 > MAX_CHANNEL_ID ? 1 : id + 2;
      if (!this.channels.has(id)) return id;
    }
    return null;
  }

  /** Closes the stream (section 12); resolves with { code, reason } when it has ended. */
  close(reason = '') {
    if (this.state === State.ACTIVE) {
      this.sendFrame(PacketType.CLOSE, 0, encodeClose(ErrorCode.NORMAL, reason));
      this.state = State.CLOSING;
      for (const ch of this.channels.values()) {
        if (ch.state === 'opening') ch.opened.reject(new Error('stream closing'));
        ch.dropQueue(new Error('stream closing'));
      }
    } else if (this.state === State.SETUP) {
      this.sendFrame(PacketType.CLOSE, 0, encodeClose(ErrorCode.NORMAL, reason));
      this.flush();
      this.end(ErrorCode.NORMAL, reason, false);
    }
    return this.closed.promise;
  }

  /** Bytes from the transport, in order. */
  receive(bytes) {
    if (this.state === State.CLOSED) return;
    this.stats.bytesIn += bytes.length;
    this.lastRead = this.now();
    try {
      for (const frame of this.decoder.push(bytes)) {
        if (this.state === State.CLOSED) return;
        this.stats.framesIn += 1;
        if (frame.ch === 0) this.streamFrame(frame);
        else this.channelFrame(frame);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** The connection ended; without CLOSE or ERROR on ch 0 that is CONNECTION_LOST (section 12). */
  connectionLost(detail = 'connection lost') {
    if (this.state !== State.CLOSED) this.end(ErrorCode.CONNECTION_LOST, detail, false);
  }

  // ---- sending

  sendFrame(type, ch, payload, flags = 0) {
    if (this.state === State.CLOSED) return;
    let seq;
    if (ch === 0) {
      seq = this.sendSeq0;
      this.sendSeq0 = (seq + 1) >>> 0;
    } else {
      const channel = this.channels.get(ch);
      seq = channel.sendSeq;
      channel.sendSeq = (seq + 1) >>> 0;
    }
    let bytes;
    if (this.keys) {
      if (ch !== 0 && seq === 0 && this.sealedChannels.has(ch)) this.updateSendKey();
      bytes = this.keys.send.seal(type, seq, ch, flags | Flags.ENCRYPTED, payload);
      this.sealedChannels.add(ch);
      if (this.keys.send.frames >= REKEY_FRAMES || this.keys.send.bytes >= REKEY_BYTES) this.updateSendKey();
    } else {
      bytes = concat(encodeHeader(payload.length, type, seq, ch, flags), payload);
    }
    this.stats.framesOut += 1;
    this.stats.bytesOut += bytes.length;
    if (type !== PacketType.KEEPALIVE) this.lastWrite = this.now();
    this.out.push(bytes);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** KEY_UPDATE of the stream key, sealed under the old epoch; later frames use the next (section 23). */
  updateSendKey() {
    const next = this.keys.send.epoch + 1;
    const payload = new Writer(7).u8(Control.KEY_UPDATE).u16(0).u32(next).bytes;
    const seq = this.sendSeq0;
    this.sendSeq0 = (seq + 1) >>> 0;
    const bytes = this.keys.send.seal(PacketType.CONTROL, seq, 0, Flags.ENCRYPTED, payload);
    this.stats.framesOut += 1;
    this.stats.bytesOut += bytes.length;
    this.out.push(bytes);
    this.keys.send.update();
    this.sealedChannels.clear();
  }

  /** Writes what is queued as binary messages of at most 64 KiB (section 30.2). */
  flush() {
    this.flushQueued = false;
    if (this.out.length === 0) return;
    const all = this.out.length === 1 ? this.out[0] : concat(...this.out);
    this.out = [];
    for (let at = 0; at < all.length; at += MAX_WS_MESSAGE) {
      this.transport.send(all.subarray(at, Math.min(all.length, at + MAX_WS_MESSAGE)));
    }
  }

  /**
   * Sends queued messages while credit allows, one frame per channel per turn, round robin
   * (section 24). A frame waits until both windows hold its counted bytes.
   */
  pump() {
    if (this.state !== State.ACTIVE) return; // a closing side sends no application packets (section 12)
    let progress = true;
    while (progress) {
      progress = false;
      for (const ch of this.channels.values()) {
        const item = ch.queue[0];
        if (!item || ch.state !== 'open') continue;
        const left = item.bytes.length - item.offset;
        const fragmented = item.type === PacketType.DATA && item.bytes.length > MAX_FRAME_MESSAGE;
        const take = Math.min(left, MAX_FRAME_MESSAGE);
        if (take > ch.sendWindow || take > this.sendStreamWindow) continue;
        const data = item.bytes.subarray(item.offset, item.offset + take);
        if (fragmented) {
          const last = item.offset + take === item.bytes.length;
          const header = new Writer(FRAGMENT_HEADER_SIZE).u32(item.bytes.length).u32(item.offset).bytes;
          this.sendFrame(PacketType.DATA, ch.id, concat(header, data), last ? 0 : Flags.FRAGMENTED);
        } else {
          this.sendFrame(item.type, ch.id, data);
        }
        ch.sendWindow -= take;
        this.sendStreamWindow -= take;
        item.offset += take;
        if (item.offset === item.bytes.length) {
          ch.queue.shift();
          this.stats.messagesOut += 1;
          item.done.resolve();
        }
        progress = true;
      }
    }
  }

  // ---- receiving: ch 0

  streamFrame(f) {
    if (f.seq !== this.recvSeq0) throw new StreamError(ErrorCode.BAD_SEQUENCE, `ch 0: expected seq ${this.recvSeq0}, got ${f.seq}`);
    this.recvSeq0 = (this.recvSeq0 + 1) >>> 0;
    let payload = f.payload;
    if (this.keys) {
      if (!(f.flags & Flags.ENCRYPTED)) throw new StreamError(ErrorCode.NOT_ENCRYPTED, 'ch 0 frame without ENCRYPTED');
      if (f.flags & ~Flags.ENCRYPTED) throw new StreamError(ErrorCode.FLAG_NOT_NEGOTIATED, `ch 0 flags 0x${f.flags.toString(16)}`);
      payload = this.keys.receive.open(f);
    } else if (f.flags !== 0) {
      throw new StreamError(ErrorCode.FLAG_NOT_NEGOTIATED, `flags 0x${f.flags.toString(16)} before the handshake completed`);
    }
    switch (f.type) {
      case PacketType.CONTROL:
        this.controlMessage(payload);
        break;
      case PacketType.KEEPALIVE:
        this.keepalive(payload);
        break;
      case PacketType.CLOSE:
      case PacketType.ERROR: {
        const close = decodeClose(payload);
        if (!close) throw new StreamError(ErrorCode.MALFORMED_FRAME, 'malformed CLOSE/ERROR on ch 0');
        if (f.type === PacketType.ERROR) {
          this.end(close.code, close.reason, true);
        } else {
          if (this.state !== State.CLOSING) this.sendFrame(PacketType.CLOSE, 0, encodeClose(ErrorCode.NORMAL, ''));
          this.flush();
          this.transport.close(1000);
          this.end(close.code, close.reason, true);
        }
        break;
      }
      default:
        throw new StreamError(ErrorCode.PROTOCOL_VIOLATION, 'DATA on ch 0');
    }
  }

  controlMessage(p) {
    if (p.length === 0) throw new StreamError(ErrorCode.MALFORMED_CONTROL, 'empty CONTROL message');
    const kind = p[0];
    const malformed = (why) => new StreamError(ErrorCode.MALFORMED_CONTROL, why);
    const exact = (n, name) => {
      if (p.length !== n) throw malformed(`${name} of ${p.length} bytes`);
      return new Reader(p.subarray(1), () => malformed(name));
    };
    if (kind >= Control.CLIENT_HELLO && kind <= Control.SERVER_FINISH) {
      this.handshakeMessage(kind, p);
      return;
    }
    if (this.state === State.SETUP) {
      if ([Control.OPEN_CHANNEL, Control.OPEN_ACK, Control.OPEN_REJECT, Control.WINDOW_UPDATE, Control.GOAWAY].includes(kind)) {
        throw new StreamError(ErrorCode.STREAM_NOT_READY, `CONTROL kind 0x${kind.toString(16)} during setup`);
      }
      throw malformed(`CONTROL kind 0x${kind.toString(16)} during setup`);
    }
    switch (kind) {
      case Control.OPEN_CHANNEL: {
        const r = exact(5, 'OPEN_CHANNEL');
        const id = r.u16();
        const type = r.u8();
        const options = r.u8();
        if (id === 0 || id % 2 === 1 || this.channels.has(id)) throw new StreamError(ErrorCode.BAD_CHANNEL_ID, `OPEN_CHANNEL ${id}`);
        if (options & ~0x01) throw malformed(`OPEN_CHANNEL options 0x${options.toString(16)}`);
        const reason = new TextEncoder().encode(`no service for channel type 0x${type.toString(16)}`);
        this.sendFrame(PacketType.CONTROL, 0, new Writer(5 + reason.length).u8(Control.OPEN_REJECT).u16(id)
          .u16(ErrorCode.UNSUPPORTED_CHANNEL_TYPE).raw(reason).bytes);
        break;
      }
      case Control.OPEN_ACK: {
        const id = exact(3, 'OPEN_ACK').u16();
        const ch = this.channels.get(id);
        if (!ch || ch.state !== 'opening') throw malformed(`OPEN_ACK for channel ${id}, not being opened`);
        ch.state = 'open';
        this.everOpen.add(id);
        // while closing, the open was given up (its promise rejected); the stream's end forgets it
        ch.opened.resolve(ch);
        break;
      }
      case Control.OPEN_REJECT: {
        if (p.length < 5 || p.length - 5 > MAX_REASON_BYTES) throw malformed('OPEN_REJECT size');
        const r = new Reader(p.subarray(1), () => malformed('OPEN_REJECT'));
        const id = r.u16();
        const code = r.u16();
        const reason = decodeUtf8(r.rest());
        if (reason === null) throw malformed('OPEN_REJECT reason not UTF-8');
        const ch = this.channels.get(id);
        if (!ch || ch.state !== 'opening') throw malformed(`OPEN_REJECT for channel ${id}, not being opened`);
        this.channels.delete(id);
        ch.opened.reject(new StreamError(code, reason));
        break;
      }
      case Control.KEY_UPDATE: {
        const r = exact(7, 'KEY_UPDATE');
        const id = r.u16();
        const epoch = r.u32();
        if (id !== 0) throw new StreamError(ErrorCode.BAD_KEY_UPDATE, `KEY_UPDATE for channel ${id}, which has no key of its own`);
        if (epoch !== this.keys.receive.epoch + 1) throw new StreamError(ErrorCode.BAD_KEY_UPDATE, `KEY_UPDATE to epoch ${epoch}`);
        this.keys.receive.update();
        this.openedChannels.clear();
        break;
      }
      case Control.CHANNEL_KEY: {
        const id = exact(12, 'CHANNEL_KEY').u16();
        this.sendFrame(PacketType.CONTROL, 0, new Writer(5).u8(Control.CHANNEL_KEY_ACK).u16(id).u16(ErrorCode.KEY_REJECTED).bytes);
        break;
      }
      case Control.CHANNEL_KEY_ACK:
        exact(5, 'CHANNEL_KEY_ACK'); // this client sends no CHANNEL_KEY: nothing to answer
        break;
      case Control.CHANNEL_KEY_ACTIVE:
        exact(3, 'CHANNEL_KEY_ACTIVE');
        throw new StreamError(ErrorCode.BAD_KEY_UPDATE, 'CHANNEL_KEY_ACTIVE without an accepted CHANNEL_KEY');
      case Control.GOAWAY:
        this.goAway(p, malformed);
        break;
      case Control.WINDOW_UPDATE: {
        const r = exact(7, 'WINDOW_UPDATE');
        const id = r.u16();
        const increment = r.u32();
        if (increment === 0 || increment > MAX_WINDOW) throw malformed(`WINDOW_UPDATE increment ${increment}`);
        if (id === 0) {
          if (this.sendStreamWindow + increment > MAX_WINDOW) throw new StreamError(ErrorCode.FLOW_CONTROL_VIOLATION, 'stream window over 2^31 - 1');
          this.sendStreamWindow += increment;
        } else {
          const ch = this.channels.get(id);
          if (!ch) break;
          if (ch.sendWindow + increment > MAX_WINDOW) throw new StreamError(ErrorCode.FLOW_CONTROL_VIOLATION, `channel ${id} window over 2^31 - 1`);
          ch.sendWindow += increment;
        }
        this.pump();
        break;
      }
      default:
        throw malformed(`CONTROL kind 0x${kind.toString(16)}`);
    }
  }

  goAway(p, malformed) {
    if (p.length < 6) throw malformed('GOAWAY shorter than 6 bytes');
    const r = new Reader(p.subarray(1), () => malformed('GOAWAY'));
    const graceMs = r.u32();
    const alternateLength = r.u8();
    const alternate = decodeUtf8(r.raw(alternateLength));
    const reason = decodeUtf8(r.rest());
    if (alternate === null || reason === null) throw malformed('GOAWAY text not UTF-8');
    if (p.length - 6 - alternateLength > MAX_REASON_BYTES) throw malformed('GOAWAY reason over 512 bytes');
    if (alternateLength > 0) {
      const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(alternate);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw malformed(`GOAWAY alternate ${alternate}`);
    }
    if (this.goingAway) return;
    this.goingAway = { graceMs, alternate: alternateLength > 0 ? alternate : null, reason };
    for (const l of this.listeners.goaway) l(this.goingAway);
  }

  handshakeMessage(kind, p) {
    if (this.state !== State.SETUP) throw new StreamError(ErrorCode.MALFORMED_HANDSHAKE, `handshake kind 0x${kind.toString(16)} after setup`);
    if (kind === Control.SERVER_HELLO && this.step === 'server-hello') {
      const cf = this.handshake.serverHello(p);
      this.sendFrame(PacketType.CONTROL, 0, cf);
      this.step = 'server-finish';
    } else if (kind === Control.SERVER_FINISH && this.step === 'server-finish') {
      this.keys = this.handshake.serverFinish(p);
      this.state = State.ACTIVE;
      this.stats.handshakeMs = this.now() - this.startedAt;
      const peerMs = this.handshake.keepaliveMs;
      if (peerMs > 0) this.keepaliveIntervalMs = Math.min(this.options.keepaliveIntervalMs, Math.max(1, peerMs / 3));
      this.lastWrite = this.now();
      this.ready.resolve(this);
    } else {
      throw new StreamError(ErrorCode.MALFORMED_HANDSHAKE, `handshake kind 0x${kind.toString(16)} out of order`);
    }
  }

  keepalive(p) {
    if (this.state === State.SETUP) throw new StreamError(ErrorCode.STREAM_NOT_READY, 'KEEPALIVE during setup');
    if (p.length !== 9 || p[0] > 1) throw new StreamError(ErrorCode.MALFORMED_FRAME, 'malformed KEEPALIVE');
    if (p[0] === 0) {
      if (this.state !== State.CLOSING) this.sendFrame(PacketType.KEEPALIVE, 0, concat(Uint8Array.of(1), p.subarray(1)));
      return;
    }
    const timestamp = new DataView(p.buffer, p.byteOffset + 1, 8).getBigUint64(0, true);
    const at = this.pings.indexOf(timestamp);
    const rttMs = Number(this.clockNanos() - timestamp) / 1e6;
    if (at < 0 || rttMs < 0) {
      this.stats.pongsIgnored += 1;
      return;
    }
    this.pings.splice(at, 1);
    this.stats.pongs += 1;
    this.stats.lastRttMs = rttMs;
    this.stats.rttMs = this.stats.rttMs === null ? rttMs : this.stats.rttMs + (rttMs - this.stats.rttMs) / RTT_GAIN;
  }

  clockNanos() {
    return BigInt(Math.round(this.now() * 1e6));
  }

  /** Sends a ping now (section 13); the pong updates stats.rttMs. */
  ping() {
    if (this.state !== State.ACTIVE) return;
    const timestamp = this.clockNanos();
    this.pings.push(timestamp);
    if (this.pings.length > REMEMBERED_PINGS) this.pings.shift();
    this.stats.pings += 1;
    this.sendFrame(PacketType.KEEPALIVE, 0, new Writer(9).u8(0).u64(timestamp).bytes);
  }

  // ---- receiving: channels

  channelFrame(f) {
    if (this.state === State.SETUP) throw new StreamError(ErrorCode.STREAM_NOT_READY, `frame on channel ${f.ch} during setup`);
    const ch = this.channels.get(f.ch);
    if (!ch) {
      throw this.everOpen.has(f.ch)
        ? new StreamError(ErrorCode.CHANNEL_CLOSED, `frame on closed channel ${f.ch}`)
        : new StreamError(ErrorCode.UNKNOWN_CHANNEL, `frame on unknown channel ${f.ch}`);
    }
    if (ch.state === 'opening') throw new StreamError(ErrorCode.PROTOCOL_VIOLATION, `frame on channel ${f.ch} before OPEN_ACK`);
    if (f.seq !== ch.recvSeq) throw new StreamError(ErrorCode.BAD_SEQUENCE, `channel ${f.ch}: expected seq ${ch.recvSeq}, got ${f.seq}`);
    ch.recvSeq = (ch.recvSeq + 1) >>> 0;
    if (!(f.flags & Flags.ENCRYPTED)) throw new StreamError(ErrorCode.NOT_ENCRYPTED, `channel ${f.ch} frame without ENCRYPTED`);
    if ((f.flags & Flags.COMPRESSED) || ((f.flags & Flags.FRAGMENTED) && f.type !== PacketType.DATA)) {
      throw new StreamError(ErrorCode.FLAG_NOT_NEGOTIATED, `channel ${f.ch} flags 0x${f.flags.toString(16)}`);
    }
    if (f.seq === 0 && this.openedChannels.has(f.ch)) {
      throw new StreamError(ErrorCode.BAD_KEY_UPDATE, `seq 0 of channel ${f.ch} again under one epoch`);
    }
    const payload = this.keys.receive.open(f);
    this.openedChannels.add(f.ch);
    switch (f.type) {
      case PacketType.CLOSE:
      case PacketType.ERROR: {
        const close = decodeClose(payload);
        if (!close) throw new StreamError(ErrorCode.MALFORMED_FRAME, `malformed CLOSE/ERROR on channel ${f.ch}`);
        if (ch.state === 'open') this.sendFrame(PacketType.CLOSE, ch.id, encodeClose(ErrorCode.NORMAL, ''));
        this.forget(ch, close.code, close.reason);
        return;
      }
      case PacketType.KEEPALIVE:
        throw new StreamError(ErrorCode.MALFORMED_FRAME, `KEEPALIVE on channel ${f.ch}`);
      default:
        this.packet(ch, f, payload);
    }
  }

  packet(ch, f, payload) {
    let message = payload;
    let counted = payload.length;
    const fragmented = (f.flags & Flags.FRAGMENTED) !== 0;
    if (fragmented || ch.reassembly) {
      const bad = (why) => new StreamError(ErrorCode.FRAGMENT_OUT_OF_ORDER, `channel ${ch.id}: ${why}`);
      if (f.type !== PacketType.DATA) throw bad('CONTROL in the middle of a fragmented message');
      if (payload.length < FRAGMENT_HEADER_SIZE) throw bad('fragment shorter than its header');
      const v = new DataView(payload.buffer, payload.byteOffset, FRAGMENT_HEADER_SIZE);
      const total = v.getUint32(0, true);
      const offset = v.getUint32(4, true);
      const data = payload.subarray(FRAGMENT_HEADER_SIZE);
      if (!ch.reassembly) {
        if (offset !== 0) throw new StreamError(ErrorCode.UNKNOWN_FRAGMENT, `channel ${ch.id}: fragment at ${offset} with none in progress`);
        if (total > MAX_MESSAGE_SIZE) throw new StreamError(ErrorCode.MESSAGE_TOO_LARGE, `message of ${total} bytes`);
        if (total <= data.length) throw bad('first fragment holds the whole message');
        if (this.reassemblyBytes + total > MAX_REASSEMBLY_BYTES) throw new StreamError(ErrorCode.MESSAGE_TOO_LARGE, 'reassembly limit');
      } else if (total !== ch.reassembly.buffer.length || offset !== ch.reassembly.received) {
        throw bad(`fragment ${offset}/${total} does not continue the message`);
      }
      if (offset + data.length > total || (!fragmented && offset + data.length !== total)) throw bad('fragment does not end right');
      counted = data.length;
      this.takeCredit(ch, counted);
      if (!ch.reassembly) {
        ch.reassembly = { buffer: new Uint8Array(total), received: 0, lastAt: 0 };
        this.reassemblyBytes += total;
      }
      ch.reassembly.buffer.set(data, offset);
      ch.reassembly.received += data.length;
      ch.reassembly.lastAt = this.now();
      this.grant(ch, counted);
      if (fragmented) return;
      message = ch.reassembly.buffer;
      this.reassemblyBytes -= message.length;
      ch.reassembly = null;
      this.deliver(ch, f.type, message);
      return;
    }
    this.takeCredit(ch, counted);
    this.deliver(ch, f.type, message);
    this.grant(ch, counted);
  }

  takeCredit(ch, n) {
    if (n > ch.recvRemaining || n > this.recvStreamRemaining) {
      throw new StreamError(ErrorCode.FLOW_CONTROL_VIOLATION, `channel ${ch.id}: ${n} bytes beyond the credit granted`);
    }
    ch.recvRemaining -= n;
    this.recvStreamRemaining -= n;
  }

  /** Returns consumed bytes once half a window has gathered (section 24). */
  grant(ch, n) {
    if (n === 0) return;
    this.recvStreamConsumed += n;
    if (this.recvStreamConsumed >= INITIAL_STREAM_WINDOW / 2) {
      this.windowUpdate(0, this.recvStreamConsumed);
      this.recvStreamRemaining += this.recvStreamConsumed;
      this.recvStreamConsumed = 0;
    }
    if (ch.state !== 'open' && ch.state !== 'closing') return;
    ch.recvConsumed += n;
    if (ch.recvConsumed >= INITIAL_CHANNEL_WINDOW / 2 && ch.state === 'open') {
      this.windowUpdate(ch.id, ch.recvConsumed);
      ch.recvRemaining += ch.recvConsumed;
      ch.recvConsumed = 0;
    }
  }

  windowUpdate(id, increment) {
    this.sendFrame(PacketType.CONTROL, 0, new Writer(7).u8(Control.WINDOW_UPDATE).u16(id).u32(increment).bytes);
  }

  deliver(ch, type, message) {
    if (ch.dropInbound) return;
    this.stats.messagesIn += 1;
    try {
      ch.handler.onMessage?.(message, type, ch);
    } catch (e) {
      ch.fail(ErrorCode.HANDLER_FAILED, `handler failed: ${e?.name ?? 'Error'}`);
    }
  }

  forget(ch, code, reason) {
    if (ch.reassembly) this.reassemblyBytes -= ch.reassembly.buffer.length;
    this.channels.delete(ch.id);
    this.everOpen.add(ch.id);
    ch.state = 'closed';
    ch.dropQueue(new StreamError(code, reason));
    ch.closed.resolve({ code, reason });
    try {
      ch.handler.onClose?.(code, reason, ch);
    } catch {
      // the channel is gone; a failing close handler has nothing left to fail
    }
  }

  // ---- timers and the end

  tick() {
    const now = this.now();
    if (this.state === State.SETUP) {
      if (now - this.startedAt > this.options.setupTimeoutMs) this.fail(new StreamError(ErrorCode.SETUP_TIMEOUT, 'setup not complete in time'));
      return;
    }
    if (now - this.lastRead > this.options.keepaliveTimeoutMs) {
      const code = this.decoder.partial() ? ErrorCode.TRUNCATED_FRAME : ErrorCode.KEEPALIVE_TIMEOUT;
      this.fail(new StreamError(code, `no byte for ${Math.round(now - this.lastRead)} ms`));
      return;
    }
    for (const ch of this.channels.values()) {
      if (ch.reassembly && now - ch.reassembly.lastAt > this.options.reassemblyTimeoutMs) {
        this.fail(new StreamError(ErrorCode.REASSEMBLY_TIMEOUT, `channel ${ch.id}: fragmented message stalled`));
        return;
      }
    }
    if (this.state === State.ACTIVE && now - this.lastWrite >= this.keepaliveIntervalMs) {
      const lastPing = this.lastPingAt ?? -Infinity;
      if (now - lastPing >= this.keepaliveIntervalMs) {
        this.lastPingAt = now;
        this.ping();
      }
    }
  }

  /** Fails the stream: ERROR on ch 0 with the code, then the connection closes (section 1). */
  fail(error) {
    if (this.state === State.CLOSED) return;
    const code = error instanceof StreamError ? error.code : ErrorCode.INTERNAL_ERROR;
    const reason = error instanceof StreamError ? error.reason : String(error?.message ?? error);
    this.sendFrame(PacketType.ERROR, 0, encodeClose(code, reason));
    this.flush();
    this.transport.close(1000);
    this.end(code, reason, false);
  }

  end(code, reason, byPeer) {
    if (this.state === State.CLOSED) return;
    this.state = State.CLOSED;
    clearInterval(this.timer);
    if (byPeer) this.transport.close(1000);
    const error = new StreamError(code, reason);
    for (const ch of [...this.channels.values()]) {
      if (ch.state === 'opening') ch.opened.reject(error);
      this.forget(ch, code, reason);
    }
    this.ready.reject(error);
    const outcome = { code, reason, byPeer };
    this.closed.resolve(outcome);
    for (const l of this.listeners.close) l(outcome);
  }
}
