// CLUSTER channels (section 27.4): a client's memberships of named clusters.
import { ChannelType, ErrorCode, MAX_REASON_BYTES, Reader, Writer, decodeUtf8, utf8 } from './wire.js';

export const ClusterKind = Object.freeze({
  JOIN: 0x01, LEAVE: 0x02, PUBLISH: 0x03, SEND: 0x04,
  JOINED: 0x81, LEFT: 0x82, REFUSED: 0x83, MESSAGE: 0x84, GAP: 0x85,
});
/** MESSAGE flag: sent to this member alone (SEND). */
const BALANCED = 0x01;
/** Longest cluster name and balancing key in bytes (section 27.2). */
const MAX_NAME = 255;

class MalformedClusterMessage extends Error {}

function nameBytes(name) {
  const bytes = utf8(name);
  if (bytes.length < 1 || bytes.length > MAX_NAME) throw new Error(`a cluster name is 1..${MAX_NAME} bytes of UTF-8`);
  return bytes;
}

export function encodeJoin(kind, request, name) {
  const n = nameBytes(name);
  return new Writer(6 + n.length).u8(kind).u32(request).u8(n.length).raw(n).bytes;
}

export function encodePublish(name, payload) {
  const n = nameBytes(name);
  return new Writer(2 + n.length + payload.length).u8(ClusterKind.PUBLISH).u8(n.length).raw(n).raw(payload).bytes;
}

export function encodeSend(name, key, payload) {
  const n = nameBytes(name);
  if (key.length > MAX_NAME) throw new Error('a balancing key is at most 255 bytes');
  return new Writer(3 + n.length + key.length + payload.length).u8(ClusterKind.SEND).u8(n.length).raw(n)
    .u8(key.length).raw(key).raw(payload).bytes;
}

/** A node-to-client message; throws MalformedClusterMessage when it does not decode (section 27.2). */
export function decodeClusterMessage(bytes) {
  const r = new Reader(bytes, () => new MalformedClusterMessage('truncated or trailing bytes'));
  const kind = r.u8();
  switch (kind) {
    case ClusterKind.JOINED: {
      const m = { kind, request: r.u32(), ref: r.u32(), members: r.u32() };
      r.end();
      return m;
    }
    case ClusterKind.LEFT: {
      const m = { kind, request: r.u32(), ref: r.u32() };
      r.end();
      return m;
    }
    case ClusterKind.REFUSED: {
      const request = r.u32();
      const code = r.u16();
      const length = r.u16();
      if (length > MAX_REASON_BYTES) throw new MalformedClusterMessage('REFUSED reason over 512 bytes');
      const reason = decodeUtf8(r.raw(length));
      r.end();
      if (reason === null) throw new MalformedClusterMessage('REFUSED reason not UTF-8');
      return { kind, request, code, reason };
    }
    case ClusterKind.MESSAGE: {
      const ref = r.u32();
      const flags = r.u8();
      if (flags & ~BALANCED) throw new MalformedClusterMessage(`MESSAGE flags 0x${flags.toString(16)}`);
      return { kind, ref, balanced: (flags & BALANCED) !== 0, origin: r.u64(), publisher: r.u32(), seq: r.u64(), payload: r.rest() };
    }
    case ClusterKind.GAP: {
      const m = { kind, ref: r.u32(), missed: r.u64() };
      r.end();
      return m;
    }
    default:
      throw new MalformedClusterMessage(`kind 0x${kind.toString(16)}`);
  }
}

/**
 * A CLUSTER channel on a stream. The listener gets message({ cluster, ref, origin, publisher,
 * seq, payload, balanced }), gap({ cluster, missed }) and refused({ code, reason }) for a
 * refused publish or send; join() and leave() resolve with the node's answer.
 */
export class ClusterChannel {
  static async open(stream, listener = {}) {
    const cluster = new ClusterChannel(listener);
    cluster.channel = await stream.openChannel(ChannelType.CLUSTER, {
      onMessage: (bytes) => cluster.received(bytes),
      onClose: (code, reason) => cluster.closed(code, reason),
    });
    return cluster;
  }

  constructor(listener) {
    this.listener = listener;
    this.nextRequest = 1;
    this.pending = new Map();
    this.memberships = new Map();
  }

  /** Joins `name`; resolves with { ref, members } (JOINED), rejects with the REFUSED code. */
  join(name) {
    return this.request(ClusterKind.JOIN, name);
  }

  leave(name) {
    return this.request(ClusterKind.LEAVE, name);
  }

  /** Broadcasts `payload` (bytes or text) to every member of `name`. */
  publish(name, payload) {
    return this.channel.write(encodePublish(name, typeof payload === 'string' ? utf8(payload) : payload));
  }

  /** Sends `payload` to one member of `name`, chosen by its balancer (by `key` when given). */
  send(name, payload, key = new Uint8Array(0)) {
    return this.channel.write(encodeSend(name, typeof key === 'string' ? utf8(key) : key, typeof payload === 'string' ? utf8(payload) : payload));
  }

  close() {
    return this.channel.close();
  }

  request(kind, name) {
    const request = this.nextRequest;
    this.nextRequest = (this.nextRequest % 0xffffffff) + 1;
    const answer = new Promise((resolve, reject) => this.pending.set(request, { resolve, reject, name }));
    this.channel.write(encodeJoin(kind, request, name)).catch((e) => {
      this.pending.get(request)?.reject(e);
      this.pending.delete(request);
    });
    return answer;
  }

  received(bytes) {
    let m;
    try {
      m = decodeClusterMessage(bytes);
    } catch (e) {
      if (!(e instanceof MalformedClusterMessage)) throw e;
      this.channel.fail(ErrorCode.MALFORMED_CLUSTER_MESSAGE, e.message);
      return;
    }
    const answered = this.pending.get(m.request);
    switch (m.kind) {
      case ClusterKind.JOINED:
        if (answered) {
          this.pending.delete(m.request);
          this.memberships.set(m.ref, answered.name);
          answered.resolve({ cluster: answered.name, ref: m.ref, members: m.members });
        }
        break;
      case ClusterKind.LEFT:
        if (answered) {
          this.pending.delete(m.request);
          this.memberships.delete(m.ref);
          answered.resolve({ cluster: answered.name, ref: m.ref });
        }
        break;
      case ClusterKind.REFUSED:
        if (m.request === 0 || !answered) {
          this.listener.refused?.({ code: m.code, reason: m.reason });
        } else {
          this.pending.delete(m.request);
          const error = new Error(`refused (code ${m.code}): ${m.reason}`);
          error.code = m.code;
          answered.reject(error);
        }
        break;
      case ClusterKind.MESSAGE: {
        const cluster = this.memberships.get(m.ref);
        if (cluster === undefined) return; // a membership this client left (section 27.4)
        this.listener.message?.({ cluster, ...m });
        break;
      }
      case ClusterKind.GAP: {
        const cluster = this.memberships.get(m.ref);
        if (cluster !== undefined) this.listener.gap?.({ cluster, missed: m.missed });
        break;
      }
      default:
        break;
    }
  }

  closed(code, reason) {
    for (const p of this.pending.values()) p.reject(new Error(`cluster channel closed: ${reason || code}`));
    this.pending.clear();
    this.listener.closed?.({ code, reason });
  }
}
