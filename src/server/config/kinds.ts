import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  formatDuration,
  formatSize,
  MAX_COUNT,
  MAX_DURATION_MS,
  MAX_SIZE_BYTES,
  parseBoolean,
  parseCount,
  parseDuration,
  parseSize,
  splitList,
} from './units.js';

// What each kind of setting accepts and what it becomes. A parser gets the raw text and
// pushes every problem it finds; it never echoes a secret.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MIN_TOKEN_SECRET_BYTES = 32;

/** The value each kind of setting parses to. */
export interface KindValues {
  port: number;
  /** A port, or undefined (off) when not given. */
  'optional-port': number | undefined;
  host: string | undefined;
  domains: readonly string[];
  'https-url': string;
  email: string | undefined;
  file: string | undefined;
  dir: string;
  boolean: boolean;
  origins: readonly string[];
  'stun-urls': readonly string[];
  'turn-urls': readonly string[];
  secret: string | undefined;
  'redis-url': string | undefined;
  'hex-secret': Buffer | undefined;
  'log-level': LogLevel;
  duration: number;
  size: number;
  count: number;
}
export type Kind = keyof KindValues;

/** One setting's raw text, where it came from, and whether the user gave it at all. */
export interface RawValue {
  readonly text: string;
  /** The flag or variable it came from, for error messages. */
  readonly source: string;
  readonly given: boolean;
  /** The setting's default as typed (what `text` is when not given). */
  readonly default: string | undefined;
}

type Parser<K extends Kind> = (raw: RawValue, problems: string[]) => KindValues[K];

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const bad = (problems: string[], raw: RawValue, what: string, text = raw.text) =>
  problems.push(`${raw.source}: "${text}" ${what}`);

function number(kind: 'duration' | 'size' | 'count'): (raw: RawValue, problems: string[]) => number {
  return (raw, problems) => {
    const parsed =
      kind === 'duration' ? parseDuration(raw.text) : kind === 'size' ? parseSize(raw.text) : parseCount(raw.text);
    const max = kind === 'duration' ? MAX_DURATION_MS : kind === 'size' ? MAX_SIZE_BYTES : MAX_COUNT;
    if (parsed === undefined) {
      const hint =
        kind === 'duration'
          ? 'is not a duration (use e.g. 30s, 500ms, 15m)'
          : kind === 'size'
            ? 'is not a size (use e.g. 65536, 64KiB, 1MiB)'
            : 'is not a whole number';
      bad(problems, raw, hint);
      return Number.NaN;
    }
    if (parsed < 1) bad(problems, raw, 'must be greater than zero');
    else if (parsed > max) {
      bad(problems, raw, `is too large (at most ${kind === 'duration' ? formatDuration(max) : formatSize(max)})`);
    }
    return parsed;
  };
}

function urls(schemes: readonly string[]): (raw: RawValue, problems: string[]) => readonly string[] {
  return (raw, problems) => {
    const list = splitList(raw.text);
    for (const url of list) {
      if (!schemes.some((scheme) => url.toLowerCase().startsWith(`${scheme}:`)) || /\s/.test(url)) {
        bad(problems, raw, `is not a ${schemes.join('/')} URL (e.g. ${schemes[0]}:turn.example.org:3478)`, url);
      }
    }
    return Object.freeze(list);
  };
}

/** The parser of every kind. */
export const PARSERS: { readonly [K in Kind]: Parser<K> } = {
  port: (raw, problems) => parsePort(raw, problems),
  'optional-port': (raw, problems) => (raw.given ? parsePort(raw, problems) : undefined),
  domains: (raw, problems) => {
    const list = splitList(raw.text).map((d) => d.toLowerCase());
    for (const domain of list) {
      if (!HOSTNAME.test(domain) || isIP(domain) !== 0 || !domain.includes('.')) {
        bad(problems, raw, 'is not a domain name (e.g. call.example.org; no IP addresses, no wildcards)', domain);
      }
    }
    return Object.freeze([...new Set(list)]);
  },
  'https-url': (raw, problems) => {
    const text = raw.text.trim();
    try {
      if (new URL(text).protocol === 'https:') return text;
    } catch {
      // reported below
    }
    bad(problems, raw, 'is not an https:// URL');
    return text;
  },
  email: (raw, problems) => {
    if (!raw.given) return undefined;
    const text = raw.text.trim();
    if (!/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(text)) bad(problems, raw, 'is not an e-mail address');
    return text;
  },
  host: (raw, problems) => {
    if (!raw.given) return raw.default;
    const host = raw.text.trim();
    if (isIP(host) === 0 && !HOSTNAME.test(host)) bad(problems, raw, 'is not an IP address or host name');
    return host;
  },
  file: (raw, problems) => {
    if (!raw.given) return undefined;
    if (!isReadableFile(raw.text)) bad(problems, raw, 'is not a readable file');
    return resolve(raw.text);
  },
  dir: (raw) => resolve(raw.text.trim() || (raw.default ?? '.')),
  boolean: (raw, problems) => {
    const value = parseBoolean(raw.text);
    if (value === undefined) bad(problems, raw, 'is not a boolean (use true or false)');
    return value as boolean;
  },
  origins: (raw, problems) => {
    const list = splitList(raw.text);
    for (const origin of list) {
      if (!isExactOrigin(origin)) {
        problems.push(
          `${raw.source}: "${origin}" is not an exact origin (scheme://host[:port], lower case, no path, e.g. https://call.example.org)`,
        );
      }
    }
    return Object.freeze(list);
  },
  'stun-urls': urls(['stun', 'stuns']),
  'turn-urls': urls(['turn', 'turns']),
  secret: (raw) => (raw.given ? raw.text : undefined),
  'redis-url': (raw, problems) => {
    if (!raw.given || raw.text.trim() === '') return undefined;
    // It may carry a password: the message never echoes it.
    if (!isRedisUrl(raw.text.trim())) problems.push(`${raw.source}: is not a redis:// or rediss:// URL`);
    return raw.text.trim();
  },
  'hex-secret': (raw, problems) => {
    if (!raw.given) return undefined;
    const secret = parseHexSecret(raw.text);
    if (!secret) {
      problems.push(
        `${raw.source}: is not hex of at least ${MIN_TOKEN_SECRET_BYTES} bytes (make one with: openssl rand -hex 32)`,
      );
    }
    return secret;
  },
  'log-level': (raw, problems) => {
    const level = raw.text.trim().toLowerCase();
    if (!isLogLevel(level)) bad(problems, raw, `is not one of ${LOG_LEVELS.join(', ')}`);
    return level as LogLevel;
  },
  duration: number('duration'),
  size: number('size'),
  count: number('count'),
};

function parsePort(raw: RawValue, problems: string[]): number {
  const port = parseCount(raw.text);
  if (port === undefined || port > 65535) bad(problems, raw, 'is not a port (0-65535)');
  return port as number;
}

/** Hex of at least MIN_TOKEN_SECRET_BYTES bytes, as a Buffer; undefined when it is not. */
export function parseHexSecret(text: string): Buffer | undefined {
  const t = text.trim();
  if (!/^([0-9a-f]{2})+$/i.test(t) || t.length / 2 < MIN_TOKEN_SECRET_BYTES) return undefined;
  return Buffer.from(t, 'hex');
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

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}
