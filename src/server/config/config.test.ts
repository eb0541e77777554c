import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_LIMITS } from '../../shared/protocol/limits.js';
import {
  ConfigError,
  loadConfig,
  parseDuration,
  parseSize,
  resolveTokenSecret,
  SETTINGS,
  settingsTable,
  usage,
  wantsHelp,
} from './index.js';

const SECRET_HEX = 'ab'.repeat(32);

function problemsOf(argv: string[], env: Record<string, string | undefined> = {}): readonly string[] {
  try {
    loadConfig(argv, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected loadConfig to throw');
}

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'homecall-config-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('defaults: port 8443 on all interfaces, no ICE servers, protocol.md limits, frozen', () => {
  const config = loadConfig([], {});
  assert.equal(config.port, 8443);
  assert.equal(config.host, undefined);
  assert.equal(config.tls, undefined);
  assert.equal(config.trustProxy, false);
  assert.deepEqual(config.allowedOrigins, []);
  assert.deepEqual(config.stunUrls, []);
  assert.deepEqual(config.turnUrls, []);
  assert.equal(config.turnSecret, undefined);
  assert.equal(config.turnTtlMs, 12 * 3600_000);
  assert.equal(config.tokenSecret, undefined);
  assert.equal(config.stateDir, resolve('.homecall'));
  assert.equal(config.logLevel, 'info');
  assert.deepEqual(config.limits, DEFAULT_LIMITS);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.limits));
  assert.ok(Object.isFrozen(config.allowedOrigins));
});

test('every Limits field has exactly one flag and one env var', () => {
  const limitKeys = SETTINGS.flatMap((s) => (s.limit ? [s.limit] : [])).sort();
  assert.deepEqual(limitKeys, Object.keys(DEFAULT_LIMITS).sort());
  const flags = SETTINGS.map((s) => s.flag);
  assert.equal(new Set(flags).size, flags.length);
  for (const s of SETTINGS) assert.equal(s.env, s.flag.slice(2).replaceAll('-', '_').toUpperCase());
});

test('flags beat env vars; --flag=value and --flag value both work', () => {
  const config = loadConfig(['--port', '9000', '--grace=45s', '--log-level', 'debug'], {
    PORT: '7000',
    GRACE: '10s',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    QUEUE_FRAMES: '64',
  });
  assert.equal(config.port, 9000);
  assert.equal(config.limits.graceMs, 45_000);
  assert.equal(config.logLevel, 'debug');
  assert.equal(config.host, '127.0.0.1', 'env applies when no flag');
  assert.equal(config.limits.queueFrames, 64);
});

test('port 0 means any free port; empty env vars count as unset', () => {
  assert.equal(loadConfig(['--port', '0'], {}).port, 0);
  assert.equal(loadConfig([], { PORT: '' }).port, 8443);
});

test('booleans: bare flag, explicit value, env', () => {
  assert.equal(loadConfig(['--trust-proxy'], {}).trustProxy, true);
  assert.equal(loadConfig(['--trust-proxy', 'false'], {}).trustProxy, false);
  assert.equal(loadConfig(['--trust-proxy=no'], { TRUST_PROXY: 'true' }).trustProxy, false);
  assert.equal(loadConfig([], { TRUST_PROXY: '1' }).trustProxy, true);
});

test('durations: 500ms, 30s, 15m, 1h and plain milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('15m'), 900_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('250'), 250);
  for (const bad of ['abc', '', '10 parsecs', '-5s', '1.5', '1d', 's', '1e3']) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
});

test('sizes: plain bytes, KiB, MiB', () => {
  assert.equal(parseSize('65536'), 65536);
  assert.equal(parseSize('64KiB'), 65536);
  assert.equal(parseSize('1MiB'), 1024 * 1024);
  assert.equal(parseSize('2mib'), 2 * 1024 * 1024);
  for (const bad of ['lots', '1.5KiB', '-1', '64KB', '']) assert.equal(parseSize(bad), undefined, bad);
});

test('every kind of bad value is reported together, in one ConfigError', () => {
  const problems = problemsOf(
    [
      '--port',
      '70000',
      '--grace',
      'abc',
      '--queue-bytes',
      'lots',
      '--max-sessions',
      '0',
      '--trust-proxy=maybe',
      '--allowed-origins',
      'https://ok.example.org,https://call.example.org/,https://UP.example.org',
      '--stun-urls',
      'http://stun.example.org',
      '--turn-urls',
      'turn:turn.example.org:3478',
      '--token-secret',
      'not-hex-and-secret-value',
      '--log-level',
      'loud',
      '--host',
      'bad host!',
      '--frobnicate',
      'stray',
      '--tls-cert',
      '/nonexistent/cert.pem',
    ],
    { JOIN_TIMEOUT: '10 parsecs' },
  );
  const text = problems.join('\n');
  const expected = [
    '--port: "70000" is not a port',
    '--grace: "abc" is not a duration (use e.g. 30s, 500ms, 15m)',
    'JOIN_TIMEOUT: "10 parsecs" is not a duration',
    '--queue-bytes: "lots" is not a size',
    '--max-sessions: "0" must be greater than zero',
    '--trust-proxy: "maybe" is not a boolean',
    '"https://call.example.org/" is not an exact origin',
    '"https://UP.example.org" is not an exact origin',
    '--stun-urls: "http://stun.example.org" is not a stun/stuns URL',
    '--turn-urls (TURN_URLS) needs --turn-secret',
    '--token-secret: is not hex of at least 32 bytes',
    '--log-level: "loud" is not one of',
    '--host: "bad host!" is not an IP address or host name',
    'unknown option --frobnicate',
    'unexpected argument "stray"',
    '--tls-cert and --tls-key (TLS_CERT, TLS_KEY) must be given together',
  ];
  for (const fragment of expected) assert.ok(text.includes(fragment), `missing: ${fragment}\n--- got:\n${text}`);
  assert.ok(!text.includes('not-hex-and-secret-value'), 'a secret is never echoed');
  assert.ok(!text.includes('https://ok.example.org"'), 'a good origin is not reported');
});

test('ConfigError message lists each problem on its own line', () => {
  const error = new ConfigError(['a is bad', 'b is bad']);
  assert.match(error.message, /- a is bad\n {2}- b is bad/);
});

test('missing values, repeated flags', () => {
  const problems = problemsOf(['--port', '1', '--port', '2', '--host']);
  assert.ok(problems.includes('--port is given more than once'));
  assert.ok(problems.includes('--host needs a value'));
  assert.ok(problemsOf(['--grace', '--port', '1']).includes('--grace needs a value'));
});

test('cross-checks: drop-after > ping-interval, burst and queue fit one frame, sockets >= sessions', () => {
  const problems = problemsOf([
    '--ping-interval',
    '30s',
    '--drop-after',
    '30s',
    '--rate-burst-bytes',
    '1KiB',
    '--queue-bytes',
    '1KiB',
    '--max-sockets',
    '10',
    '--max-sessions',
    '20',
  ]).join('\n');
  assert.match(problems, /--drop-after \(30s\) must be longer than --ping-interval \(30s\)/);
  assert.match(problems, /--rate-burst-bytes \(1KiB\) must be at least --max-frame-bytes \(64KiB\)/);
  assert.match(problems, /--queue-bytes \(1KiB\) must be at least --max-frame-bytes/);
  assert.match(problems, /--max-sockets \(10\) must be at least --max-sessions \(20\)/);
});

test('durations beyond what a Node timer can hold are refused', () => {
  assert.match(problemsOf(['--grace', '30d'])[0] ?? '', /not a duration/);
  assert.match(problemsOf(['--alone-timeout', '1000h'])[0] ?? '', /too large/);
});

test('TURN: URLs with a secret are accepted; the credential TTL is capped at the session lifetime', () => {
  const config = loadConfig(
    ['--turn-urls', 'turn:t.example.org:3478?transport=udp, turns:t.example.org:5349', '--session-lifetime', '4h'],
    { TURN_SECRET: 's3cret', STUN_URLS: 'stun:t.example.org:3478' },
  );
  assert.deepEqual(config.turnUrls, ['turn:t.example.org:3478?transport=udp', 'turns:t.example.org:5349']);
  assert.deepEqual(config.stunUrls, ['stun:t.example.org:3478']);
  assert.equal(config.turnSecret, 's3cret');
  assert.equal(config.turnTtlMs, 4 * 3600_000);
  assert.ok(problemsOf([], { TURN_SECRET: 'x' })[0]?.includes('--turn-urls (TURN_URLS) is not'));
});

test('TLS files: both given and readable', () => {
  withTempDir((dir) => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, 'x');
    writeFileSync(key, 'x');
    const config = loadConfig(['--tls-cert', cert], { TLS_KEY: key });
    assert.deepEqual(config.tls, { certFile: cert, keyFile: key });
    const problems = problemsOf(['--tls-cert', cert, '--tls-key', join(dir, 'missing.pem')]);
    assert.deepEqual(problems, [`--tls-key: "${join(dir, 'missing.pem')}" is not a readable file`]);
  });
});

test('token secret: hex of at least 32 bytes from a flag', () => {
  const config = loadConfig(['--token-secret', SECRET_HEX], {});
  assert.deepEqual(config.tokenSecret, Buffer.from(SECRET_HEX, 'hex'));
  assert.ok(problemsOf(['--token-secret', 'ab'.repeat(31)])[0]?.includes('at least 32 bytes'));
});

test('token secret: generated once into <state-dir>/token-secret with mode 0600, then reused', () => {
  withTempDir((dir) => {
    const stateDir = join(dir, 'state');
    const config = loadConfig(['--state-dir', stateDir], {});
    const first = resolveTokenSecret(config);
    assert.equal(first.length, 32);
    const file = join(stateDir, 'token-secret');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(resolveTokenSecret(config), first, 'survives a restart');
    assert.equal(readFileSync(file, 'utf8').trim(), first.toString('hex'));
    const configured = loadConfig(['--state-dir', stateDir, '--token-secret', SECRET_HEX], {});
    assert.deepEqual(resolveTokenSecret(configured), Buffer.from(SECRET_HEX, 'hex'));
  });
});

test('a corrupt token-secret file is a clear error, not a silent new secret', () => {
  withTempDir((dir) => {
    writeFileSync(join(dir, 'token-secret'), 'short\n');
    assert.throws(() => resolveTokenSecret({ stateDir: dir, tokenSecret: undefined }), ConfigError);
  });
});

test('--help is recognised; usage and the README table name every flag and env var', () => {
  assert.ok(wantsHelp(['--port', '1', '--help']));
  assert.ok(!wantsHelp(['--port', '1']));
  assert.doesNotThrow(() => loadConfig(['--help'], {}));
  const text = usage();
  const table = settingsTable();
  for (const s of SETTINGS) {
    assert.ok(text.includes(s.flag) && text.includes(s.env), s.flag);
    assert.ok(table.includes(`\`${s.flag}\``) && table.includes(`\`${s.env}\``), s.flag);
  }
});

test('--domain: repeatable and a comma list, lower-cased and deduplicated; DOMAIN or DOMAINS; the first is the public host', () => {
  const c = loadConfig(['--domain', 'Call.Example.org,b.example.org', '--domain', 'call.example.org'], {});
  assert.deepEqual(c.domains, ['call.example.org', 'b.example.org']);
  assert.equal(c.publicHost, 'call.example.org');
  assert.deepEqual(loadConfig([], { DOMAINS: 'a.example.org, b.example.org' }).domains, [
    'a.example.org',
    'b.example.org',
  ]);
  assert.deepEqual(loadConfig([], { DOMAIN: 'a.example.org' }).domains, ['a.example.org']);
  assert.equal(
    loadConfig(['--domain', 'a.example.org', '--public-host', 'x.example.org'], {}).publicHost,
    'x.example.org',
  );
  const none = loadConfig([], {});
  assert.deepEqual(none.domains, []);
  assert.equal(none.acmeDirectory, 'https://acme-v02.api.letsencrypt.org/directory');
  assert.equal(none.httpPort, undefined);
});

test('--domain and the ACME settings refuse what cannot work, each with its reason', () => {
  const problems = problemsOf([
    '--domain',
    '192.0.2.1,*.example.org,localhost',
    '--acme-directory',
    'http://ca.example/dir',
    '--acme-email',
    'nobody',
    '--http-port',
    '8443',
  ]);
  assert.equal(problems.filter((p) => p.includes('is not a domain name')).length, 3);
  assert.ok(problems.some((p) => p.includes('--acme-directory') && p.includes('https://')));
  assert.ok(problems.some((p) => p.includes('--acme-email') && p.includes('e-mail')));
  assert.ok(problems.some((p) => p.includes('--http-port (8443) must differ from --port')));
  const tls = join(mkdtempSync(join(tmpdir(), 'homecall-cfg-')), 'x.pem');
  writeFileSync(tls, 'x');
  assert.ok(
    problemsOf(['--domain', 'a.example.org', '--tls-cert', tls, '--tls-key', tls]).some((p) => p.includes('not both')),
  );
});
