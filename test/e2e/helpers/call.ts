import { after, afterEach, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  type CallContextOptions,
  type LaunchOptions,
  launchBrowser,
  newCallContext,
  SLOW,
  waitForState,
} from './browser.js';
import { ensureWebBuild, type RunningServer, startServer } from './server.js';

export { SLOW };

export interface PageOptions extends CallContextOptions {
  /** Another browser than the suite's (e.g. one that refuses the camera). */
  on?: Browser;
  /** A script the page runs before the app (a test-only recorder). */
  initScript?: string;
}

/**
 * The browser contexts of one test file, each with the patient timeouts a busy machine needs;
 * they are closed together, after each test or at the end of the file.
 */
export class PagePool {
  private readonly contexts: BrowserContext[] = [];

  constructor(
    private readonly browser: () => Browser,
    private readonly timeoutMs = SLOW,
  ) {}

  async context(opts: PageOptions = {}): Promise<BrowserContext> {
    const { on, initScript, ...contextOpts } = opts;
    const context = this.track(await newCallContext(on ?? this.browser(), contextOpts));
    if (initScript) await context.addInitScript(initScript);
    return context;
  }

  /** Takes a context made elsewhere (e.g. with another user agent) into the pool. */
  track(context: BrowserContext): BrowserContext {
    this.contexts.push(context);
    context.setDefaultNavigationTimeout(this.timeoutMs);
    context.setDefaultTimeout(this.timeoutMs);
    return context;
  }

  async page(opts: PageOptions = {}): Promise<Page> {
    return (await this.context(opts)).newPage();
  }

  /** How many contexts this pool has opened so far (a label for a page's console lines). */
  get opened(): number {
    return this.contexts.length;
  }

  async closeAll(): Promise<void> {
    for (const c of this.contexts.splice(0)) await c.close().catch(() => {});
  }
}

export interface BrowserSuite {
  /** The server of the file (a new one after `restartServer`). */
  readonly server: RunningServer;
  readonly browser: Browser;
  readonly pages: PagePool;
  /** Stops the server (if running) and starts a new one on the same port with the same token secret. */
  restartServer(): Promise<void>;
  /** Stops the server; `restartServer` brings it back on the same port. */
  stopServer(): Promise<void>;
}

/**
 * One real server and one Chromium for a whole test file, with their `before`/`after` hooks
 * registered: the two-browser set-up the e2e and ui tests share. `closeAfterEach` closes each
 * test's pages after it, so a failure cannot hold sockets that the next test needs.
 */
export function useBrowserSuite(opts: { launch?: LaunchOptions; closeAfterEach?: boolean } = {}): BrowserSuite {
  let server: RunningServer | undefined;
  let running = false;
  let browser: Browser | undefined;
  const pages = new PagePool(() => need(browser, 'browser'));

  before(async () => {
    ensureWebBuild();
    server = await startServer();
    running = true;
    browser = await launchBrowser(opts.launch);
  });
  if (opts.closeAfterEach) afterEach(() => pages.closeAll());
  after(async () => {
    await pages.closeAll();
    await browser?.close();
    if (running) await server?.stop();
  });

  return {
    get server() {
      return need(server, 'server');
    },
    get browser() {
      return need(browser, 'browser');
    },
    pages,
    async stopServer() {
      const current = need(server, 'server');
      running = false;
      await current.stop();
    },
    async restartServer() {
      const current = need(server, 'server');
      if (running) await this.stopServer();
      server = await startServer({ port: current.port, secret: current.secret });
      running = true;
    },
  };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the suite's ${what} is not started (used outside a test?)`);
  return value;
}

/**
 * Alice opens the home page at `origin`, presses «Связать» and waits for the other person;
 * returns the invite link as her screen shows it.
 */
export async function makeLink(alice: Page, origin: string, timeoutMs = SLOW): Promise<string> {
  await alice.goto(`${origin}/`);
  await waitForState(alice, 'ready', timeoutMs);
  await alice.getByTestId('cta-connect').click();
  await waitForState(alice, 'waiting', timeoutMs);
  return (await alice.getByTestId('invite-url').textContent())?.trim() ?? '';
}

/** Bob opens the invite link; resolves when both pages are in the call. */
export async function answerLink(bob: Page, link: string, alice: Page, timeoutMs = SLOW): Promise<void> {
  await bob.goto(link);
  await Promise.all([waitForState(alice, 'active', timeoutMs), waitForState(bob, 'active', timeoutMs)]);
}
