// The configuration module's one import path. To add a setting, edit settings.ts only: one
// entry in SETTINGS and one field in Config.
export { LOG_LEVELS, type LogLevel } from './kinds.js';
export { settingsTable, usage } from './help.js';
export { ConfigError, loadConfig, wantsHelp } from './load.js';
export { type Config, SETTINGS, type Setting } from './settings.js';
export { writeStateFile } from './state-dir.js';
export { resolveTokenSecret } from './token-secret.js';
export { formatDuration, formatSize, parseDuration, parseSize } from './units.js';
