import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The host name the recipe (deploy/coturn) uses; the test puts the public test address in its place. */
export const RECIPE_HOST = 'call.example.org';
const SECRET_PLACEHOLDER = 'REPLACE_WITH_A_LONG_RANDOM_SECRET';

export interface CoturnRecipe {
  /** The lines of deploy/coturn/turnserver.conf, comments dropped. */
  readonly config: readonly string[];
  /** Its matching HomeCall environment, deploy/coturn/homecall.env (STUN_URLS, TURN_URLS, TURN_SECRET). */
  readonly env: Readonly<Record<string, string>>;
}

/** The lines of a deploy file that are not blank and not comments. */
function settingLines(repo: string, file: string): string[] {
  return readFileSync(resolve(repo, file), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Reads the coturn recipe the README points to, so the test runs exactly the files a newcomer
 * copies: deploy/coturn/turnserver.conf and HomeCall's settings, deploy/coturn/homecall.env.
 */
export function readCoturnRecipe(repo: string): CoturnRecipe {
  const config = settingLines(repo, 'deploy/coturn/turnserver.conf');
  const env: Record<string, string> = {};
  for (const line of settingLines(repo, 'deploy/coturn/homecall.env')) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line);
    if (!m) throw new Error(`deploy/coturn/homecall.env: not a KEY=value line: ${line}`);
    env[m[1]!] = m[2]!;
  }
  if (!config.includes('use-auth-secret') || !env.TURN_URLS || !env.TURN_SECRET) {
    throw new Error('deploy/coturn: the recipe no longer has use-auth-secret, TURN_URLS and TURN_SECRET');
  }
  return { config, env };
}

/**
 * The recipe made concrete for the test: the real secret in place of the placeholder, the
 * public test address in place of the host name, the test's certificate in place of
 * Let's Encrypt's. Every other line stays as the README has it.
 */
export function concreteRecipe(
  recipe: CoturnRecipe,
  opts: { secret: string; ip: string; certFile: string; keyFile: string },
): CoturnRecipe {
  const config = recipe.config.map((line) => {
    if (line.startsWith('cert=')) return `cert=${opts.certFile}`;
    if (line.startsWith('pkey=')) return `pkey=${opts.keyFile}`;
    return line.replaceAll(SECRET_PLACEHOLDER, opts.secret);
  });
  const env = Object.fromEntries(
    Object.entries(recipe.env).map(([k, v]) => [
      k,
      v.replaceAll(SECRET_PLACEHOLDER, opts.secret).replaceAll(RECIPE_HOST, opts.ip),
    ]),
  );
  return { config, env };
}
