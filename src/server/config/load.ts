import type { Limits } from '../../shared/protocol/limits.js';
import { PARSERS, type RawValue } from './kinds.js';
import { type Config, SETTINGS, type Setting } from './settings.js';
import { formatDuration, formatSize, parseBoolean } from './units.js';

// The only code that reads flags and environment variables (style.md §5, §7): once, at start.

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

const BY_FLAG = new Map(SETTINGS.map((s) => [s.flag, s]));

/** True when argv asks for the usage text. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
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
    const earlier = raw.get(s);
    if (earlier && s.repeatable) text = `${earlier.text},${text}`;
    else if (earlier) problems.push(`${flag} is given more than once`);
    raw.set(s, { text, source: flag });
  }
  for (const s of SETTINGS) {
    for (const name of s.altEnv === undefined ? [s.env] : [s.env, s.altEnv]) {
      const value = env[name];
      if (!raw.has(s) && value !== undefined && value.trim() !== '') raw.set(s, { text: value, source: name });
    }
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
  const rawOf = (s: Setting): RawValue => {
    const r = raw.get(s);
    return r
      ? { ...r, given: true, default: s.default }
      : { text: s.default ?? '', source: s.flag, given: false, default: s.default };
  };
  const parse = (s: Setting): unknown => PARSERS[s.kind](rawOf(s), problems);
  const byFlag = (flag: string): Setting => {
    const s = BY_FLAG.get(flag);
    if (!s) throw new Error(`bug: no setting ${flag}`);
    return s;
  };

  // Every setting with a field: parsed by its kind, in declaration order.
  const fields: Record<string, unknown> = {};
  const limitValues: Record<string, number> = {};
  for (const s of SETTINGS) {
    if (s.field !== undefined) fields[s.field] = parse(s);
    else if (s.limit !== undefined) limitValues[s.limit] = parse(s) as number;
  }
  const limits = Object.freeze(limitValues) as unknown as Limits;

  // TLS material: both files or neither.
  const cert = byFlag('--tls-cert');
  const key = byFlag('--tls-key');
  let tls: Config['tls'];
  if (rawOf(cert).given !== rawOf(key).given) {
    problems.push('--tls-cert and --tls-key (TLS_CERT, TLS_KEY) must be given together');
  } else if (rawOf(cert).given) {
    const certFile = parse(cert) as string;
    const keyFile = parse(key) as string;
    tls = Object.freeze({ certFile, keyFile });
  }

  const config = { ...fields, tls, limits } as Config;
  crossCheck(config, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    ...config,
    // The name the certificate is for is the name browsers reach us at.
    publicHost: config.publicHost ?? config.domains[0],
    // A TURN credential never outlives the session it was minted for.
    turnTtlMs: Math.min(config.turnTtlMs, limits.sessionLifetimeMs),
  });
}

/** Checks between settings, only between values that parsed. */
function crossCheck(config: Config, problems: string[]): void {
  const { limits } = config;
  // Never echo a secret in an error message.
  if (config.turnUrls.length > 0 && config.turnSecret === undefined) {
    problems.push('--turn-urls (TURN_URLS) needs --turn-secret (TURN_SECRET): the static-auth-secret of coturn');
  }
  if (config.turnUrls.length === 0 && config.turnSecret !== undefined) {
    problems.push('--turn-secret (TURN_SECRET) is set but --turn-urls (TURN_URLS) is not');
  }
  if (config.domains.length > 0 && config.tls !== undefined) {
    problems.push('--domain (DOMAIN) gets its own certificate: give it or --tls-cert/--tls-key, not both');
  }
  if (config.httpPort !== undefined && config.httpPort === config.port) {
    problems.push(`--http-port (${config.httpPort}) must differ from --port`);
  }
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
  if (
    both(config.redisNodeTimeoutMs, config.redisHeartbeatMs) &&
    config.redisNodeTimeoutMs < config.redisHeartbeatMs * 2
  ) {
    problems.push(
      `--redis-node-timeout (${formatDuration(config.redisNodeTimeoutMs)}) must be at least twice --redis-heartbeat (${formatDuration(config.redisHeartbeatMs)}), or a live node looks dead`,
    );
  }
  if (both(limits.maxSockets, limits.maxSessions) && limits.maxSockets < limits.maxSessions) {
    problems.push(`--max-sockets (${limits.maxSockets}) must be at least --max-sessions (${limits.maxSessions})`);
  }
}
