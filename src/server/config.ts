import { randomBytes } from 'node:crypto';
import {
  accessSync,
  existsSync,
  constants as fsConstants,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { DEFAULT_LIMITS, type Limits } from '../shared/protocol/limits.js';

// The only module that reads flags and environment variables (style.md §5, §7). Every
// setting is declared once in SETTINGS below: its flag, its variable, its default and its
// help text; usage(), the README table and loadConfig() are all derived from it.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The server's whole configuration, validated and frozen. */
export interface Config {
  /** TCP port for HTTPS, the web client and /signal; 0 = any free port. */
  readonly port: number;
  /** Address to listen on; undefined = all interfaces. */
  readonly host: string | undefined;
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
  /** Resume-token secret; undefined = the one kept in the state directory (resolveTokenSecret). */
  readonly tokenSecret: Buffer | undefined;
  /** Absolute path of the directory for server secrets and the development certificate. */
  readonly stateDir: string;
  readonly logLevel: LogLevel;
  readonly limits: Limits;
}

/** Every problem with the flags and environment, in one error. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nRun with --help to see every setting.`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Kind =
  | 'port'
  | 'host'
  | 'file'
  | 'dir'
  | 'boolean'
  | 'origins'
  | 'stun-urls'
  | 'turn-urls'
  | 'secret'
  | 'hex-secret'
  | 'log-level'
  | 'duration'
  | 'size'
  | 'count';

interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly kind: Kind;
  /** Default as the user would type it; undefined = not set. */
  readonly default: string | undefined;
  /** How the default reads in --help and the README when it is not a plain value. */
  readonly defaultText?: string;
  readonly help: string;
  /** For limits: the Limits field this setting fills. */
  readonly limit?: keyof Limits;
}

const MS_PER = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const BYTES_PER = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 } as const;
/** Node timers fire at once beyond 2^31-1 ms, so no duration may exceed it. */
const MAX_DURATION_MS = 2 ** 31 - 1;
const MAX_SIZE_BYTES = 1024 ** 3;
const MAX_COUNT = 1_000_000_000;
const MIN_TOKEN_SECRET_BYTES = 32;
const TOKEN_SECRET_FILE = 'token-secret';

/** Renders milliseconds the way a user would type them (30s, 15m, 12h). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', MS_PER.h],
    ['m', MS_PER.m],
    ['s', MS_PER.s],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Renders bytes the way a user would type them (64KiB, 1MiB). */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', BYTES_PER.gib],
    ['MiB', BYTES_PER.mib],
    ['KiB', BYTES_PER.kib],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

function limitSetting(limit: keyof Limits, flag: string, kind: 'duration' | 'size' | 'count', help: string): Setting {
  const value = DEFAULT_LIMITS[limit];
  const text = kind === 'duration' ? formatDuration(value) : kind === 'size' ? formatSize(value) : String(value);
  return { flag, env: envName(flag), kind, default: text, help, limit };
}

function envName(flag: string): string {
  return flag.slice(2).replaceAll('-', '_').toUpperCase();
}

function setting(flag: string, kind: Kind, def: string | undefined, help: string, defaultText?: string): Setting {
  return defaultText === undefined
    ? { flag, env: envName(flag), kind, default: def, help }
    : { flag, env: envName(flag), kind, default: def, help, defaultText };
}

/** Every setting, declared once. */
export const SETTINGS: readonly Setting[] = Object.freeze([
  setting('--port', 'port', '8443', 'TCP port for HTTPS, the web client and /signal; 0 = any free port'),
  setting('--host', 'host', undefined, 'address to listen on', 'all interfaces'),
  setting('--tls-cert', 'file', undefined, 'certificate chain (PEM); give with --tls-key', 'self-signed'),
  setting('--tls-key', 'file', undefined, 'private key (PEM) of --tls-cert', 'self-signed'),
  setting(
    '--trust-proxy',
    'boolean',
    'false',
    'accept plain HTTP from a TLS-terminating proxy that sets X-Forwarded-Proto: https',
  ),
  setting(
    '--allowed-origins',
    'origins',
    undefined,
    'comma list of extra exact origins allowed for /signal',
    'same origin only',
  ),
  setting('--stun-urls', 'stun-urls', undefined, 'comma list of STUN URLs handed to browsers (stun:host:3478)', 'none'),
  setting(
    '--turn-urls',
    'turn-urls',
    undefined,
    'comma list of TURN URLs (turn:host:3478?transport=udp); needs --turn-secret',
    'none',
  ),
  setting(
    '--turn-secret',
    'secret',
    undefined,
    "coturn's static-auth-secret, for short-lived TURN credentials",
    'none',
  ),
  setting('--turn-ttl', 'duration', '12h', 'TURN credential lifetime, never beyond the session lifetime'),
  setting(
    '--token-secret',
    'hex-secret',
    undefined,
    'hex, at least 32 bytes; signs resume tokens',
    '<state-dir>/token-secret',
  ),
  setting('--state-dir', 'dir', '.homecall', 'directory for the token secret and the development certificate'),
  setting('--log-level', 'log-level', 'info', `one of ${LOG_LEVELS.join(', ')}`),
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

const BY_FLAG = new Map(SETTINGS.map((s) => [s.flag, s]));

/** Parses `500ms`, `30s`, `15m`, `1h` or plain milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m?.[1]) return undefined;
  const unit = (m[2] ?? 'ms') as keyof typeof MS_PER;
  if (m[2] === undefined && m[1].includes('.')) return undefined;
  const ms = Math.round(Number(m[1]) * MS_PER[unit]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Parses plain bytes or `64KiB`, `1MiB`, `1GiB`; undefined when it is not one. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)\s*(b|kib|mib|gib)?$/i.exec(text.trim());
  if (!m?.[1]) return undefined;
  const unit = (m[2]?.toLowerCase() ?? 'b') as keyof typeof BYTES_PER;
  const bytes = Number(m[1]) * BYTES_PER[unit];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

function parseCount(text: string): number | undefined {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

function parseBoolean(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off'].includes(t)) return false;
  return undefined;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** True when argv asks for the usage text. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

/** The --help text, derived from SETTINGS. */
export function usage(): string {
  const width = Math.max(...SETTINGS.map((s) => s.flag.length)) + 8;
  const lines = SETTINGS.map((s) => {
    const def = s.defaultText ?? s.default ?? '';
    const value = s.kind === 'boolean' ? '' : ' <v>';
    return `  ${`${s.flag}${value}`.padEnd(width)}${s.help} [${s.env}; default: ${def}]`;
  });
  return [
    'Usage: npm start -- [options]   (or: node dist/server/main.js [options])',
    '',
    'Every option is also an environment variable (shown in brackets); a flag beats the variable.',
    'Durations: 500ms, 30s, 15m, 1h or plain milliseconds. Sizes: plain bytes, 64KiB, 1MiB.',
    '',
    ...lines,
    `  ${'--help'.padEnd(width)}print this text`,
  ].join('\n');
}

/** The README's settings table (Markdown), derived from SETTINGS. */
export function settingsTable(): string {
  const rows = SETTINGS.map((s) => {
    const def = s.defaultText === undefined ? `\`${s.default ?? ''}\`` : s.defaultText.replaceAll('<', '&lt;');
    return `| \`${s.flag}\` | \`${s.env}\` | ${def} | ${s.help.replaceAll('|', '\\|')} |`;
  });
  return ['| flag | environment | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Raw string values with where each came from (a flag or a variable), flags first. */
function collectRaw(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  problems: string[],
): Map<Setting, { text: string; source: string }> {
  const raw = new Map<Setting, { text: string; source: string }>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') continue;
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}" (options look like --port 8443)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const s = BY_FLAG.get(flag);
    if (!s) {
      problems.push(`unknown option ${flag}`);
      continue;
    }
    let text: string | undefined;
    if (eq !== -1) text = arg.slice(eq + 1);
    else if (s.kind === 'boolean') {
      // `--trust-proxy` alone means true; `--trust-proxy false` is accepted too.
      const next = argv[i + 1];
      if (next !== undefined && parseBoolean(next) !== undefined) {
        text = next;
        i++;
      } else text = 'true';
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        problems.push(`${flag} needs a value`);
        continue;
      }
      text = next;
      i++;
    }
    if (raw.has(s)) problems.push(`${flag} is given more than once`);
    raw.set(s, { text, source: flag });
  }
  for (const s of SETTINGS) {
    const value = env[s.env];
    if (!raw.has(s) && value !== undefined && value.trim() !== '') raw.set(s, { text: value, source: s.env });
  }
  return raw;
}

/**
 * Reads the command line and the environment once. Throws one ConfigError listing every
 * problem; returns a frozen Config otherwise.
 */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const raw = collectRaw(argv, env, problems);

  const value = (flag: string): { text: string; source: string; given: boolean } => {
    const s = BY_FLAG.get(flag);
    if (!s) throw new Error(`bug: no setting ${flag}`);
    const r = raw.get(s);
    return r ? { ...r, given: true } : { text: s.default ?? '', source: flag, given: false };
  };
  const bad = (source: string, text: string, what: string) => problems.push(`${source}: "${text}" ${what}`);

  const num = (flag: string, kind: 'duration' | 'size' | 'count'): number => {
    const { text, source } = value(flag);
    const parsed = kind === 'duration' ? parseDuration(text) : kind === 'size' ? parseSize(text) : parseCount(text);
    const max = kind === 'duration' ? MAX_DURATION_MS : kind === 'size' ? MAX_SIZE_BYTES : MAX_COUNT;
    if (parsed === undefined) {
      const hint =
        kind === 'duration'
          ? 'is not a duration (use e.g. 30s, 500ms, 15m)'
          : kind === 'size'
            ? 'is not a size (use e.g. 65536, 64KiB, 1MiB)'
            : 'is not a whole number';
      bad(source, text, hint);
      return Number.NaN;
    }
    if (parsed < 1) bad(source, text, 'must be greater than zero');
    else if (parsed > max) {
      bad(source, text, `is too large (at most ${kind === 'duration' ? formatDuration(max) : formatSize(max)})`);
    }
    return parsed;
  };

  // Where to listen.
  const portValue = value('--port');
  const port = parseCount(portValue.text);
  if (port === undefined || port > 65535) bad(portValue.source, portValue.text, 'is not a port (0-65535)');

  const hostValue = value('--host');
  const host = hostValue.given ? hostValue.text.trim() : undefined;
  if (host !== undefined && isIP(host) === 0 && !HOSTNAME.test(host)) {
    bad(hostValue.source, hostValue.text, 'is not an IP address or host name');
  }

  // TLS material: both files or neither.
  const cert = value('--tls-cert');
  const key = value('--tls-key');
  let tls: Config['tls'];
  if (cert.given !== key.given) {
    problems.push('--tls-cert and --tls-key (TLS_CERT, TLS_KEY) must be given together');
  } else if (cert.given) {
    for (const f of [cert, key]) {
      if (!isReadableFile(f.text)) bad(f.source, f.text, 'is not a readable file');
    }
    tls = { certFile: resolve(cert.text), keyFile: resolve(key.text) };
  }

  const trustValue = value('--trust-proxy');
  const trustProxy = parseBoolean(trustValue.text);
  if (trustProxy === undefined) bad(trustValue.source, trustValue.text, 'is not a boolean (use true or false)');

  const originsValue = value('--allowed-origins');
  const allowedOrigins = splitList(originsValue.text);
  for (const origin of allowedOrigins) {
    if (!isExactOrigin(origin)) {
      problems.push(
        `${originsValue.source}: "${origin}" is not an exact origin (scheme://host[:port], lower case, no path, e.g. https://call.example.org)`,
      );
    }
  }

  const urls = (flag: string, schemes: readonly string[]): string[] => {
    const { text, source } = value(flag);
    const list = splitList(text);
    for (const url of list) {
      if (!schemes.some((scheme) => url.toLowerCase().startsWith(`${scheme}:`)) || /\s/.test(url)) {
        bad(source, url, `is not a ${schemes.join('/')} URL (e.g. ${schemes[0]}:turn.example.org:3478)`);
      }
    }
    return list;
  };
  const stunUrls = urls('--stun-urls', ['stun', 'stuns']);
  const turnUrls = urls('--turn-urls', ['turn', 'turns']);

  // Never echo a secret in an error message.
  const turnSecretValue = value('--turn-secret');
  const turnSecret = turnSecretValue.given ? turnSecretValue.text : undefined;
  if (turnUrls.length > 0 && turnSecret === undefined) {
    problems.push('--turn-urls (TURN_URLS) needs --turn-secret (TURN_SECRET): the static-auth-secret of coturn');
  }
  if (turnUrls.length === 0 && turnSecret !== undefined) {
    problems.push('--turn-secret (TURN_SECRET) is set but --turn-urls (TURN_URLS) is not');
  }
  const turnTtlMs = num('--turn-ttl', 'duration');

  const tokenValue = value('--token-secret');
  let tokenSecret: Buffer | undefined;
  if (tokenValue.given) {
    tokenSecret = parseHexSecret(tokenValue.text);
    if (!tokenSecret) {
      problems.push(
        `${tokenValue.source}: is not hex of at least ${MIN_TOKEN_SECRET_BYTES} bytes (make one with: openssl rand -hex 32)`,
      );
    }
  }

  const stateValue = value('--state-dir');
  const stateDir = resolve(stateValue.text.trim() || '.homecall');

  const levelValue = value('--log-level');
  const logLevel = levelValue.text.trim().toLowerCase();
  if (!isLogLevel(logLevel)) bad(levelValue.source, levelValue.text, `is not one of ${LOG_LEVELS.join(', ')}`);

  const limitEntries = SETTINGS.filter((s) => s.limit !== undefined).map((s) => [
    s.limit as keyof Limits,
    num(s.flag, s.kind as 'duration' | 'size' | 'count'),
  ]);
  const limits = Object.freeze(Object.fromEntries(limitEntries)) as unknown as Limits;

  // Cross-checks, only between values that parsed.
  const both = (a: number, b: number) => Number.isFinite(a) && Number.isFinite(b);
  if (both(limits.dropAfterMs, limits.pingIntervalMs) && limits.dropAfterMs <= limits.pingIntervalMs) {
    problems.push(
      `--drop-after (${formatDuration(limits.dropAfterMs)}) must be longer than --ping-interval (${formatDuration(limits.pingIntervalMs)}), or every socket is dropped between two pings`,
    );
  }
  if (both(limits.rateBurstBytes, limits.maxFrameBytes) && limits.rateBurstBytes < limits.maxFrameBytes) {
    problems.push(
      `--rate-burst-bytes (${formatSize(limits.rateBurstBytes)}) must be at least --max-frame-bytes (${formatSize(limits.maxFrameBytes)}), or a frame of the allowed size can never pass`,
    );
  }
  if (both(limits.queueBytes, limits.maxFrameBytes) && limits.queueBytes < limits.maxFrameBytes) {
    problems.push(
      `--queue-bytes (${formatSize(limits.queueBytes)}) must be at least --max-frame-bytes (${formatSize(limits.maxFrameBytes)}), or a large offer can never wait for the other participant`,
    );
  }
  if (both(limits.maxSockets, limits.maxSessions) && limits.maxSockets < limits.maxSessions) {
    problems.push(`--max-sockets (${limits.maxSockets}) must be at least --max-sessions (${limits.maxSessions})`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    port: port as number,
    host,
    tls: tls && Object.freeze(tls),
    trustProxy: trustProxy as boolean,
    allowedOrigins: Object.freeze(allowedOrigins),
    stunUrls: Object.freeze(stunUrls),
    turnUrls: Object.freeze(turnUrls),
    turnSecret,
    // A TURN credential never outlives the session it was minted for.
    turnTtlMs: Math.min(turnTtlMs, limits.sessionLifetimeMs),
    tokenSecret,
    stateDir,
    logLevel: logLevel as LogLevel,
    limits,
  });
}

function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

function isReadableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isExactOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
  } catch {
    return false;
  }
}

function parseHexSecret(text: string): Buffer | undefined {
  const t = text.trim();
  if (!/^([0-9a-f]{2})+$/i.test(t) || t.length / 2 < MIN_TOKEN_SECRET_BYTES) return undefined;
  return Buffer.from(t, 'hex');
}

/**
 * The resume-token secret: the configured one, else the one kept in `<stateDir>/token-secret`
 * (32 random bytes made on first start, mode 0600) so tokens survive a restart (rule 7).
 * It is a server secret, not session data.
 */
export function resolveTokenSecret(config: Pick<Config, 'tokenSecret' | 'stateDir'>): Buffer {
  if (config.tokenSecret) return config.tokenSecret;
  const file = join(config.stateDir, TOKEN_SECRET_FILE);
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    // Written aside, then linked into place: link() fails when the file exists, so two servers
    // starting at once agree on one secret, and nobody ever reads a half-written file.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, `${randomBytes(MIN_TOKEN_SECRET_BYTES).toString('hex')}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const secret = parseHexSecret(readFileSync(file, 'utf8'));
  if (!secret) {
    throw new ConfigError([
      `${file} does not hold a hex secret of at least ${MIN_TOKEN_SECRET_BYTES} bytes; delete it to make a new one`,
    ]);
  }
  return secret;
}
