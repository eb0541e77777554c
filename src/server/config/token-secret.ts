import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_TOKEN_SECRET_BYTES, parseHexSecret } from './kinds.js';
import { ConfigError } from './load.js';
import type { Config } from './settings.js';
import { writeStateFile } from './state-dir.js';

const TOKEN_SECRET_FILE = 'token-secret';

/**
 * The resume-token secret: the configured one, else the one kept in `<stateDir>/token-secret`
 * (32 random bytes made on first start, mode 0600) so tokens survive a restart (rule 7).
 * It is a server secret, not session data.
 */
export function resolveTokenSecret(config: Pick<Config, 'tokenSecret' | 'stateDir'>): Buffer {
  if (config.tokenSecret) return config.tokenSecret;
  const file = join(config.stateDir, TOKEN_SECRET_FILE);
  if (!existsSync(file)) {
    writeStateFile({
      dir: config.stateDir,
      name: TOKEN_SECRET_FILE,
      content: `${randomBytes(MIN_TOKEN_SECRET_BYTES).toString('hex')}\n`,
      mode: 'keep-existing',
    });
  }
  const secret = parseHexSecret(readFileSync(file, 'utf8'));
  if (!secret) {
    throw new ConfigError([
      `${file} does not hold a hex secret of at least ${MIN_TOKEN_SECRET_BYTES} bytes; delete it to make a new one`,
    ]);
  }
  return secret;
}
