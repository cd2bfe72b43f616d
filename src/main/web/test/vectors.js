// Reads the `vector` blocks of docs/PROTOCOL.md by their titles, so the tests check the text itself.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../src/wire.js';

const protocolPath = fileURLToPath(new URL('../../../../docs/PROTOCOL.md', import.meta.url));
export const protocolText = readFileSync(protocolPath, 'utf8');

/** The bytes of the block titled `Vector: <title>`. */
export function vector(title) {
  const marker = `Vector: ${title}\n\n\`\`\`vector\n`;
  const start = protocolText.indexOf(marker);
  if (start < 0) throw new Error(`no vector "${title}" in PROTOCOL.md`);
  const end = protocolText.indexOf('```', start + marker.length);
  return fromHex(protocolText.slice(start + marker.length, end));
}

/** The bytes of the hex block titled `Example: <title>`. */
export function example(title) {
  const marker = `Example: ${title}\n\n\`\`\`hex\n`;
  const start = protocolText.indexOf(marker);
  if (start < 0) throw new Error(`no example "${title}" in PROTOCOL.md`);
  const end = protocolText.indexOf('```', start + marker.length);
  return fromHex(protocolText.slice(start + marker.length, end));
}

/** A random source that hands out the given draws in order, as the vectors' fixed counting sequences. */
export function draws(bytes) {
  let at = 0;
  return (n) => {
    if (at + n > bytes.length) throw new Error('out of fixed draws');
    const out = bytes.slice(at, at + n);
    at += n;
    return out;
  };
}
