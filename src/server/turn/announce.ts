import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

/** What the built-in TURN server tells browsers: the host in its URLs and the IPv4 of relayed addresses. */
export interface Announced {
  /** Host name or IP literal for `turn:` URLs (the browser resolves it as it resolved the page). */
  readonly host: string;
  /** IPv4 carried by every relayed address; only a key between the two peers, never routed to. */
  readonly relayIp: string;
}

export interface AnnounceOptions {
  /** --public-host, when set. */
  publicHost: string | undefined;
  /** --host, when set. */
  listenHost: string | undefined;
  /** The machine's interfaces; os.networkInterfaces() by default. */
  interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Resolves a host name to IPv4 (the system resolver by default); never a third-party service. */
  resolve4?: (host: string) => Promise<string | undefined>;
}

const LOOKUP_BUDGET_MS = 2000;
const PRIVATE_V4 = [/^10\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./];

/**
 * Decides what to announce, from the settings and this machine only (never by asking a third
 * party, e.g. a public STUN server): --public-host, else a specific --host, else the first
 * non-loopback IPv4 of the machine (public ones first). The relayed IPv4 is that host when it
 * is an IPv4 literal, else what the host resolves to, else the machine's address.
 */
export async function announce(options: AnnounceOptions): Promise<Announced> {
  const machine = machineIPv4(options.interfaces ?? networkInterfaces());
  const listen = options.listenHost;
  const specific = listen !== undefined && listen !== '0.0.0.0' && listen !== '::' ? listen : undefined;
  const host = options.publicHost ?? specific ?? machine ?? '127.0.0.1';
  if (isIPv4(host)) return { host, relayIp: host };
  const resolved = isIPv6(host) ? undefined : await (options.resolve4 ?? systemResolve4)(host).catch(() => undefined);
  return { host, relayIp: resolved ?? machine ?? '127.0.0.1' };
}

/** The `turn:` URLs: UDP on the TURN port, then (when given) TCP and TLS on the HTTPS port. */
export function turnUrls(host: string, udpPort: number, httpsPort?: number): string[] {
  const h = isIPv6(host) ? `[${host}]` : host;
  const urls = [`turn:${h}:${udpPort}?transport=udp`];
  if (httpsPort !== undefined)
    urls.push(`turn:${h}:${httpsPort}?transport=tcp`, `turns:${h}:${httpsPort}?transport=tcp`);
  return urls;
}

function machineIPv4(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string | undefined {
  const all = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => i.family === 'IPv4' && !i.internal && !i.address.startsWith('169.254.'))
    .map((i) => i.address);
  return all.find((ip) => !PRIVATE_V4.some((re) => re.test(ip))) ?? all[0];
}

async function systemResolve4(host: string): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, LOOKUP_BUDGET_MS, undefined);
    timer.unref();
  });
  const found = lookup(host, { family: 4 }).then((r) => r.address);
  return Promise.race([found, timeout]).finally(() => clearTimeout(timer));
}
