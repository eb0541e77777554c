import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newCallContext, waitForState } from '../../e2e/helpers/browser.js';
import { ensureWebBuild, REPO, stopChild, waitForListening } from '../../e2e/helpers/server.js';
import { tlsFiles } from '../../helpers/tls.js';
import { cleanupLeftovers, type HomeSpec, type NatMode, requireNetns, type Topology } from '../../helpers/netns.js';
import { concreteRecipe, readCoturnRecipe } from './coturn-recipe.js';

// What every NAT scenario does: HomeCall (and maybe coturn) in the public namespace, one
// Chromium per home inside that home's namespace, both pages on the same `/?session=<uuid>`.

/** Each scenario: namespaces, two browsers, a call; generous for a loaded machine. */
export const SCENARIO = { timeout: 150_000 };
/** Bounds the wait for a call to come back after a network change; the time itself is the benchmark's. */
export const RECOVERY_TIMEOUT_MS = 60_000;

export const home = (name: string, nat: NatMode): HomeSpec => ({ name, nat });

/** Before any scenario: fail clearly without root/nft, remove leftovers, have a web build. */
export function prepareNatTests(): void {
  requireNetns();
  cleanupLeftovers();
  ensureWebBuild();
}

/** coturn per its recipe (deploy/coturn), and HomeCall pointed at it; both in the public namespace. */
export async function withCoturn(s: Scenario): Promise<{ url: string; coturnLog: () => string }> {
  const tls = await tlsFiles();
  const recipe = concreteRecipe(readCoturnRecipe(REPO), {
    secret: randomBytes(32).toString('hex'),
    ip: s.topology.publicIp,
    certFile: tls.certPath,
    keyFile: tls.keyPath,
  });
  const coturn = await s.startCoturn(recipe.config);
  return { url: await s.startHomecall({ env: recipe.env }), coturnLog: coturn.log };
}

/** The HTTPS port inside the public namespace (its own port space, so the real one). */
export const HTTPS_PORT = 443;

export interface Scenario {
  readonly topology: Topology;
  readonly dir: string;
  /** Everything started here, stopped in reverse order by close(). */
  close(): Promise<void>;
  startHomecall(opts?: { args?: readonly string[]; env?: Record<string, string> }): Promise<string>;
  startCoturn(config: readonly string[]): Promise<{ log: () => string }>;
  /** Opens the call link in a browser in each named home; resolves when both pages are active. */
  call(url: string, homes: readonly [string, string], opts?: { timeoutMs?: number }): Promise<[Page, Page]>;
}

const STUN_PROBES = 20;

/** Waits until a STUN binding request to ip:3478 from the public namespace gets an answer. */
async function waitForStun(topology: Topology, ip: string): Promise<void> {
  for (let i = 0; i < STUN_PROBES; i++) {
    try {
      // coturn's own client; it waits forever for an answer, hence the timeout.
      if (topology.exec(topology.publicNs, 'timeout', ['1', 'turnutils_stunclient', ip]).includes('reflexive addr'))
        return;
    } catch {
      // Not answering yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nothing answers STUN on ${ip}:3478`);
}

export function scenario(topology: Topology): Scenario {
  const dir = mkdtempSync(join(tmpdir(), 'homecall-nat-'));
  const cleanups: (() => Promise<void>)[] = [];
  return {
    topology,
    dir,
    async close() {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
      await topology.teardown();
      rmSync(dir, { recursive: true, force: true });
    },
    async startHomecall(opts = {}) {
      const args = [
        '--import',
        'tsx',
        'src/server/main.ts',
        '--host',
        topology.publicIp,
        '--port',
        String(HTTPS_PORT),
        '--state-dir',
        join(dir, 'state'),
        '--token-secret',
        randomBytes(32).toString('hex'),
        ...(opts.args ?? []),
      ];
      const child = topology.spawn(topology.publicNs, process.execPath, args, {
        cwd: REPO,
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => stopChild(child));
      // Generous: tsx compiles the server at start, slow on a loaded machine.
      return waitForListening(child, 90_000);
    },
    async startCoturn(config) {
      const file = join(dir, 'turnserver.conf');
      // Lines only a test needs: where it listens (the public namespace has nothing else),
      // writable paths, logs on stdout, no telnet CLI.
      const testLines = [
        `listening-ip=${topology.publicIp}`,
        `relay-ip=${topology.publicIp}`,
        `pidfile=${join(dir, 'turnserver.pid')}`,
        `userdb=${join(dir, 'turndb')}`,
        'log-file=stdout',
        'simple-log',
        'no-cli',
        // Sessions (allocations, permissions, channels) are logged only when verbose.
        'verbose',
      ];
      writeFileSync(file, `${[...config, ...testLines].join('\n')}\n`);
      // Line-buffered, so its log can be read while it runs.
      const child = topology.spawn(topology.publicNs, 'stdbuf', ['-oL', 'turnserver', '-c', file], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => stopChild(child));
      const lines: string[] = [];
      createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
      const exited = new Promise<never>((_, reject) => {
        child.once('error', (e) => reject(new Error(`coturn could not be started (is coturn installed?): ${e}`)));
        child.once('exit', (code) => reject(new Error(`coturn exited (${code}):\n${lines.join('\n')}`)));
      });
      await Promise.race([exited, waitForStun(topology, topology.publicIp)]);
      return { log: () => lines.join('\n') };
    },
    async call(url, homes, opts = {}) {
      const link = `${url}/?session=${randomUUID()}`;
      const pages: Page[] = [];
      for (const name of homes) {
        const home = topology.homes[name];
        if (!home) throw new Error(`no home ${name}`);
        const browser: Browser = await launchBrowser({ executablePath: topology.chromiumIn(home.clientNs) });
        cleanups.push(() => browser.close());
        const page = await (await newCallContext(browser)).newPage();
        page.on('console', (m) => m.text().startsWith('[homecall]') && console.log(`[home ${name}] ${m.text()}`));
        await page.goto(link, { timeout: opts.timeoutMs ?? 30_000 });
        pages.push(page);
      }
      await Promise.all(pages.map((p) => waitForState(p, 'active', opts.timeoutMs ?? 30_000)));
      return [pages[0]!, pages[1]!];
    },
  };
}
