/** Part 5, "browser": the second page opens the link -> first decoded remote frame on both sides. */
import { runBrowser } from '../browser/measure.js';
import { ensureWebBuild } from '../lib/build.js';
import { startServer, type TargetName } from '../lib/targets.js';
import type { ServerEnv } from '../lib/with-server.js';

export type BrowserResult = Awaited<ReturnType<typeof runBrowser>>;

export interface BrowserPartOptions {
  env: ServerEnv;
  targets: TargetName[];
  runs: number;
  noBuild: boolean;
  log: (msg: string) => void;
}

export interface BrowserPartResult {
  browser: BrowserResult | null;
  /** Why something was not measured, keyed as in the results' `meta.unavailable`. */
  unavailable: Record<string, string>;
}

/**
 * Builds the web client if needed and measures; a failure (no /usr/bin/chromium) is reported,
 * not thrown, so it does not cost the other parts' results. runBrowser stops its servers and
 * the browser in its own `finally`.
 */
export async function measureBrowser(options: BrowserPartOptions): Promise<BrowserPartResult> {
  const { env, log } = options;
  const unavailable: Record<string, string> = {};
  const webMissing = options.targets.includes('homecall') ? ensureWebBuild({ noBuild: options.noBuild, log }) : null;
  if (webMissing !== null) unavailable.browserHomecall = webMissing;
  try {
    const browser = await runBrowser({
      runs: options.runs,
      targets: options.targets.filter((t) => t !== 'homecall' || webMissing === null),
      start: (t, label) => startServer(t, { cert: env.cert, workDir: env.workDir, label }),
      log,
    });
    return { browser, unavailable };
  } catch (e) {
    unavailable.browser = (e as Error).message.split('\n')[0] ?? String(e);
    log(`browser part failed: ${unavailable.browser}`);
    return { browser: null, unavailable };
  }
}
