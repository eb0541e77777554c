import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Network namespaces for tests that must cross real NATs (or lose packets for real), all on
// one machine and never reaching outside the namespaces the test makes:
//
//   <id>-ca (browser a) 192.168.1.2 ── <id>-na NAT (lan 192.168.1.1 | wan 198.51.100.11) ─┐
//   <id>-cb (browser b) 192.168.2.2 ── <id>-nb NAT (lan 192.168.2.1 | wan 198.51.100.12) ─┼─ br0 in <id>-pub
//                                                                  198.51.100.1 (servers) ┘
//   <id>-pub default route ── <id>-void (forwards nothing)
//
// The "internet" is one bridge in the public namespace on TEST-NET-2 (198.51.100.0/24). No
// namespace has a link to the host, and the public namespace's default route leads into a
// namespace that forwards nothing: a packet for any other address vanishes, as it would on
// the internet, instead of failing at once with ENETUNREACH (which makes coturn close the
// whole allocation). Interfaces are created inside their namespaces, so their names never
// collide with the host's or another test's; namespace names carry the prefix, the pid and a
// counter, so a later run can tell leftovers of dead processes from a live run's.

/** The prefix of this project's NAT tests; other tests pass their own. */
export const DEFAULT_PREFIX = 'hcN-';
const PUBLIC_NET = '198.51.100';
export const PUBLIC_IP = `${PUBLIC_NET}.1`;
const VOID_PUB_IP = '192.0.2.1';
const VOID_IP = '192.0.2.2';
/** Commands that set up or tear down the topology; none of them should take long. */
const COMMAND_TIMEOUT_MS = 15_000;
const KILL_GRACE_MS = 3_000;

/**
 * - `symmetric`: `masquerade fully-random`, a new public port per destination (only a relay helps);
 * - `cone`: `masquerade persistent`, the port is kept whatever the destination (STUN suffices).
 * Both filter inbound like a home router: only replies to what went out get in.
 */
export type NatMode = 'symmetric' | 'cone';

export interface HomeSpec {
  /** Short name: a letter or two ("a", "b"). */
  readonly name: string;
  readonly nat: NatMode;
  /** Drop every UDP packet going out of this home (a network that lets only TCP out). */
  readonly blockUdp?: boolean;
}

export interface Home {
  readonly name: string;
  /** Where the home's device (the browser) runs. */
  readonly clientNs: string;
  /** The home router. */
  readonly natNs: string;
  readonly lanIp: string;
  /** The home's current public address. */
  wanIp: string;
}

export interface Topology {
  readonly publicNs: string;
  readonly publicIp: string;
  readonly homes: Readonly<Record<string, Home>>;
  /** Runs a command in a namespace to completion; throws with its stderr if it fails. */
  exec(ns: string, command: string, args: readonly string[], input?: string): string;
  /** Starts a long-lived process in a namespace; it is stopped by teardown() at the latest. */
  spawn(ns: string, command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** An executable that runs /usr/bin/chromium in the namespace, for playwright's `executablePath`. */
  chromiumIn(ns: string): string;
  /** Gives the home a new public address (the old one is gone: its mappings die with it). */
  moveHome(name: string): string;
  /** Starts or stops dropping the home's outgoing UDP. */
  setUdpBlocked(name: string, blocked: boolean): void;
  /** Stops every process started here and deletes every namespace; safe to call twice. */
  teardown(): Promise<void>;
}

interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(command: string, args: readonly string[], input?: string): CommandResult {
  const r = spawnSync(command, args, { input, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error } : {}) };
}

function must(command: string, args: readonly string[], input?: string): string {
  const r = run(command, args, input);
  if (r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr.trim() || `exit ${r.status}`;
    throw new Error(`netns: \`${command} ${args.join(' ')}\` failed: ${why}`);
  }
  return r.stdout;
}

/**
 * Fails with a clear message when this machine cannot make namespaces with NAT: not root, or
 * iproute2/nftables missing. Never a reason to skip: CI runs as root with both installed.
 */
export function requireNetns(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('these tests create network namespaces and must run as root (CI does)');
  if (run('ip', ['-V']).status !== 0) problems.push('`ip` (Debian package iproute2) is not installed');
  if (run('nft', ['--version']).status !== 0) problems.push('`nft` (Debian package nftables) is not installed');
  if (problems.length > 0) {
    throw new Error(
      `network namespace tests cannot run here:\n  - ${problems.join('\n  - ')}\n` +
        'scripts/test.sh installs the packages (apt-get install iproute2 nftables) when run as root.',
    );
  }
}

function listNamespaces(): string[] {
  return must('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills whatever still runs in the namespace, then deletes it. */
function deleteNamespace(ns: string): void {
  const pids = run('ip', ['netns', 'pids', ns])
    .stdout.split('\n')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  run('ip', ['netns', 'del', ns]);
}

/** Deletes namespaces with this prefix left behind by processes that are no longer running. */
export function cleanupLeftovers(prefix: string = DEFAULT_PREFIX): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    if (!ns.startsWith(prefix)) continue;
    const pid = Number.parseInt(ns.slice(prefix.length).split('-')[0] ?? '', 36);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    deleteNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/** The home router's ruleset: NAT, inbound filtering, and an (empty) chain for blocking UDP. */
function natRuleset(mode: NatMode): string {
  const nat = mode === 'symmetric' ? 'masquerade fully-random' : 'masquerade persistent';
  // `fwd` is an nft keyword, so the forward chain is named `guard`.
  return `table ip home {
  chain post { type nat hook postrouting priority srcnat; policy accept; oifname "wan" ${nat}; }
  chain egress { }
  chain guard {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" jump egress
    iifname "lan" oifname "wan" accept
  }
  chain inbound {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" drop
  }
}
`;
}

let topologies = 0;

/** Builds the topology above with one home per spec; on any failure it removes what it made. */
export function createTopology(opts: { homes: readonly HomeSpec[]; prefix?: string }): Topology {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  topologies += 1;
  const id = `${prefix}${process.pid.toString(36)}-${topologies}`;
  const namespaces: string[] = [];
  const children = new Set<ChildProcess>();
  const tmp = mkdtempSync(join(tmpdir(), 'homecall-netns-'));
  let nextWan = 50;
  let tornDown = false;

  const exec = (ns: string, command: string, args: readonly string[], input?: string) =>
    must('ip', ['netns', 'exec', ns, command, ...args], input);
  const ip = (ns: string, ...args: string[]) => must('ip', ['-n', ns, ...args]);
  const sysctl = (ns: string, key: string, value: string) => exec(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
  const addNs = (suffix: string) => {
    const ns = `${id}-${suffix}`;
    must('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    // IPv4 only (the scenarios' addresses are all IPv4): without this every veth gets an IPv6
    // link-local address a second or two after it comes up (duplicate address detection), and
    // a Chromium that started meanwhile aborts its navigation with ERR_NETWORK_CHANGED.
    for (const conf of ['all', 'default']) sysctl(ns, `net.ipv6.conf.${conf}.disable_ipv6`, '1');
    ip(ns, 'link', 'set', 'lo', 'up');
    return ns;
  };

  const teardownSync = () => {
    if (tornDown) return;
    tornDown = true;
    for (const child of children) child.kill('SIGKILL');
    for (const ns of namespaces.reverse()) deleteNamespace(ns);
    rmSync(tmp, { recursive: true, force: true });
    process.off('exit', teardownSync);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  // A test killed by Ctrl-C or by the runner still removes its namespaces.
  const onSignal = (signal: NodeJS.Signals) => {
    teardownSync();
    process.kill(process.pid, signal);
  };
  process.once('exit', teardownSync);
  for (const signal of SIGNALS) process.once(signal, onSignal);

  const homes: Record<string, Home> = {};
  let publicNs = '';
  try {
    publicNs = addNs('pub');
    const voidNs = addNs('void');
    sysctl(publicNs, 'net.ipv4.ip_forward', '0');
    sysctl(voidNs, 'net.ipv4.ip_forward', '0');
    ip(publicNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip(publicNs, 'addr', 'add', `${PUBLIC_IP}/24`, 'dev', 'br0');
    ip(publicNs, 'link', 'set', 'br0', 'up');
    ip(publicNs, 'link', 'add', 'void', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', voidNs);
    ip(publicNs, 'addr', 'add', `${VOID_PUB_IP}/30`, 'dev', 'void');
    ip(publicNs, 'link', 'set', 'void', 'up');
    ip(voidNs, 'addr', 'add', `${VOID_IP}/30`, 'dev', 'eth0');
    ip(voidNs, 'link', 'set', 'eth0', 'up');
    ip(publicNs, 'route', 'add', 'default', 'via', VOID_IP);

    opts.homes.forEach((spec, i) => {
      if (!/^[a-z0-9]{1,4}$/.test(spec.name) || homes[spec.name]) throw new Error(`netns: bad home name ${spec.name}`);
      const natNs = addNs(`n${spec.name}`);
      const clientNs = addNs(`c${spec.name}`);
      const lan = `192.168.${i + 1}`;
      const wanIp = `${PUBLIC_NET}.${11 + i}`;
      const port = `h-${spec.name}`;
      ip(natNs, 'link', 'add', 'wan', 'type', 'veth', 'peer', 'name', port, 'netns', publicNs);
      ip(publicNs, 'link', 'set', port, 'master', 'br0');
      ip(publicNs, 'link', 'set', port, 'up');
      ip(natNs, 'addr', 'add', `${wanIp}/24`, 'dev', 'wan');
      ip(natNs, 'link', 'set', 'wan', 'up');
      ip(natNs, 'route', 'add', 'default', 'via', PUBLIC_IP);
      ip(natNs, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', clientNs);
      ip(natNs, 'addr', 'add', `${lan}.1/24`, 'dev', 'lan');
      ip(natNs, 'link', 'set', 'lan', 'up');
      ip(clientNs, 'addr', 'add', `${lan}.2/24`, 'dev', 'eth0');
      ip(clientNs, 'link', 'set', 'eth0', 'up');
      ip(clientNs, 'route', 'add', 'default', 'via', `${lan}.1`);
      sysctl(natNs, 'net.ipv4.ip_forward', '1');
      exec(natNs, 'nft', ['-f', '-'], natRuleset(spec.nat));
      homes[spec.name] = { name: spec.name, clientNs, natNs, lanIp: `${lan}.2`, wanIp };
      if (spec.blockUdp) setUdpBlocked(spec.name, true);
    });
  } catch (error) {
    teardownSync();
    throw error;
  }

  function home(name: string): Home {
    const h = homes[name];
    if (!h) throw new Error(`netns: no home named ${name}`);
    return h;
  }

  function setUdpBlocked(name: string, blocked: boolean): void {
    const { natNs } = home(name);
    exec(natNs, 'nft', ['flush', 'chain', 'ip', 'home', 'egress']);
    if (blocked) exec(natNs, 'nft', ['add', 'rule', 'ip', 'home', 'egress', 'meta', 'l4proto', 'udp', 'drop']);
  }

  return {
    publicNs,
    publicIp: PUBLIC_IP,
    homes,
    exec,
    spawn(ns, command, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', ns, command, ...args], options);
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    chromiumIn(ns) {
      const wrapper = join(tmp, `chromium-${ns}`);
      writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${ns}' /usr/bin/chromium "$@"\n`);
      chmodSync(wrapper, 0o755);
      return wrapper;
    },
    moveHome(name) {
      const h = home(name);
      const next = `${PUBLIC_NET}.${nextWan++}`;
      // The old address goes first: added first, the new one would be a secondary address,
      // and deleting the primary would take the secondaries with it (promote_secondaries off).
      ip(h.natNs, 'addr', 'del', `${h.wanIp}/24`, 'dev', 'wan');
      ip(h.natNs, 'addr', 'add', `${next}/24`, 'dev', 'wan');
      ip(h.natNs, 'route', 'replace', 'default', 'via', PUBLIC_IP);
      h.wanIp = next;
      return next;
    },
    setUdpBlocked,
    async teardown() {
      if (tornDown) return;
      // Give processes a moment to exit cleanly (browsers, servers) before the SIGKILL.
      const running = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
      for (const child of running) child.kill('SIGTERM');
      await Promise.race([
        Promise.all(running.map((c) => new Promise((r) => c.once('exit', r)))),
        new Promise((r) => setTimeout(r, KILL_GRACE_MS)),
      ]);
      teardownSync();
    },
  };
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Names of this process's live namespaces with the prefix (for tests of the teardown). */
export function namespacesOfThisProcess(prefix: string = DEFAULT_PREFIX): string[] {
  const mine = `${prefix}${process.pid.toString(36)}-`;
  return readdirSync('/run/netns').filter((ns) => ns.startsWith(mine));
}
