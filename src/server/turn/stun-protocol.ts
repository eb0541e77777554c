/**
 * The STUN and TURN wire details (RFC 8489, RFC 8656), in one place: every number the codec
 * and the server use is named here and nowhere else.
 */

/** Bytes 4-7 of every STUN message since RFC 5389. */
export const MAGIC_COOKIE = 0x2112a442;
/** FINGERPRINT is CRC-32 of the message up to it, XORed with this ("STUN"). */
export const FINGERPRINT_XOR = 0x5354554e;
export const HEADER_BYTES = 20;
export const TRANSACTION_ID_BYTES = 12;
/** The length of a MESSAGE-INTEGRITY value (HMAC-SHA1). */
export const INTEGRITY_BYTES = 20;

export const StunClass = {
  request: 0,
  indication: 1,
  success: 2,
  error: 3,
} as const;
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

export const StunMethod = {
  binding: 0x001,
  allocate: 0x003,
  refresh: 0x004,
  send: 0x006,
  data: 0x007,
  createPermission: 0x008,
  channelBind: 0x009,
} as const;
export type StunMethod = (typeof StunMethod)[keyof typeof StunMethod];

export const StunAttr = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  CHANNEL_NUMBER: 0x000c,
  LIFETIME: 0x000d,
  XOR_PEER_ADDRESS: 0x0012,
  DATA: 0x0013,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_ADDRESS_FAMILY: 0x0017,
  EVEN_PORT: 0x0018,
  REQUESTED_TRANSPORT: 0x0019,
  DONT_FRAGMENT: 0x001a,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
  ICE_CONTROLLED: 0x8029,
  ICE_CONTROLLING: 0x802a,
} as const;
export type StunAttr = (typeof StunAttr)[keyof typeof StunAttr];

/**
 * Comprehension-required attributes (type < 0x8000) this server understands. Any other one in a
 * request is answered with 420 and listed in UNKNOWN-ATTRIBUTES; comprehension-optional ones
 * (0x8000 and up, e.g. Chrome's 0xFF05 TURN logging id) are ignored.
 */
export const KNOWN_REQUIRED_ATTRIBUTES: ReadonlySet<number> = new Set([
  StunAttr.MAPPED_ADDRESS,
  StunAttr.USERNAME,
  StunAttr.MESSAGE_INTEGRITY,
  StunAttr.ERROR_CODE,
  StunAttr.UNKNOWN_ATTRIBUTES,
  StunAttr.CHANNEL_NUMBER,
  StunAttr.LIFETIME,
  StunAttr.XOR_PEER_ADDRESS,
  StunAttr.DATA,
  StunAttr.REALM,
  StunAttr.NONCE,
  StunAttr.XOR_RELAYED_ADDRESS,
  StunAttr.REQUESTED_ADDRESS_FAMILY,
  StunAttr.EVEN_PORT,
  StunAttr.REQUESTED_TRANSPORT,
  StunAttr.DONT_FRAGMENT,
  StunAttr.XOR_MAPPED_ADDRESS,
  StunAttr.PRIORITY,
  StunAttr.USE_CANDIDATE,
]);

/** The first attribute type that a receiver may ignore when it does not know it. */
export const COMPREHENSION_OPTIONAL_MIN = 0x8000;

export const StunError = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  unknownAttribute: 420,
  allocationMismatch: 437,
  staleNonce: 438,
  addressFamilyNotSupported: 440,
  wrongCredentials: 441,
  unsupportedTransport: 442,
  peerAddressFamilyMismatch: 443,
  allocationQuotaReached: 486,
  serverError: 500,
  insufficientCapacity: 508,
} as const;
export type StunError = (typeof StunError)[keyof typeof StunError];

/** Reason phrases: short on purpose, every byte of a reply counts against amplification. */
export const STUN_ERROR_REASONS: Readonly<Record<StunError, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  420: 'Unknown Attribute',
  437: 'Allocation Mismatch',
  438: 'Stale Nonce',
  440: 'Address Family not Supported',
  441: 'Wrong Credentials',
  442: 'Unsupported Transport Protocol',
  443: 'Peer Address Family Mismatch',
  486: 'Allocation Quota Reached',
  500: 'Server Error',
  508: 'Insufficient Capacity',
};

/** Address family numbers inside address attributes and REQUESTED-ADDRESS-FAMILY. */
export const AddressFamily = { ipv4: 0x01, ipv6: 0x02 } as const;

/** REQUESTED-TRANSPORT protocol numbers (IANA): TURN allocations relay UDP only. */
export const TransportProtocol = { udp: 17 } as const;

/**
 * Channel numbers a client may bind: RFC 5766's 0x4000-0x7FFF, which coturn's own clients
 * still use (RFC 8656 §12 narrowed it to 0x4FFF for browsers' RTP demultiplexing, a client-side
 * concern; Chrome starts at 0x4000).
 */
export const ChannelRange = { min: 0x4000, max: 0x7fff } as const;
export const CHANNEL_HEADER_BYTES = 4;

/** RFC 8656 defaults and caps, in seconds. */
export const TurnTimes = {
  defaultLifetimeSec: 600,
  maxLifetimeSec: 3600,
  permissionSec: 300,
  channelSec: 600,
} as const;

/** Virtual relayed ports come from the dynamic range, never the listen port. */
export const RelayPortRange = { min: 49152, max: 65535 } as const;
