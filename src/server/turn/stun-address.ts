import { isIPv4, isIPv6 } from 'node:net';
import { AddressFamily, MAGIC_COOKIE } from './stun-protocol.js';

/** A transport address as STUN carries it. */
export interface TransportAddress {
  readonly family: 4 | 6;
  readonly ip: string;
  readonly port: number;
}

/** The 4 or 16 bytes of an IP literal; null when it is not one. `::ffff:a.b.c.d` stays IPv6. */
export function ipToBytes(ip: string): Buffer | null {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const bare = ip.split('%', 1)[0] ?? '';
  if (!isIPv6(bare)) return null;
  let text = bare;
  // An embedded dotted quad (::ffff:a.b.c.d) becomes the last two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const q = tail.split('.').map(Number);
    const hi = (((q[0] ?? 0) << 8) | (q[1] ?? 0)).toString(16);
    const lo = (((q[2] ?? 0) << 8) | (q[3] ?? 0)).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

/** The canonical text of 4 or 16 address bytes (RFC 5952 for IPv6). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${Array.from(bytes.subarray(12)).join('.')}`;
  }
  // The longest run of two or more zero words becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Encodes (XOR-)MAPPED-ADDRESS style values; `xorWith` is the transaction id for the XOR forms. */
export function encodeAddress(address: TransportAddress, transactionId?: Buffer): Buffer {
  const ip = ipToBytes(address.ip);
  if (ip === null || ip.length !== (address.family === 4 ? 4 : 16)) {
    throw new TypeError(`not an IPv${address.family} address`);
  }
  const out = Buffer.alloc(4 + ip.length);
  out[1] = address.family === 4 ? AddressFamily.ipv4 : AddressFamily.ipv6;
  if (transactionId === undefined) {
    out.writeUInt16BE(address.port, 2);
    ip.copy(out, 4);
    return out;
  }
  out.writeUInt16BE(address.port ^ (MAGIC_COOKIE >>> 16), 2);
  xorInto(ip, transactionId);
  ip.copy(out, 4);
  return out;
}

/** Decodes an address attribute value; null when malformed. */
export function decodeAddress(value: Buffer, transactionId?: Buffer): TransportAddress | null {
  if (value.length < 4) return null;
  const family = value[1] === AddressFamily.ipv4 ? 4 : value[1] === AddressFamily.ipv6 ? 6 : 0;
  if (family === 0 || value.length !== (family === 4 ? 8 : 20)) return null;
  const ip = Buffer.from(value.subarray(4));
  let port = value.readUInt16BE(2);
  if (transactionId !== undefined) {
    if (transactionId.length !== 12) return null;
    port ^= MAGIC_COOKIE >>> 16;
    xorInto(ip, transactionId);
  }
  return { family, ip: bytesToIp(ip), port };
}

/** XORs the cookie (and for IPv6 the transaction id after it) into `ip`, in place. */
function xorInto(ip: Buffer, transactionId: Buffer): void {
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId.copy(mask, 4, 0, 12);
  for (let i = 0; i < ip.length; i++) ip[i] = (ip[i] ?? 0) ^ (mask[i] ?? 0);
}

/** A short key of an address, for maps. */
export function addressKey(address: { ip: string; port: number }): string {
  return `${address.ip}|${address.port}`;
}
