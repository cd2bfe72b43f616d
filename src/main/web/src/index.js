// The DAP Stream browser client: a secure stream over the node's WebSocket transport
// (docs/PROTOCOL.md sections 20 to 30), its channels, ECHO and named clusters.
import { DapStream } from './stream.js';
import { ErrorCode, StreamError } from './wire.js';

export { DapStream, StreamChannel, Defaults } from './stream.js';
export { ClusterChannel } from './cluster.js';
export { ClientHandshake, SigAlg, Suite, nodeAddress } from './secure.js';
export { ChannelType, ErrorCode, PacketType, StreamError, errorName, formatNode, parseNode } from './wire.js';

/** The WebSocket subprotocol of section 30.1. */
export const SUBPROTOCOL = 'dap-stream.v1';

/**
 * Opens a secure stream to `url` (`ws://host:8080/stream`, or `wss://`); resolves with the
 * DapStream once the handshake is done. Options: `expectedNode` (pin the server's node address,
 * a BigInt or `XXXX::XXXX::XXXX::XXXX`), keepalive timers (see Defaults).
 */
export function connect(url, options = {}) {
  const opened = performance.now();
  const expectedNode = typeof options.expectedNode === 'string'
    ? BigInt(`0x${options.expectedNode.replace(/::/g, '')}`) : options.expectedNode;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, SUBPROTOCOL);
    ws.binaryType = 'arraybuffer';
    let stream = null;
    ws.onopen = () => {
      if (ws.protocol !== SUBPROTOCOL) {
        // section 30.1 asks for close code 1002, which a page cannot send: close() takes 1000 or 3000-4999
        ws.close(1000, 'subprotocol not selected');
        reject(new Error(`the server did not select ${SUBPROTOCOL}`));
        return;
      }
      stream = new DapStream({ send: (bytes) => ws.send(bytes), close: (code) => ws.close(code) }, { ...options, expectedNode });
      stream.websocket = ws;
      stream.start().then((s) => {
        s.stats.connectMs = performance.now() - opened;
        resolve(s);
      }, reject);
    };
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') {
        // ERROR PROTOCOL_VIOLATION as section 30.3 says; its close code 1003 is not one a page may send
        stream?.fail(new StreamError(ErrorCode.PROTOCOL_VIOLATION, 'text message on the WebSocket'));
        return;
      }
      stream?.receive(new Uint8Array(event.data));
    };
    ws.onclose = (event) => {
      if (stream) stream.connectionLost(`WebSocket closed (${event.code})`);
      else reject(new Error(`WebSocket closed before it opened (${event.code})`));
    };
  });
}
