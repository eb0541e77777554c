import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Topology } from '../../helpers/netns.js';

// reliability.md X3's lossy, slow path on one home's LAN link, done in user space by
// delay-line.py (tc netem does it in the kernel, but kernels without sch_netem, CI's among them,
// have nothing else that delays packets). Inside the home router:
//
//   browser eth0 ── veth ── lanv (raw, no address) ⇄ delay-line.py ⇄ tap "lan" (the router's LAN address)
//
// The tap takes the old interface's name, so the router's NAT and filter rules (which match
// "lan") are unchanged; both directions cross the delay line.

const SCRIPT = join(import.meta.dirname, 'delay-line.py');
/** Bounds the wait for the delay line to open its tap (a python start on a loaded machine). */
const READY_TIMEOUT_MS = 30_000;

export interface DelayLineOptions {
  /** Drop probability per frame, 0..1 (ARP is never dropped). */
  loss: number;
  delayMs: number;
  jitterMs: number;
}

/** What the delay line did, from its own count. */
export interface DelayLineStats {
  toTap: number;
  toPort: number;
  dropped: number;
  arp: number;
  failed: number;
}

export interface DelayLine {
  /** Stops it (the home loses its LAN) and returns its count. */
  stop(): Promise<DelayLineStats>;
}

/** Puts a delay line on the home's LAN link; resolves once traffic crosses it. */
export async function impairLan(t: Topology, name: string, opts: DelayLineOptions): Promise<DelayLine> {
  const home = t.homes[name];
  if (!home) throw new Error(`delay line: no home named ${name}`);
  const { natNs, clientNs } = home;
  const address = /inet (\S+)/.exec(t.exec(natNs, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'lan']))?.[1];
  if (!address) throw new Error(`delay line: the router of home ${name} has no LAN address`);
  const ip = (ns: string, ...args: string[]) => t.exec(ns, 'ip', args);
  const sysctl = (key: string, value: string) => t.exec(natNs, 'sysctl', ['-q', '-w', `${key}=${value}`]);

  // The old LAN interface becomes a raw port: no address, a new hardware address, and nothing
  // it receives is answered (ARP), delivered or forwarded by the router's own stack, so the
  // only way across is through the delay line.
  ip(natNs, 'link', 'set', 'lan', 'down');
  ip(natNs, 'addr', 'flush', 'dev', 'lan');
  ip(natNs, 'link', 'set', 'lan', 'name', 'lanv');
  ip(
    natNs,
    'link',
    'set',
    'lanv',
    'address',
    `02:${randomBytes(5)
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1:')}`,
  );
  sysctl('net.ipv4.conf.lanv.arp_ignore', '8');
  sysctl('net.ipv4.conf.lanv.forwarding', '0');
  sysctl('net.ipv6.conf.lanv.disable_ipv6', '1');
  t.exec(
    natNs,
    'nft',
    ['-f', '-'],
    `table inet delayguard {
  chain in { type filter hook input priority -20; policy accept; iifname "lanv" drop; }
  chain through { type filter hook forward priority -20; policy accept; iifname "lanv" drop; }
}
`,
  );
  ip(natNs, 'link', 'set', 'lanv', 'promisc', 'on', 'up');
  // Between namespaces the kernel leaves checksums to "hardware" and sends super-frames bigger
  // than the MTU for it to cut up; the delay line passes frames on as they are, so the browser's
  // side must send finished ones.
  try {
    t.exec(clientNs, 'ethtool', ['-K', 'eth0', 'tx', 'off', 'tso', 'off', 'gso', 'off']);
  } catch (err) {
    throw new Error("X3's delay line needs ethtool (Debian package ethtool) to turn off the LAN's offloads", {
      cause: err,
    });
  }
  ip(clientNs, 'neigh', 'flush', 'dev', 'eth0');

  const child = t.spawn(natNs, 'python3', [
    SCRIPT,
    ...['--port', 'lanv', '--tap', 'lan', '--loss', String(opts.loss)],
    ...['--delay-ms', String(opts.delayMs), '--jitter-ms', String(opts.jitterMs)],
  ]);
  const stderr: string[] = [];
  child.stderr?.on('data', (d) => stderr.push(String(d)));
  const lines = createInterface({ input: child.stdout! });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) =>
      reject(
        new Error(
          `X3's delay line (test/netns/helpers/delay-line.py, needs python3: Debian package python3) ${why}: ${stderr.join('')}`,
        ),
      );
    const timer = setTimeout(() => fail(`did not start within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(`could not start (${err.message})`);
    });
    void exited.then(() => {
      clearTimeout(timer);
      fail('exited');
    });
    lines.on('line', (line) => {
      output.push(line);
      if (line !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
  });
  ip(natNs, 'addr', 'add', address, 'dev', 'lan');
  sysctl('net.ipv4.conf.lan.forwarding', '1');
  ip(natNs, 'link', 'set', 'lan', 'up');

  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      const last = output.at(-1) ?? '';
      try {
        return JSON.parse(last) as DelayLineStats;
      } catch {
        throw new Error(
          `the delay line ended without its count (last line ${JSON.stringify(last)}): ${stderr.join('')}`,
        );
      }
    },
  };
}
