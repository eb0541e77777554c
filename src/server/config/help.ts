import { SETTINGS } from './settings.js';

/** The --help text, derived from SETTINGS. */
export function usage(): string {
  const width = Math.max(...SETTINGS.map((s) => s.flag.length)) + 8;
  const lines = SETTINGS.map((s) => {
    const def = s.defaultText ?? s.default ?? '';
    const value = s.kind === 'boolean' ? '' : ' <v>';
    return `  ${`${s.flag}${value}`.padEnd(width)}${s.help} [${s.env}; default: ${def}]`;
  });
  return [
    'Usage: homecall [options]   (or, in the repository: npm start -- [options])',
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
