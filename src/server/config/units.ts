// Units a user types for durations and sizes: parsed from and rendered back to the same text.

const MS_PER = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const BYTES_PER = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 } as const;

/** Node timers fire at once beyond 2^31-1 ms, so no duration may exceed it. */
export const MAX_DURATION_MS = 2 ** 31 - 1;
export const MAX_SIZE_BYTES = 1024 ** 3;
export const MAX_COUNT = 1_000_000_000;

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

/** Parses a plain whole number; undefined when it is not one. */
export function parseCount(text: string): number | undefined {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** Parses 1/true/yes/on and 0/false/no/off; undefined otherwise. */
export function parseBoolean(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off'].includes(t)) return false;
  return undefined;
}

/** Splits a comma list, dropping empty items. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

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
