import { randomBytes } from 'node:crypto';
import type { TurnClient } from '../allocation-table.js';
import { decodeChannelData, encodeChannelData } from '../channel-data.js';
import { decodeAddress, encodeAddress, type TransportAddress } from '../stun-address.js';
import {
  decodeStun,
  encodeStun,
  getAttribute,
  longTermKey,
  type OutAttribute,
  type StunMessage,
  u32Value,
  verifyIntegrity,
} from '../stun-message.js';
import { StunAttr, StunClass, StunMethod } from '../stun-protocol.js';

/** What a test client knows after a 401: enough to sign its next requests. */
export interface ClientAuth {
  username: string;
  password: string;
  realm: string;
  nonce: string;
}

/** A decoded answer, with the fields tests look at. */
export interface Answer {
  message: StunMessage;
  code: number | undefined;
  relayed: TransportAddress | null;
  mapped: TransportAddress | null;
  lifetime: number | undefined;
  /** Whether MESSAGE-INTEGRITY verified with the client's key. */
  signed: boolean;
}

/**
 * A minimal TURN client for tests, transport-agnostic: `request` builds a signed message and
 * `exchange` hands it to whatever delivers it (in memory or over UDP) and decodes the answer.
 */
export class TurnTestClient {
  auth: ClientAuth | undefined;

  constructor(
    readonly credential: { username: string; credential: string },
    readonly realm = 'homecall',
  ) {}

  get key(): Buffer {
    return longTermKey(this.credential.username, this.realm, this.credential.credential);
  }

  /** A request; signed with USERNAME/REALM/NONCE/MESSAGE-INTEGRITY once a nonce is known. */
  request(method: number, attributes: OutAttribute[] = [], options: { fingerprint?: boolean } = {}): Buffer {
    const signed = this.auth !== undefined;
    const all = signed
      ? [
          ...attributes,
          { type: StunAttr.USERNAME, value: this.credential.username },
          { type: StunAttr.REALM, value: this.realm },
          { type: StunAttr.NONCE, value: this.auth?.nonce ?? '' },
        ]
      : attributes;
    return encodeStun(
      { method, cls: StunClass.request, transactionId: randomBytes(12), attributes: all },
      { ...(signed ? { integrityKey: this.key } : {}), fingerprint: options.fingerprint === true },
    );
  }

  /** Decodes an answer, and learns the nonce from a 401/438. */
  read(bytes: Buffer): Answer {
    const message = decodeStun(bytes);
    if (message === null) throw new Error('not a STUN message');
    const error = getAttribute(message, StunAttr.ERROR_CODE);
    const code = error === undefined ? undefined : decodeErrorCode(error)?.code;
    const nonce = getAttribute(message, StunAttr.NONCE);
    if ((code === 401 || code === 438) && nonce !== undefined) {
      this.auth = {
        ...this.credential,
        password: this.credential.credential,
        realm: getAttribute(message, StunAttr.REALM)?.toString() ?? this.realm,
        nonce: nonce.toString(),
      };
    }
    const address = (type: number) => {
      const v = getAttribute(message, type);
      return v === undefined ? null : decodeAddress(v, message.transactionId);
    };
    const lifetime = getAttribute(message, StunAttr.LIFETIME)?.readUInt32BE(0);
    return {
      message,
      code,
      relayed: address(StunAttr.XOR_RELAYED_ADDRESS),
      mapped: address(StunAttr.XOR_MAPPED_ADDRESS),
      lifetime,
      signed: message.integrityAt !== -1 && verifyIntegrity(message, this.key),
    };
  }
}

/** Decodes an ERROR-CODE value; null when malformed (the server only encodes them: errorCodeValue). */
export function decodeErrorCode(value: Buffer): { code: number; reason: string } | null {
  if (value.length < 4) return null;
  const hundreds = (value[2] ?? 0) & 0x07;
  const number = value[3] ?? 0;
  if (hundreds < 3 || hundreds > 6 || number > 99) return null;
  return { code: hundreds * 100 + number, reason: value.subarray(4).toString('utf8') };
}

export const requestedTransportUdp: OutAttribute = {
  type: StunAttr.REQUESTED_TRANSPORT,
  value: Buffer.from([17, 0, 0, 0]),
};

export function lifetimeAttr(seconds: number): OutAttribute {
  return { type: StunAttr.LIFETIME, value: u32Value(seconds) };
}

/** A Send indication to `peer`. */
export function sendIndication(peer: TransportAddress, data: Buffer): Buffer {
  const transactionId = randomBytes(12);
  return encodeStun({
    method: StunMethod.send,
    cls: StunClass.indication,
    transactionId,
    attributes: [
      { type: StunAttr.XOR_PEER_ADDRESS, value: encodeAddress(peer, transactionId) },
      { type: StunAttr.DATA, value: data },
    ],
  });
}

/** A request with XOR-PEER-ADDRESS attributes (CreatePermission, ChannelBind), signed. */
export function peerRequest(
  client: TurnTestClient,
  method: number,
  peers: TransportAddress[],
  extra: OutAttribute[] = [],
): Buffer {
  const transactionId = randomBytes(12);
  const auth = client.auth;
  const attributes: OutAttribute[] = [
    ...extra,
    ...peers.map((p) => ({ type: StunAttr.XOR_PEER_ADDRESS, value: encodeAddress(p, transactionId) })),
    ...(auth === undefined
      ? []
      : [
          { type: StunAttr.USERNAME, value: client.credential.username },
          { type: StunAttr.REALM, value: client.realm },
          { type: StunAttr.NONCE, value: auth.nonce },
        ]),
  ];
  return encodeStun(
    { method, cls: StunClass.request, transactionId, attributes },
    auth === undefined ? {} : { integrityKey: client.key },
  );
}

export function channelNumberAttr(channel: number): OutAttribute {
  const value = Buffer.alloc(4);
  value.writeUInt16BE(channel, 0);
  return { type: StunAttr.CHANNEL_NUMBER, value };
}

/** What a relayed packet that reached a client says: from whom (or which channel), and the data. */
export function readRelayed(bytes: Buffer): { channel?: number; peer?: TransportAddress; data: Buffer } | null {
  const cd = decodeChannelData(bytes);
  if (cd !== null) return { channel: cd.channel, data: cd.data };
  const m = decodeStun(bytes);
  if (m === null || m.method !== StunMethod.data || m.cls !== StunClass.indication) return null;
  const peer = getAttribute(m, StunAttr.XOR_PEER_ADDRESS);
  const data = getAttribute(m, StunAttr.DATA);
  if (peer === undefined || data === undefined) return null;
  const address = decodeAddress(peer, m.transactionId);
  return address === null ? { data } : { peer: address, data };
}

export { encodeChannelData };

/** An in-memory client end: what the server sends lands in `inbox`. */
export class MemoryClient implements TurnClient {
  readonly inbox: Buffer[] = [];
  readonly key: string;

  constructor(
    readonly address: TransportAddress,
    readonly stream = false,
  ) {
    this.key = `m|${address.ip}|${address.port}`;
  }

  send(bytes: Buffer): void {
    this.inbox.push(bytes);
  }

  /** The last message received, removed. */
  take(): Buffer {
    const last = this.inbox.pop();
    if (last === undefined) throw new Error('nothing received');
    this.inbox.length = 0;
    return last;
  }
}
