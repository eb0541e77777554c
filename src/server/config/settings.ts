import { DEFAULT_LIMITS, type Limits } from '../../shared/protocol/limits.js';
import { type Kind, type KindValues, LOG_LEVELS, type LogLevel } from './kinds.js';
import { formatDuration, formatSize } from './units.js';

// Every setting, declared once: its flag, its variable, its kind, its default and its help
// text. --help, the README table and loadConfig() are all derived from SETTINGS.
// A new setting is one entry in SETTINGS plus one field in Config: an entry with `field`
// is parsed by its kind and lands in that field with no other code (load.ts).

/** The server's whole configuration, validated and frozen. */
export interface Config {
  /** TCP port for HTTPS, the web client and /signal; 0 = any free port. */
  readonly port: number;
  /** Address to listen on; undefined = all interfaces. */
  readonly host: string | undefined;
  /** Port of the separate /metrics listener (plain HTTP); undefined = no metrics listener; 0 = any free port. */
  readonly metricsPort: number | undefined;
  /** Address of the /metrics listener (loopback unless told otherwise). */
  readonly metricsHost: string | undefined;
  /** Certificate files; undefined = a self-signed development certificate. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Accept plain HTTP carrying `X-Forwarded-Proto: https` from a TLS-terminating proxy. */
  readonly trustProxy: boolean;
  /** Exact origins allowed for /signal besides the server's own. */
  readonly allowedOrigins: readonly string[];
  readonly stunUrls: readonly string[];
  readonly turnUrls: readonly string[];
  /** Shared secret of coturn's `use-auth-secret`; set whenever turnUrls is non-empty. */
  readonly turnSecret: string | undefined;
  /** TURN credential lifetime, ms (already capped at the session lifetime). */
  readonly turnTtlMs: number;
  /** Run the built-in STUN/TURN server (it steps aside when turnUrls is set). */
  readonly builtinTurn: boolean;
  /** UDP port of the built-in STUN/TURN server; 0 = any free port. */
  readonly turnPort: number;
  /** Host name or IP announced to browsers in ICE URLs; undefined = derived (--host, else this machine's address). */
  readonly publicHost: string | undefined;
  readonly turnAllocationsPerUser: number;
  readonly turnAllocationsPerSession: number;
  readonly turnAllocationsTotal: number;
  readonly turnPermissions: number;
  readonly turnChannels: number;
  /** Relayed bytes per second per allocation. */
  readonly turnBandwidth: number;
  /** Unauthenticated STUN/TURN answers per second per source address. */
  readonly turnAnswersPerSec: number;
  /** Resume-token secret; undefined = the one kept in the state directory (resolveTokenSecret). */
  readonly tokenSecret: Buffer | undefined;
  /** Names to get a certificate for by ACME; empty = no ACME. */
  readonly domains: readonly string[];
  /** The ACME CA's directory URL. */
  readonly acmeDirectory: string;
  /** PEM file of a root to trust for the ACME CA's HTTPS (a test CA); undefined = the system's. */
  readonly acmeCaFile: string | undefined;
  /** Contact for the ACME account (expiry warnings); undefined = none. */
  readonly acmeEmail: string | undefined;
  /** Plain HTTP port (80) for HTTP-01 and redirects to https; undefined = not served. */
  readonly httpPort: number | undefined;
  /** Absolute path of the directory for server secrets and the development certificate. */
  readonly stateDir: string;
  readonly logLevel: LogLevel;
  /** Shared session state for several nodes; undefined = the in-memory registry (one node). */
  readonly redisUrl: string | undefined;
  /** Node liveness through Redis: heartbeat period, silence after which a node is dead, sweep period. */
  readonly redisHeartbeatMs: number;
  readonly redisNodeTimeoutMs: number;
  readonly redisSweepMs: number;
  readonly limits: Limits;
}

/** One declared setting. */
export interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly kind: Kind;
  /** Default as the user would type it; undefined = not set. */
  readonly default: string | undefined;
  /** How the default reads in --help and the README when it is not a plain value. */
  readonly defaultText?: string;
  readonly help: string;
  /** The Config field this setting fills; none = load.ts assembles it from several settings. */
  readonly field?: keyof Config;
  /** For limits: the Limits field this setting fills. */
  readonly limit?: keyof Limits;
  /** A list that may be given several times (`--domain a --domain b`); the values add up. */
  readonly repeatable?: boolean;
  /** A second environment variable read when the first is not set. */
  readonly altEnv?: string;
}

/** Config fields a kind's value can fill. */
type FieldsFor<K extends Kind> = {
  [F in keyof Config]: KindValues[K] extends Config[F] ? F : never;
}[keyof Config];

interface SettingOptions<K extends Kind> {
  flag: string;
  kind: K;
  field?: FieldsFor<K>;
  default?: string;
  defaultText?: string;
  help: string;
  repeatable?: boolean;
  altEnv?: string;
}

function envName(flag: string): string {
  return flag.slice(2).replaceAll('-', '_').toUpperCase();
}

function setting<K extends Kind>(options: SettingOptions<K>): Setting {
  const { flag, kind, field, defaultText, help, repeatable, altEnv } = options;
  return {
    flag,
    env: envName(flag),
    kind,
    default: options.default,
    help,
    ...(defaultText === undefined ? {} : { defaultText }),
    ...(field === undefined ? {} : { field }),
    ...(repeatable === undefined ? {} : { repeatable }),
    ...(altEnv === undefined ? {} : { altEnv }),
  };
}

function limitSetting(limit: keyof Limits, flag: string, kind: 'duration' | 'size' | 'count', help: string): Setting {
  const value = DEFAULT_LIMITS[limit];
  const text = kind === 'duration' ? formatDuration(value) : kind === 'size' ? formatSize(value) : String(value);
  return { flag, env: envName(flag), kind, default: text, help, limit };
}

/** Every setting, declared once. */
export const SETTINGS: readonly Setting[] = Object.freeze([
  setting({
    flag: '--port',
    kind: 'port',
    field: 'port',
    default: '8443',
    help: 'TCP port for HTTPS, the web client and /signal; 0 = any free port',
  }),
  setting({ flag: '--host', kind: 'host', field: 'host', defaultText: 'all interfaces', help: 'address to listen on' }),
  setting({
    flag: '--metrics-port',
    kind: 'optional-port',
    field: 'metricsPort',
    defaultText: 'off',
    help: 'port of a separate plain-HTTP listener for Prometheus /metrics; 0 = any free port',
  }),
  setting({
    flag: '--metrics-host',
    kind: 'host',
    field: 'metricsHost',
    default: '127.0.0.1',
    help: 'address of the /metrics listener; keep it loopback or private',
  }),
  setting({
    flag: '--tls-cert',
    kind: 'file',
    defaultText: 'self-signed',
    help: 'certificate chain (PEM); give with --tls-key',
  }),
  setting({ flag: '--tls-key', kind: 'file', defaultText: 'self-signed', help: 'private key (PEM) of --tls-cert' }),
  setting({
    flag: '--domain',
    kind: 'domains',
    field: 'domains',
    repeatable: true,
    altEnv: 'DOMAINS',
    defaultText: 'none',
    help: "public name(s) to get a certificate for from the ACME CA (repeat, or a comma list; also DOMAINS); you agree to the CA's terms",
  }),
  setting({
    flag: '--acme-directory',
    kind: 'https-url',
    field: 'acmeDirectory',
    default: 'https://acme-v02.api.letsencrypt.org/directory',
    defaultText: "Let's Encrypt",
    help: "ACME directory URL of the CA (Let's Encrypt staging: https://acme-staging-v02.api.letsencrypt.org/directory)",
  }),
  setting({
    flag: '--acme-ca',
    kind: 'file',
    field: 'acmeCaFile',
    defaultText: 'system roots',
    help: "root certificate (PEM) to trust for the CA's own HTTPS, for a test CA",
  }),
  setting({
    flag: '--acme-email',
    kind: 'email',
    field: 'acmeEmail',
    defaultText: 'none',
    help: 'contact address for the ACME account (the CA writes before a certificate expires)',
  }),
  setting({
    flag: '--http-port',
    kind: 'optional-port',
    field: 'httpPort',
    defaultText: 'off',
    help: 'plain HTTP port (80): answers ACME HTTP-01 and redirects to https',
  }),
  setting({
    flag: '--trust-proxy',
    kind: 'boolean',
    field: 'trustProxy',
    default: 'false',
    help: 'accept plain HTTP from a TLS-terminating proxy that sets X-Forwarded-Proto: https',
  }),
  setting({
    flag: '--allowed-origins',
    kind: 'origins',
    field: 'allowedOrigins',
    defaultText: 'same origin only',
    help: 'comma list of extra exact origins allowed for /signal',
  }),
  setting({
    flag: '--stun-urls',
    kind: 'stun-urls',
    field: 'stunUrls',
    defaultText: 'none',
    help: 'comma list of STUN URLs handed to browsers (stun:host:3478)',
  }),
  setting({
    flag: '--turn-urls',
    kind: 'turn-urls',
    field: 'turnUrls',
    defaultText: 'none',
    help: 'comma list of TURN URLs (turn:host:3478?transport=udp); needs --turn-secret',
  }),
  setting({
    flag: '--turn-secret',
    kind: 'secret',
    field: 'turnSecret',
    defaultText: 'none',
    help: "coturn's static-auth-secret, for short-lived TURN credentials",
  }),
  setting({
    flag: '--turn-ttl',
    kind: 'duration',
    field: 'turnTtlMs',
    default: '12h',
    help: 'TURN credential lifetime, never beyond the session lifetime',
  }),
  setting({
    flag: '--builtin-turn',
    kind: 'boolean',
    field: 'builtinTurn',
    default: 'true',
    help: 'run the built-in STUN/TURN server (UDP --turn-port, TCP and TLS on --port); it relays only within a call; ignored when --turn-urls is set',
  }),
  setting({
    flag: '--turn-port',
    kind: 'port',
    field: 'turnPort',
    default: '3478',
    help: 'UDP port of the built-in STUN/TURN server; 0 = any free port',
  }),
  setting({
    flag: '--public-host',
    kind: 'host',
    field: 'publicHost',
    defaultText: "the first --domain, else --host, else this machine's first non-loopback IPv4 address",
    help: 'host name or IP browsers reach this server at; announced in the built-in TURN URLs',
  }),
  setting({
    flag: '--turn-allocations-per-user',
    kind: 'count',
    field: 'turnAllocationsPerUser',
    default: '4',
    help: "built-in TURN: concurrent allocations per participant's credential",
  }),
  setting({
    flag: '--turn-allocations-per-session',
    kind: 'count',
    field: 'turnAllocationsPerSession',
    default: '8',
    help: 'built-in TURN: concurrent allocations per call',
  }),
  setting({
    flag: '--turn-allocations-total',
    kind: 'count',
    field: 'turnAllocationsTotal',
    default: '64',
    help: 'built-in TURN: concurrent allocations per server',
  }),
  setting({
    flag: '--turn-permissions',
    kind: 'count',
    field: 'turnPermissions',
    default: '16',
    help: 'built-in TURN: permissions per allocation',
  }),
  setting({
    flag: '--turn-channels',
    kind: 'count',
    field: 'turnChannels',
    default: '16',
    help: 'built-in TURN: channel bindings per allocation',
  }),
  setting({
    flag: '--turn-bandwidth',
    kind: 'size',
    field: 'turnBandwidth',
    default: '512KiB',
    help: 'built-in TURN: relayed bytes per second per allocation (512KiB = about 4 Mbit/s)',
  }),
  setting({
    flag: '--turn-answers-per-sec',
    kind: 'count',
    field: 'turnAnswersPerSec',
    default: '20',
    help: 'built-in STUN/TURN: unauthenticated answers (Binding, 401) per second per source address',
  }),
  setting({
    flag: '--token-secret',
    kind: 'hex-secret',
    field: 'tokenSecret',
    defaultText: '<state-dir>/token-secret',
    help: 'hex, at least 32 bytes; signs resume tokens',
  }),
  setting({
    flag: '--state-dir',
    kind: 'dir',
    field: 'stateDir',
    default: '.homecall',
    help: 'directory for the token secret and the development certificate',
  }),
  setting({
    flag: '--log-level',
    kind: 'log-level',
    field: 'logLevel',
    default: 'info',
    help: `one of ${LOG_LEVELS.join(', ')}`,
  }),
  setting({
    flag: '--redis-url',
    kind: 'redis-url',
    field: 'redisUrl',
    defaultText: 'none (one node, in memory)',
    help: 'redis://host:6379 shared by several nodes behind a load balancer (README "Several nodes")',
  }),
  setting({
    flag: '--redis-heartbeat',
    kind: 'duration',
    field: 'redisHeartbeatMs',
    default: '1s',
    help: 'with --redis-url: how often this node tells Redis it is alive',
  }),
  setting({
    flag: '--redis-node-timeout',
    kind: 'duration',
    field: 'redisNodeTimeoutMs',
    default: '5s',
    help: "with --redis-url: a node silent this long is dead; its participants' places are held",
  }),
  setting({
    flag: '--redis-sweep',
    kind: 'duration',
    field: 'redisSweepMs',
    default: '500ms',
    help: 'with --redis-url: how often this node sweeps dead nodes and expired holds',
  }),
  limitSetting('maxFrameBytes', '--max-frame-bytes', 'size', 'largest accepted frame'),
  limitSetting('maxFragments', '--max-fragments', 'count', 'fragments per frame'),
  limitSetting('tlsHandshakeMs', '--tls-handshake-timeout', 'duration', 'TLS handshake timeout'),
  limitSetting('headersTimeoutMs', '--headers-timeout', 'duration', 'HTTP headers timeout'),
  limitSetting('joinTimeoutMs', '--join-timeout', 'duration', 'from upgrade to the first valid join'),
  limitSetting('pingIntervalMs', '--ping-interval', 'duration', 'server WebSocket ping interval'),
  limitSetting('dropAfterMs', '--drop-after', 'duration', 'a socket silent this long is dropped'),
  limitSetting('graceMs', '--grace', 'duration', "how long a dropped participant's place is held"),
  limitSetting('queueFrames', '--queue-frames', 'count', 'frames queued for an absent participant'),
  limitSetting('queueBytes', '--queue-bytes', 'size', 'bytes queued for an absent participant'),
  limitSetting('rateBurstFrames', '--rate-burst-frames', 'count', 'rate limiter burst, frames'),
  limitSetting('rateBurstBytes', '--rate-burst-bytes', 'size', 'rate limiter burst, bytes'),
  limitSetting('rateFramesPerSec', '--rate-frames-per-sec', 'count', 'sustained frames per second per socket'),
  limitSetting('rateBytesPerSec', '--rate-bytes-per-sec', 'size', 'sustained bytes per second per socket'),
  limitSetting('maxBacklogBytes', '--max-backlog-bytes', 'size', 'outbound backlog after which a socket is dropped'),
  limitSetting('aloneMs', '--alone-timeout', 'duration', 'a participant alone this long is sent home'),
  limitSetting('sessionLifetimeMs', '--session-lifetime', 'duration', "hard cap on a session's life"),
  limitSetting('socketsPerAddress', '--sockets-per-address', 'count', 'concurrent sockets per client address'),
  limitSetting('maxSockets', '--max-sockets', 'count', 'concurrent sockets per server'),
  limitSetting('maxSessions', '--max-sessions', 'count', 'concurrent sessions per server'),
]);
