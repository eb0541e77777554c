/** What the server needs to know of a TLS ClientHello before choosing who answers it. */
export interface ClientHelloInfo {
  /** The SNI host name, lower case; undefined when none was sent. */
  servername: string | undefined;
  /** The ALPN protocols offered, in order. */
  alpn: string[];
}

/** A TLS record header: type (1), version (2), length (2). */
const RECORD_HEADER_BYTES = 5;
const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
/** The largest TLS plaintext record (RFC 8446 §5.1). */
export const MAX_RECORD_BYTES = RECORD_HEADER_BYTES + 16_384;

/**
 * How many bytes the first TLS record holds (header included), once its header is in;
 * undefined while fewer than 5 bytes have arrived.
 */
export function firstRecordLength(data: Buffer): number | undefined {
  if (data.length < RECORD_HEADER_BYTES) return undefined;
  return RECORD_HEADER_BYTES + data.readUInt16BE(3);
}

/**
 * Reads SNI and ALPN from the ClientHello in the first TLS record. Returns undefined for
 * anything that is not a well-formed ClientHello (the TLS server then refuses it itself).
 * A ClientHello split over several records is read from the first one only: it is enough
 * for the ACME validators, and a normal browser connection does not depend on it.
 */
export function parseClientHello(data: Buffer): ClientHelloInfo | undefined {
  const length = firstRecordLength(data);
  if (length === undefined || data[0] !== RECORD_HANDSHAKE || data.length < length) return undefined;
  const body = data.subarray(RECORD_HEADER_BYTES, length);
  try {
    let at = 0;
    if (body.readUInt8(at) !== HANDSHAKE_CLIENT_HELLO) return undefined;
    at += 4; // type (1) + length (3)
    at += 2 + 32; // client version + random
    at += 1 + body.readUInt8(at); // session id
    at += 2 + body.readUInt16BE(at); // cipher suites
    at += 1 + body.readUInt8(at); // compression methods
    if (at + 2 > body.length) return { servername: undefined, alpn: [] };
    const end = Math.min(body.length, at + 2 + body.readUInt16BE(at));
    at += 2;
    const info: ClientHelloInfo = { servername: undefined, alpn: [] };
    while (at + 4 <= end) {
      const type = body.readUInt16BE(at);
      const size = body.readUInt16BE(at + 2);
      const ext = body.subarray(at + 4, at + 4 + size);
      at += 4 + size;
      if (type === EXT_SERVER_NAME) info.servername = readServerName(ext);
      else if (type === EXT_ALPN) info.alpn = readAlpn(ext);
    }
    return info;
  } catch {
    // A length that runs past the buffer: not a ClientHello we can read.
    return undefined;
  }
}

function readServerName(ext: Buffer): string | undefined {
  // server_name_list length (2), then entries of type (1), length (2), name.
  let at = 2;
  while (at + 3 <= ext.length) {
    const type = ext.readUInt8(at);
    const size = ext.readUInt16BE(at + 1);
    if (type === 0)
      return ext
        .subarray(at + 3, at + 3 + size)
        .toString('latin1')
        .toLowerCase();
    at += 3 + size;
  }
  return undefined;
}

function readAlpn(ext: Buffer): string[] {
  const names: string[] = [];
  let at = 2; // protocol_name_list length
  while (at < ext.length) {
    const size = ext.readUInt8(at);
    names.push(ext.subarray(at + 1, at + 1 + size).toString('latin1'));
    at += 1 + size;
  }
  return names;
}
