// The wire of docs/PROTOCOL.md: constants (sections 3 to 15), little-endian fields, strict UTF-8.

/** Bytes of the frame header (section 3). */
export const HEADER_SIZE = 12;
/** A receiver's frame payload limit: 64 KiB + 256 (section 6). */
export const MAX_FRAME_PAYLOAD = 65792;
/** Message bytes a sender puts in one frame; larger DATA messages are fragmented (section 25). */
export const MAX_FRAME_MESSAGE = 65536;
/** Largest DATA message this client accepts or sends (the default maxMessageSize, section 6). */
export const MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** Partly received fragmented messages per stream (the default maxReassemblyBytes, section 6). */
export const MAX_REASSEMBLY_BYTES = 64 * 1024 * 1024;
/** Longest CLOSE/ERROR/OPEN_REJECT reason in UTF-8 bytes (section 6). */
export const MAX_REASON_BYTES = 512;
/** Initial credit windows (section 24). */
export const INITIAL_CHANNEL_WINDOW = 1024 * 1024;
export const INITIAL_STREAM_WINDOW = 4 * 1024 * 1024;
/** Largest window and WINDOW_UPDATE increment (section 11.7). */
export const MAX_WINDOW = 0x7fffffff;
/** Bytes of the fragment header (section 25). */
export const FRAGMENT_HEADER_SIZE = 8;
/** Bytes of the AEAD tag (section 22). */
export const TAG_SIZE = 16;

export const PacketType = Object.freeze({ DATA: 0x01, CONTROL: 0x02, KEEPALIVE: 0x03, CLOSE: 0x04, ERROR: 0x05 });

export const Flags = Object.freeze({ COMPRESSED: 0x01, ENCRYPTED: 0x02, FRAGMENTED: 0x04, RESERVED: 0xf8 });

export const ChannelType = Object.freeze({
  CONTROL: 0x00, FILE: 0x01, SERVICE: 0x02, SECURITY: 0x03, MEDIA: 0x04, LINK: 0x05, CLUSTER: 0x06,
  ECHO: 0xf0, DISCARD: 0xf1,
});

/** CONTROL message kinds on ch 0 (sections 11, 20, 23, 28). */
export const Control = Object.freeze({
  HELLO: 0x01, WELCOME: 0x02, OPEN_CHANNEL: 0x03, OPEN_ACK: 0x04, OPEN_REJECT: 0x05,
  CLIENT_HELLO: 0x06, SERVER_HELLO: 0x07, CLIENT_FINISH: 0x08, SERVER_FINISH: 0x09,
  KEY_UPDATE: 0x0a, CHANNEL_KEY: 0x0b, CHANNEL_KEY_ACK: 0x0c, CHANNEL_KEY_ACTIVE: 0x0d,
  GOAWAY: 0x10, WINDOW_UPDATE: 0x11, ACK: 0x12,
});

/** Error codes (section 15): stable wire values. */
export const ErrorCode = Object.freeze({
  NORMAL: 0x00, PROTOCOL_VIOLATION: 0x01, FRAME_TOO_LARGE: 0x02, UNKNOWN_PACKET_TYPE: 0x03, RESERVED_FLAGS: 0x04,
  UNKNOWN_CHANNEL: 0x05, CHANNEL_CLOSED: 0x06, BAD_SEQUENCE: 0x07, STREAM_NOT_READY: 0x08, MALFORMED_CONTROL: 0x09,
  BAD_CHANNEL_ID: 0x0a, UNSUPPORTED_CHANNEL_TYPE: 0x0b, FLAG_NOT_NEGOTIATED: 0x0c, KEEPALIVE_TIMEOUT: 0x0d,
  TRUNCATED_FRAME: 0x0e, UNSUPPORTED_VERSION: 0x0f, SETUP_TIMEOUT: 0x10, MALFORMED_FRAME: 0x11, HANDLER_FAILED: 0x12,
  RESOURCE_EXHAUSTED: 0x13, GOING_AWAY: 0x14, CONNECTION_LOST: 0x15, BAD_SIGNATURE: 0x16, BAD_FINISHED: 0x17,
  AUTH_REQUIRED: 0x18, AUTH_REFUSED: 0x19, IDENTITY_MISMATCH: 0x1a, NO_COMMON_SUITE: 0x1b, DECRYPT_FAILED: 0x1c,
  NOT_ENCRYPTED: 0x1d, MALFORMED_HANDSHAKE: 0x1e, SECURITY_REQUIRED: 0x1f, HANDSHAKE_BUSY: 0x20, KEY_REJECTED: 0x21,
  BAD_KEY_UPDATE: 0x22, FLOW_CONTROL_VIOLATION: 0x23, MESSAGE_TOO_LARGE: 0x24, UNKNOWN_FRAGMENT: 0x25,
  FRAGMENT_OUT_OF_ORDER: 0x26, REASSEMBLY_TIMEOUT: 0x27, DECOMPRESSION_FAILED: 0x28, OUTPUT_STALLED: 0x29,
  MALFORMED_CLUSTER_MESSAGE: 0x2a, CLUSTER_REFUSED: 0x2b, NOT_A_MEMBER: 0x2c, LINK_REFUSED: 0x2d, SLOW_CONSUMER: 0x2e,
  BAD_ACK: 0x2f, MALFORMED_FILE_MESSAGE: 0x30, FILE_REFUSED: 0x31, FILE_NOT_FOUND: 0x32, FILE_CORRUPT: 0x33,
  FILE_IO_ERROR: 0x34, INTERNAL_ERROR: 0xff,
});

const ERROR_NAMES = new Map(Object.entries(ErrorCode).map(([name, value]) => [value, name]));

/** The name of an error code, or its hex value for a code this client does not know. */
export function errorName(code) {
  return ERROR_NAMES.get(code) ?? `0x${code.toString(16).padStart(4, '0')}`;
}

/** A protocol failure with its wire code (section 15). */
export class StreamError extends Error {
  constructor(code, reason) {
    super(`${errorName(code)}: ${reason}`);
    this.name = 'StreamError';
    this.code = code;
    this.reason = reason;
  }
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text) {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text) {
  return encoder.encode(text);
}

/** Strict UTF-8 (section 27.2): null when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes) {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** A reason cut to 512 bytes at a character boundary (section 6). */
export function reasonBytes(reason) {
  const bytes = utf8(reason ?? '');
  if (bytes.length <= MAX_REASON_BYTES) return bytes;
  let end = MAX_REASON_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** Little-endian writer of a fixed-size buffer. */
export class Writer {
  constructor(size) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.at = 0;
  }
  u8(v) { this.view.setUint8(this.at, v); this.at += 1; return this; }
  u16(v) { this.view.setUint16(this.at, v, true); this.at += 2; return this; }
  u32(v) { this.view.setUint32(this.at, v >>> 0, true); this.at += 4; return this; }
  u64(v) { this.view.setBigUint64(this.at, BigInt.asUintN(64, BigInt(v)), true); this.at += 8; return this; }
  raw(b) { this.bytes.set(b, this.at); this.at += b.length; return this; }
  vec(b) { return this.u16(b.length).raw(b); }
}

/** Little-endian reader that throws `truncated` when a field runs past the end. */
export class Reader {
  constructor(bytes, truncated) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
    this.truncated = truncated;
  }
  need(n) {
    if (this.at + n > this.bytes.length) throw this.truncated();
  }
  remaining() { return this.bytes.length - this.at; }
  u8() { this.need(1); return this.view.getUint8(this.at++); }
  u16() { this.need(2); const v = this.view.getUint16(this.at, true); this.at += 2; return v; }
  u32() { this.need(4); const v = this.view.getUint32(this.at, true); this.at += 4; return v; }
  u64() { this.need(8); const v = this.view.getBigUint64(this.at, true); this.at += 8; return v; }
  raw(n) { this.need(n); const v = this.bytes.subarray(this.at, this.at + n); this.at += n; return v; }
  rest() { return this.raw(this.remaining()); }
  vec(limit) {
    const n = this.u16();
    if (n > limit) throw this.truncated();
    return this.raw(n);
  }
  end() {
    if (this.at !== this.bytes.length) throw this.truncated();
  }
}

/** A node address (section 11.1) as `XXXX::XXXX::XXXX::XXXX`. */
export function formatNode(address) {
  const digits = BigInt.asUintN(64, BigInt(address)).toString(16).padStart(16, '0').toUpperCase();
  return `${digits.slice(0, 4)}::${digits.slice(4, 8)}::${digits.slice(8, 12)}::${digits.slice(12)}`;
}

/** Parses `XXXX::XXXX::XXXX::XXXX` (or 16 hex digits) into the u64 as a BigInt. */
export function parseNode(text) {
  const digits = text.replace(/::/g, '');
  if (!/^[0-9a-fA-F]{16}$/.test(digits)) throw new Error(`not a node address: ${text}`);
  return BigInt(`0x${digits}`);
}

/** The 12-byte frame header (section 3). */
export function encodeHeader(size, type, seq, ch, flags) {
  return new Writer(HEADER_SIZE).u32(size).u8(type).u32(seq).u16(ch).u8(flags).bytes;
}

export function decodeHeader(bytes, at = 0) {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, HEADER_SIZE);
  return {
    size: v.getUint32(0, true), type: v.getUint8(4), seq: v.getUint32(5, true), ch: v.getUint16(9, true), flags: v.getUint8(11),
  };
}

/** CLOSE and ERROR payload (section 12). */
export function encodeClose(code, reason) {
  const r = reasonBytes(reason);
  return new Writer(2 + r.length).u16(code).raw(r).bytes;
}

/** CLOSE/ERROR payload, or null when it is malformed (section 12). */
export function decodeClose(payload) {
  if (payload.length < 2 || payload.length - 2 > MAX_REASON_BYTES) return null;
  const reason = decodeUtf8(payload.subarray(2));
  if (reason === null) return null;
  return { code: payload[0] | (payload[1] << 8), reason };
}

/**
 * Reassembles frames from a byte stream split anywhere (section 2), applying the header checks
 * of section 8 before any payload byte is kept.
 */
export class FrameDecoder {
  constructor(limit = MAX_FRAME_PAYLOAD) {
    this.limit = limit;
    this.buffer = new Uint8Array(0);
  }

  /** True while part of a frame has arrived and the rest has not. */
  partial() {
    return this.buffer.length > 0;
  }

  /** Adds bytes and returns the complete frames, in order; throws StreamError on a header check. */
  push(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk);
    const frames = [];
    let at = 0;
    while (this.buffer.length - at >= HEADER_SIZE) {
      const h = decodeHeader(this.buffer, at);
      if (h.size > this.limit) throw new StreamError(ErrorCode.FRAME_TOO_LARGE, `frame of ${h.size} bytes, limit ${this.limit}`);
      if (h.type < PacketType.DATA || h.type > PacketType.ERROR) throw new StreamError(ErrorCode.UNKNOWN_PACKET_TYPE, `packet type ${h.type}`);
      if (h.flags & Flags.RESERVED) throw new StreamError(ErrorCode.RESERVED_FLAGS, `flags 0x${h.flags.toString(16)}`);
      if (this.buffer.length - at - HEADER_SIZE < h.size) break;
      h.header = this.buffer.slice(at, at + HEADER_SIZE);
      h.payload = this.buffer.slice(at + HEADER_SIZE, at + HEADER_SIZE + h.size);
      frames.push(h);
      at += HEADER_SIZE + h.size;
    }
    this.buffer = at === 0 ? this.buffer.slice() : this.buffer.slice(at);
    return frames;
  }
}
