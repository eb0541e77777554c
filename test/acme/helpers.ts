import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { App } from '../../src/server/app.js';
import type { Clock } from '../../src/shared/clock.js';
import { httpsGet } from '../helpers/https-get.js';
import { collectLogs } from '../helpers/server.js';

export interface AcmeApp {
  app: App;
  logs: string[];
  /** The parsed log lines whose message contains `text`. */
  logged(text: string): Array<Record<string, unknown>>;
}

/** Starts the real app in this process (loadConfig + startApp) with the given flags. */
export async function startAcmeApp(flags: string[], clock: Clock): Promise<AcmeApp> {
  const { loadConfig } = await import('../../src/server/config/index.js');
  const { startApp } = await import('../../src/server/app.js');
  const { logs, logDestination } = collectLogs();
  const app = await startApp(
    loadConfig(['--host', '127.0.0.1', '--log-level', 'debug', '--builtin-turn', 'false', ...flags], {}),
    {
      logDestination,
      certificateClock: clock,
    },
  );
  const logged = (text: string) =>
    logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => String(e.msg).includes(text));
  return { app, logs, logged };
}

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'homecall-acme-state-'));
}

export interface ServedCertificate {
  serial: string;
  /** True when the chain the server sent verifies against `ca` for `servername`. */
  authorized: boolean;
  authorizationError: string | undefined;
  issuer: string;
}

/** Connects like a browser (SNI = servername) and reports what certificate the server sent. */
export function servedCertificate(port: number, servername: string, ca?: string): Promise<ServedCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...(ca === undefined ? {} : { ca }) },
      () => {
        const cert = socket.getPeerCertificate();
        resolve({
          serial: String(cert.serialNumber).toLowerCase(),
          authorized: socket.authorized,
          authorizationError: socket.authorizationError?.toString(),
          issuer: String(cert.issuer.CN ?? ''),
        });
        socket.end();
      },
    );
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS connect timed out')));
    socket.on('error', reject);
  });
}

/** GET over https without verifying (the server may still have its temporary certificate). */
export function getInsecure(port: number, path: string): Promise<{ status: number; body: string }> {
  return httpsGet(`https://127.0.0.1:${port}${path}`, { rejectUnauthorized: false, timeout: 10_000, agent: false });
}

/** Polls `check` every 100 ms until it returns true; fails after `ms` (a bound, not an assertion on time). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
