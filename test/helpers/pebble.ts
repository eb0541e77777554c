import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { httpsGet } from './https-get.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { freePort } from './free-port.js';

/** The name the tests get certificates for; pebble's DNS (pebble-challtestsrv) answers 127.0.0.1. */
export const TEST_DOMAIN = 'call.homecall.test';

/** How long the certificates pebble issues are valid: one hour. */
export const CERTIFICATE_LIFETIME_S = 3600;

export interface Pebble {
  /** The ACME directory URL. */
  readonly directoryUrl: string;
  /** File holding the root of pebble's own HTTPS certificate (for --acme-ca). */
  readonly caFile: string;
  /** PEM of the root that signs the certificates pebble issues (management /roots/0). */
  issuingRoot(): Promise<string>;
  /** Everything pebble and its DNS server printed, for failure messages. */
  output(): string;
  /** Stops both processes (idempotent); the files (caFile) stay until dispose(). */
  stop(): Promise<void>;
  /** Stops and removes the temp folder. */
  dispose(): Promise<void>;
}

export interface PebbleOptions {
  /** The port pebble validates TLS-ALPN-01 on: the HTTPS port of the server under test. */
  tlsPort: number;
  /** The port pebble validates HTTP-01 on: the server's --http-port. */
  httpPort: number;
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string[]): ChildProcess {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.on('error', (error) => log.push(`${cmd}: ${error.message}`));
  proc.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  return proc;
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return httpsGet(url, { ca, timeout: 5000 });
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGKILL');
  await exited;
}

/**
 * Starts Debian's pebble on loopback with pebble-challtestsrv as its DNS server (every name
 * resolves to 127.0.0.1), one-hour certificates, real validation (PEBBLE_VA_ALWAYS_VALID=0) at full speed, and
 * waits (bounded) until its directory answers. Fails with pebble's output when it cannot.
 */
export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'homecall-pebble-'));
  const [acmePort, managementPort, dnsPort, challtestPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  // Pebble's own HTTPS certificate: self-signed, so it is its own root for --acme-ca.
  const pems = await generate([{ name: 'commonName', value: 'pebble' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 2 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const caFile = join(dir, 'pebble-https.pem');
  const keyFile = join(dir, 'pebble-https-key.pem');
  writeFileSync(caFile, pems.cert);
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  const configFile = join(dir, 'pebble-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: caFile,
        privateKey: keyFile,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        // Short-lived certificates (pebble's default is five years), so a renewal is a real one.
        certificateValidityPeriod: CERTIFICATE_LIFETIME_S,
      },
    }),
  );

  const log: string[] = [];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_VA_ALWAYS_VALID: '0',
    // Deterministic runs: no injected bad nonces, and every order validates afresh.
    PEBBLE_WFE_NONCEREJECT: '0',
    PEBBLE_AUTHZREUSE: '0',
  };
  const dns = spawnLogged(
    'pebble-challtestsrv',
    [
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${challtestPort}`,
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ],
    env,
    log,
  );
  const pebble = spawnLogged(
    'pebble',
    ['-config', configFile, '-dnsserver', `127.0.0.1:${dnsPort}`, '-strict=false'],
    env,
    log,
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([stopProcess(pebble), stopProcess(dns)]);
  };
  const dispose = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const ca = pems.cert;
  try {
    for (let attempt = 0; ; attempt++) {
      if (pebble.exitCode !== null || dns.exitCode !== null) throw new Error('pebble or pebble-challtestsrv exited');
      const answer = await get(directoryUrl, ca).catch(() => undefined);
      if (answer?.status === 200) break;
      if (attempt >= 150) throw new Error('pebble did not answer its directory within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await dispose();
    throw new Error(
      `cannot start pebble (Debian packages pebble, which has pebble-challtestsrv): ${(error as Error).message}\n${log.join('')}`,
    );
  }
  return {
    directoryUrl,
    caFile,
    issuingRoot: async () => {
      const answer = await get(`https://127.0.0.1:${managementPort}/roots/0`, ca);
      if (answer.status !== 200) throw new Error(`pebble /roots/0 answered ${answer.status}`);
      return answer.body;
    },
    output: () => log.join(''),
    stop,
    dispose,
  };
}
