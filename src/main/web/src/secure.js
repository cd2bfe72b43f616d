// The secure handshake (section 20), key schedule (section 21) and sealed frames (section 22),
// for the connector. Every primitive comes from the audited @noble libraries.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import {
  Control, ErrorCode, HEADER_SIZE, Reader, StreamError, TAG_SIZE, Writer, concat, encodeHeader, utf8,
} from './wire.js';

export const VERSION = 1;
/** AEAD suites (section 20.1), as bits of CLIENT_HELLO `suites`. */
export const Suite = Object.freeze({ AES_256_GCM: 0x0001, CHACHA20_POLY1305: 0x0002 });
/** Identity algorithms (section 20.1), as `sig_alg` values and `sig_algs` bits. */
export const SigAlg = Object.freeze({ NONE: 0x00, ML_DSA_65: 0x01, ED25519: 0x02 });
/** SERVER_HELLO flag: the connector must authenticate. */
export const CLIENT_AUTH = 0x01;

const PUBLIC_KEY_SIZE = { [SigAlg.ML_DSA_65]: 1952, [SigAlg.ED25519]: 32 };
/** Structure limits of section 20.1. */
const MAX_PUBLIC_KEY = 4096;
const MAX_SIGNATURE = 8192;
const MAX_ENDORSEMENT = 8201;
const RANDOM_SIZE = 32;
const X25519_SIZE = 32;
const MLKEM_EK_SIZE = 1184;
const MLKEM_CT_SIZE = 1088;
const MAC_SIZE = 32;
/** SERVER_HELLO bytes before its `public_key` vec: up to and including `sig_alg`. */
const SERVER_HELLO_FIXED = 1 + 2 + 2 + 2 + 1 + 4 + 4 + RANDOM_SIZE + X25519_SIZE + MLKEM_CT_SIZE + 1;
/** Frames a sender seals under one key before it moves to the next epoch (section 23). */
export const REKEY_FRAMES = 2 ** 31;
/** Payload bytes a sender seals under one key before it moves to the next epoch (64 GiB, section 23). */
export const REKEY_BYTES = 64 * 2 ** 30;

const label = (text) => utf8(`dap-stream v1 ${text}`);
const hkdfExpand = (secret, what, n) => expand(sha256, secret, label(what), n);

/** The node address of an identity (section 20.3): the first 8 bytes of SHA-256(alg || key), big-endian. */
export function nodeAddress(alg, publicKey) {
  const digest = sha256(concat(Uint8Array.of(alg), publicKey));
  return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, false);
}

/** One direction's traffic keys: the current epoch's key and IV, and the secret of the next. */
export class TrafficKeys {
  constructor(secret, suite) {
    this.suite = suite;
    this.epoch = 0;
    this.frames = 0;
    this.bytes = 0;
    this.install(secret);
  }

  install(secret) {
    this.secret = secret;
    this.key = hkdfExpand(secret, 'key', 32);
    this.iv = hkdfExpand(secret, 'iv', 12);
  }

  /** Moves to epoch e + 1 and wipes the old secret (section 21). */
  update() {
    const next = hkdfExpand(this.secret, 'update', 32);
    this.secret.fill(0);
    this.key.fill(0);
    this.epoch += 1;
    this.frames = 0;
    this.bytes = 0;
    this.install(next);
  }

  /** iv XOR (ch_id u16 || 0x0000 || epoch u32 || seq_id u32), little-endian (section 22). */
  nonce(ch, seq) {
    const n = new Writer(12).u16(ch).u16(0).u32(this.epoch).u32(seq).bytes;
    for (let i = 0; i < 12; i++) n[i] ^= this.iv[i];
    return n;
  }

  aead(nonce, aad) {
    return this.suite === Suite.CHACHA20_POLY1305 ? chacha20poly1305(this.key, nonce, aad) : gcm(this.key, nonce, aad);
  }

  /** The whole sealed frame: header (the associated data, `size` counting the tag) || ciphertext || tag. */
  seal(type, seq, ch, flags, plaintext) {
    const header = encodeHeader(plaintext.length + TAG_SIZE, type, seq, ch, flags);
    const sealed = this.aead(this.nonce(ch, seq), header).encrypt(plaintext);
    this.frames += 1;
    this.bytes += plaintext.length;
    return concat(header, sealed);
  }

  /** The plaintext of a received frame, or DECRYPT_FAILED. */
  open(frame) {
    if (frame.payload.length < TAG_SIZE) throw new StreamError(ErrorCode.DECRYPT_FAILED, 'payload shorter than the tag');
    try {
      const plain = this.aead(this.nonce(frame.ch, frame.seq), frame.header).decrypt(frame.payload);
      this.frames += 1;
      return plain;
    } catch {
      throw new StreamError(ErrorCode.DECRYPT_FAILED, `frame on channel ${frame.ch} seq ${frame.seq} does not open`);
    }
  }
}

function malformed(why) {
  return new StreamError(ErrorCode.MALFORMED_HANDSHAKE, why);
}

function constantTimeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The server's transcript signature over `label || 0x00 || H(...)` (section 20.2). */
function verifySignature(alg, publicKey, signature, message) {
  try {
    if (alg === SigAlg.ED25519) return ed25519.verify(signature, message, publicKey);
    if (alg === SigAlg.ML_DSA_65) return ml_dsa65.verify(signature, message, publicKey);
  } catch {
    return false;
  }
  return false;
}

function signatureInput(side, hash) {
  return concat(label(`${side} signature`), Uint8Array.of(0), hash);
}

/**
 * The connector's side of the handshake: CLIENT_HELLO, then SERVER_HELLO in, CLIENT_FINISH out,
 * then SERVER_FINISH in; the result is the traffic keys. Synchronous: the caller processes each
 * frame completely before the next one (section 9).
 *
 * Options: `suites` (default both), `sigAlgs` (default both), `expectedNode` (a BigInt: pin the
 * server's address, IDENTITY_MISMATCH otherwise), `identity` ({ secretKey } of Ed25519, to
 * authenticate when the server asks; without it the client is anonymous), `random(n)` (the
 * source of random bytes; tests fix it).
 */
export class ClientHandshake {
  constructor(options = {}) {
    this.suites = options.suites ?? (Suite.AES_256_GCM | Suite.CHACHA20_POLY1305);
    this.sigAlgs = options.sigAlgs ?? (SigAlg.ML_DSA_65 | SigAlg.ED25519);
    this.expectedNode = options.expectedNode ?? null;
    this.identity = options.identity ?? null;
    this.random = options.random ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
    this.node = this.identity ? nodeAddress(SigAlg.ED25519, ed25519.getPublicKey(this.identity.secretKey)) : 0n;
  }

  /** CLIENT_HELLO's payload (kind byte included). Draws, in order: hello random, X25519 private, ML-KEM d || z. */
  clientHello() {
    const random = this.random(RANDOM_SIZE);
    this.x25519Private = this.random(X25519_SIZE);
    const seed = concat(this.random(32), this.random(32));
    const kem = ml_kem768.keygen(seed);
    seed.fill(0);
    this.kemSecret = kem.secretKey;
    this.ch = new Writer(1264).u8(Control.CLIENT_HELLO).u16(VERSION).u16(this.suites).u16(0).u8(this.sigAlgs)
      .u64(this.node).raw(random).raw(x25519.getPublicKey(this.x25519Private)).raw(kem.publicKey).bytes;
    return this.ch;
  }

  /** Checks SERVER_HELLO (section 20.2 step 2) and returns CLIENT_FINISH's payload. */
  serverHello(sh) {
    const r = new Reader(sh, () => malformed('SERVER_HELLO truncated or with trailing bytes'));
    if (r.u8() !== Control.SERVER_HELLO) throw malformed('expected SERVER_HELLO');
    const version = r.u16();
    const suite = r.u16();
    const features = r.u16();
    const flags = r.u8();
    const session = r.u32();
    const keepaliveMs = r.u32();
    r.raw(RANDOM_SIZE);
    const serverX25519 = r.raw(X25519_SIZE);
    const kemCiphertext = r.raw(MLKEM_CT_SIZE);
    const sigAlg = r.u8();
    const publicKey = r.vec(MAX_PUBLIC_KEY);
    r.vec(MAX_ENDORSEMENT); // read only under the cluster-signed policy (section 20.4)
    const signed = sh.subarray(0, r.at);
    const signature = r.vec(MAX_SIGNATURE);
    r.end();
    if (version !== VERSION) throw new StreamError(ErrorCode.UNSUPPORTED_VERSION, `SERVER_HELLO version ${version}`);
    if (suite === 0 || (suite & (suite - 1)) !== 0 || (suite & this.suites) !== suite) {
      throw new StreamError(ErrorCode.NO_COMMON_SUITE, `suite 0x${suite.toString(16)} was not offered`);
    }
    if (features !== 0) throw new StreamError(ErrorCode.NO_COMMON_SUITE, `features 0x${features.toString(16)} were not offered`);
    if (flags & ~CLIENT_AUTH) throw malformed(`SERVER_HELLO flags 0x${flags.toString(16)}`);
    if (!(sigAlg in PUBLIC_KEY_SIZE)) throw malformed(`server identity algorithm ${sigAlg} is not defined`);
    if ((sigAlg & this.sigAlgs) === 0) {
      throw new StreamError(ErrorCode.NO_COMMON_SUITE, `server identity algorithm ${sigAlg} not accepted`);
    }
    if (publicKey.length !== PUBLIC_KEY_SIZE[sigAlg]) throw malformed(`a ${publicKey.length}-byte key for algorithm ${sigAlg}`);
    const input = signatureInput('server', sha256(concat(this.ch, signed)));
    if (!verifySignature(sigAlg, publicKey, signature, input)) {
      throw new StreamError(ErrorCode.BAD_SIGNATURE, 'the server transcript signature does not verify');
    }
    const server = nodeAddress(sigAlg, publicKey);
    if (this.expectedNode !== null && server !== BigInt(this.expectedNode)) {
      throw new StreamError(ErrorCode.IDENTITY_MISMATCH, 'the server is not the node dialled');
    }
    let ssKem;
    let ssX;
    try {
      ssKem = ml_kem768.decapsulate(kemCiphertext, this.kemSecret);
      ssX = x25519.getSharedSecret(this.x25519Private, serverX25519);
    } catch {
      throw malformed('bad key share');
    }
    if (ssX.every((b) => b === 0)) throw malformed('low-order X25519 point');
    this.kemSecret.fill(0);
    this.x25519Private.fill(0);
    this.sh = sh.slice();
    this.suite = suite;
    this.session = session;
    this.keepaliveMs = keepaliveMs;
    this.server = { node: server, sigAlg, publicKey: publicKey.slice(), clientAuthRequested: (flags & CLIENT_AUTH) !== 0 };
    this.sharedSecret = concat(ssKem, ssX);
    this.hsSecret = extract(sha256, this.sharedSecret, sha256(concat(this.ch, this.sh)));
    this.clientFinishedKey = hkdfExpand(this.hsSecret, 'client finished', 32);
    this.serverFinishedKey = hkdfExpand(this.hsSecret, 'server finished', 32);
    this.cf = this.clientFinish(flags & CLIENT_AUTH);
    return this.cf;
  }

  /**
   * CLIENT_FINISH: anonymous (sig_alg 0, empty vecs) unless the server asked and this client
   * has an identity; the server's policy decides what an anonymous client gets (AUTH_REQUIRED).
   */
  clientFinish(asked) {
    let head;
    if (asked && this.identity) {
      const publicKey = ed25519.getPublicKey(this.identity.secretKey);
      const endorsement = this.identity.endorsement ?? new Uint8Array(0);
      const beforeSignature = new Writer(1 + 1 + 2 + publicKey.length + 2 + endorsement.length)
        .u8(Control.CLIENT_FINISH).u8(SigAlg.ED25519).vec(publicKey).vec(endorsement).bytes;
      const input = signatureInput('client', sha256(concat(this.ch, this.sh, beforeSignature)));
      const signature = ed25519.sign(input, this.identity.secretKey);
      head = concat(beforeSignature, new Writer(2 + signature.length).vec(signature).bytes);
    } else {
      head = Uint8Array.of(Control.CLIENT_FINISH, SigAlg.NONE, 0, 0, 0, 0, 0, 0);
    }
    const mac = hmac(sha256, this.clientFinishedKey, sha256(concat(this.ch, this.sh, head)));
    return concat(head, mac);
  }

  /** Checks SERVER_FINISH's MAC and returns the traffic keys (section 21). */
  serverFinish(sf) {
    if (sf.length !== 1 + MAC_SIZE || sf[0] !== Control.SERVER_FINISH) throw malformed('SERVER_FINISH of the wrong size');
    const expected = hmac(sha256, this.serverFinishedKey, sha256(concat(this.ch, this.sh, this.cf)));
    if (!constantTimeEqual(expected, sf.subarray(1))) throw new StreamError(ErrorCode.BAD_FINISHED, 'SERVER_FINISH MAC');
    this.sf = sf.slice();
    const master = extract(sha256, this.hsSecret, sha256(concat(this.ch, this.sh, this.cf, this.sf)));
    const keys = {
      master,
      send: new TrafficKeys(hkdfExpand(master, 'c2s traffic', 32), this.suite),
      receive: new TrafficKeys(hkdfExpand(master, 's2c traffic', 32), this.suite),
      channelBase: hkdfExpand(master, 'channel', 32),
    };
    this.hsSecret.fill(0);
    this.sharedSecret.fill(0);
    return keys;
  }
}

export { HEADER_SIZE };
