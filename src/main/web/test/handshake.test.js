import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientHandshake, SigAlg, nodeAddress } from '../src/secure.js';
import { ErrorCode, Flags, PacketType, StreamError, hex, utf8 } from '../src/wire.js';
import { draws, vector } from './vectors.js';
import { ed25519 } from '@noble/curves/ed25519.js';

function vectorHandshake() {
  const hs = new ClientHandshake({ identity: { secretKey: vector('client Ed25519 private key') }, random: draws(vector('client random draws (hello random 32, X25519 private 32, ML-KEM d 32, z 32)')) });
  return hs;
}

test('identities and node addresses of section 21', () => {
  const clientKey = ed25519.getPublicKey(vector('client Ed25519 private key'));
  assert.equal(hex(clientKey), hex(vector('client public key')));
  assert.equal(hex(ed25519.getPublicKey(vector('server Ed25519 private key'))), hex(vector('server public key')));
  assert.equal(nodeAddress(SigAlg.ED25519, clientKey).toString(16).padStart(16, '0'), hex(vector('client node address')));
  assert.equal(nodeAddress(SigAlg.ED25519, vector('server public key')).toString(16).padStart(16, '0'), hex(vector('server node address')));
});

test('the connector reproduces CLIENT_HELLO, CLIENT_FINISH and every secret of the vectors', () => {
  const hs = vectorHandshake();
  assert.equal(hex(hs.clientHello()), hex(vector('CLIENT_HELLO')));
  const cf = hs.serverHello(vector('SERVER_HELLO'));
  assert.equal(hex(hs.sharedSecret), hex(vector('shared secret (ML-KEM-768 || X25519)')));
  assert.equal(hex(hs.clientFinishedKey), hex(vector('client finished key')));
  assert.equal(hex(hs.serverFinishedKey), hex(vector('server finished key')));
  assert.equal(hs.session, 0x1a2b3c4d);
  assert.equal(hs.keepaliveMs, 3000);
  assert.equal(hs.suite, 0x0001, 'the acceptor picked AES-256-GCM');
  assert.equal(hs.server.clientAuthRequested, true);
  assert.equal(hs.server.node.toString(16).padStart(16, '0'), hex(vector('server node address')));
  assert.equal(hex(cf), hex(vector('CLIENT_FINISH')));
  const hsSecret = hex(hs.hsSecret);
  assert.equal(hsSecret, hex(vector('hs_secret')));
  const keys = hs.serverFinish(vector('SERVER_FINISH'));
  assert.equal(hex(keys.master), hex(vector('master')));
  assert.equal(hex(keys.send.secret), hex(vector('c2s traffic secret (epoch 0)')));
  assert.equal(hex(keys.receive.secret), hex(vector('s2c traffic secret (epoch 0)')));
  assert.equal(hex(keys.channelBase), hex(vector('channel base')));
  assert.equal(hex(keys.send.key), hex(vector('c2s key (epoch 0)')));
  assert.equal(hex(keys.send.iv), hex(vector('c2s iv (epoch 0)')));
  assert.equal(hex(keys.receive.key), hex(vector('s2c key (epoch 0)')));
  assert.equal(hex(keys.receive.iv), hex(vector('s2c iv (epoch 0)')));
  assert.equal(hex(keys.send.nonce(1, 0)), hex(vector('nonce of that frame')));
  const frame = keys.send.seal(PacketType.DATA, 0, 1, Flags.ENCRYPTED, utf8('hello, DAP'));
  assert.equal(hex(frame), hex(vector('DATA frame (ch 1, seq 0, "hello, DAP", c2s epoch 0)')));
  keys.send.update();
  assert.equal(keys.send.epoch, 1);
  assert.equal(hex(keys.send.secret), hex(vector('c2s traffic secret (epoch 1)')));
  assert.equal(hex(keys.send.key), hex(vector('c2s key (epoch 1)')));
});

test('the acceptor side opens the vector DATA frame with the c2s keys', () => {
  const hs = vectorHandshake();
  hs.clientHello();
  hs.serverHello(vector('SERVER_HELLO'));
  const keys = hs.serverFinish(vector('SERVER_FINISH'));
  const sealed = vector('DATA frame (ch 1, seq 0, "hello, DAP", c2s epoch 0)');
  const frame = { header: sealed.subarray(0, 12), payload: sealed.subarray(12), ch: 1, seq: 0 };
  assert.equal(new TextDecoder().decode(keys.send.open(frame)), 'hello, DAP');
  const tampered = sealed.slice();
  tampered[20] ^= 1;
  assert.throws(() => keys.send.open({ header: tampered.subarray(0, 12), payload: tampered.subarray(12), ch: 1, seq: 0 }),
    (e) => e instanceof StreamError && e.code === ErrorCode.DECRYPT_FAILED);
});

test('an anonymous connector sends CLIENT_FINISH without identity, MACed', () => {
  const hs = new ClientHandshake({ random: draws(vector('client random draws (hello random 32, X25519 private 32, ML-KEM d 32, z 32)')) });
  const ch = hs.clientHello();
  assert.equal(hex(ch.subarray(8, 16)), '0000000000000000', 'claims no node');
  assert.throws(() => hs.serverHello(vector('SERVER_HELLO')), (e) => e.code === ErrorCode.BAD_SIGNATURE,
    'the vector SERVER_HELLO signed another CLIENT_HELLO');
});

test('SERVER_HELLO checks: signature, pinning, suite, structure', () => {
  const sh = vector('SERVER_HELLO');
  const run = (mutate, options = {}) => {
    const hs = new ClientHandshake({ identity: { secretKey: vector('client Ed25519 private key') }, random: draws(vector('client random draws (hello random 32, X25519 private 32, ML-KEM d 32, z 32)')), ...options });
    hs.clientHello();
    const copy = sh.slice();
    mutate(copy);
    return () => hs.serverHello(copy);
  };
  assert.throws(run((b) => { b[20] ^= 1; }), (e) => e.code === ErrorCode.BAD_SIGNATURE);
  assert.throws(run(() => {}, { expectedNode: 1n }), (e) => e.code === ErrorCode.IDENTITY_MISMATCH);
  assert.throws(run(() => {}, { suites: 0x0002 }), (e) => e.code === ErrorCode.NO_COMMON_SUITE);
  assert.throws(run(() => {}, { sigAlgs: SigAlg.ML_DSA_65 }), (e) => e.code === ErrorCode.NO_COMMON_SUITE);
  assert.throws(run((b) => { b[1] = 2; }), (e) => e.code === ErrorCode.UNSUPPORTED_VERSION);
  const sigAlgAt = 1 + 2 + 2 + 2 + 1 + 4 + 4 + 32 + 32 + 1088;
  assert.throws(run((b) => { b[sigAlgAt] = 0x03; }), (e) => e.code === ErrorCode.MALFORMED_HANDSHAKE, 'an undefined identity algorithm');
  assert.throws(run((b) => { b[sigAlgAt] = 0x01; }), (e) => e.code === ErrorCode.MALFORMED_HANDSHAKE, 'a 32-byte key for ML-DSA-65');
  assert.throws(run((b) => { b[7] = 0x03; }), (e) => e.code === ErrorCode.MALFORMED_HANDSHAKE, 'reserved SERVER_HELLO flag');
  const hs = new ClientHandshake({ random: draws(vector('client random draws (hello random 32, X25519 private 32, ML-KEM d 32, z 32)')) });
  hs.clientHello();
  assert.throws(() => hs.serverHello(sh.subarray(0, sh.length - 1)), (e) => e.code === ErrorCode.MALFORMED_HANDSHAKE);
  const pinned = run(() => {}, { expectedNode: BigInt('0x' + hex(vector('server node address'))) });
  assert.equal(pinned().length, vector('CLIENT_FINISH').length);
});

test('a SERVER_FINISH with a wrong MAC is BAD_FINISHED', () => {
  const hs = vectorHandshake();
  hs.clientHello();
  hs.serverHello(vector('SERVER_HELLO'));
  const sf = vector('SERVER_FINISH');
  sf[5] ^= 1;
  assert.throws(() => hs.serverFinish(sf), (e) => e.code === ErrorCode.BAD_FINISHED);
});
