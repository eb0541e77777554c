import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The host name the README's recipe uses; the test puts the public test address in its place. */
export const RECIPE_HOST = 'call.example.org';
const SECRET_PLACEHOLDER = 'REPLACE_WITH_A_LONG_RANDOM_SECRET';

export interface CoturnRecipe {
  /** The lines of the README's `/etc/turnserver.conf`, comments dropped. */
  readonly config: readonly string[];
  /** The README's matching HomeCall environment (STUN_URLS, TURN_URLS, TURN_SECRET). */
  readonly env: Readonly<Record<string, string>>;
}

function blockAfter(readme: string, marker: string, lang: string): string {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README: "${marker}" not found (the coturn recipe moved?)`);
  const open = readme.indexOf(`\`\`\`${lang}\n`, at);
  const close = readme.indexOf('\n```', open + 1);
  if (open < 0 || close < 0) throw new Error(`README: no \`\`\`${lang} block after "${marker}"`);
  return readme.slice(open + lang.length + 4, close);
}

/**
 * Reads the coturn recipe out of the README, so the test runs exactly what a newcomer copies:
 * the turnserver.conf block and the HomeCall settings block after it.
 */
export function readCoturnRecipe(repo: string): CoturnRecipe {
  const readme = readFileSync(resolve(repo, 'README.md'), 'utf8');
  const config = blockAfter(readme, '`/etc/turnserver.conf`:', 'ini')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const env: Record<string, string> = {};
  for (const line of blockAfter(readme, 'The matching HomeCall settings', 'sh').split('\n')) {
    const m = /^([A-Z_]+)=('([^']*)'|(\S+))/.exec(line.trim());
    if (m) env[m[1]!] = m[3] ?? m[4]!;
  }
  if (!config.includes('use-auth-secret') || !env.TURN_URLS || !env.TURN_SECRET) {
    throw new Error('README: the coturn recipe no longer has use-auth-secret, TURN_URLS and TURN_SECRET');
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
