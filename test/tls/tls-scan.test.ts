// The TLS a careful operator expects (issue 9), checked by Debian's sslscan against the real
// server on loopback: TLS 1.2 and 1.3 only, and for TLS 1.2 only suites with ECDHE key
// exchange and an AEAD cipher (AES-GCM, ChaCha20-Poly1305). That rule excludes, by
// construction, NULL, EXPORT, anonymous, RC4, (3)DES, every CBC suite (SHA-1 or SHA-2 MAC)
// and static-RSA key exchange. The server's order wins.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { type RunningServer, startServer, stopAllServers } from '../helpers/server.js';

const TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
const TLS12_ALLOWED = /^ECDHE-(ECDSA|RSA)-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)$/;
/** Named weak families, checked on top of the allow-list so a failure message says which. */
const WEAK = /NULL|EXP|anon|ADH|AECDH|RC4|DES|MD5|PSK|SRP|CBC|-SHA$|^AES|^DHE|CAMELLIA|ARIA|SEED|IDEA/;

interface Scan {
  xml: string;
  protocols: Map<string, boolean>;
  ciphers: Array<{ status: string; version: string; name: string; bits: number }>;
  groups: Array<{ version: string; bits: number; name: string }>;
  renegotiation: { supported: boolean; secure: boolean };
}

function attr(tag: string, name: string): string {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1] ?? '';
}

/** Runs sslscan asynchronously: the server under test lives in this process's event loop. */
async function sslscan(port: number): Promise<Scan> {
  const run = await promisify(execFile)('sslscan', ['--xml=-', '--no-colour', `127.0.0.1:${port}`], {
    encoding: 'utf8',
    timeout: 120_000,
  }).catch((error: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(
      `sslscan failed (Debian package sslscan): ${error.message} ${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
  });
  if (!run.stdout.includes('<ssltest')) throw new Error(`sslscan printed no scan: ${run.stdout}${run.stderr}`);
  const tags = (name: string) => run.stdout.match(new RegExp(`<${name}\\b[^>]*>`, 'g')) ?? [];
  const reneg = tags('renegotiation')[0] ?? '';
  return {
    xml: run.stdout,
    protocols: new Map(
      tags('protocol').map((t) => [`${attr(t, 'type')}${attr(t, 'version')}`, attr(t, 'enabled') === '1']),
    ),
    ciphers: tags('cipher').map((t) => ({
      status: attr(t, 'status'),
      version: attr(t, 'sslversion'),
      name: attr(t, 'cipher'),
      bits: Number(attr(t, 'bits')),
    })),
    groups: tags('group').map((t) => ({
      version: attr(t, 'sslversion'),
      bits: Number(attr(t, 'bits')),
      name: attr(t, 'name'),
    })),
    renegotiation: { supported: attr(reneg, 'supported') === '1', secure: attr(reneg, 'secure') === '1' },
  };
}

let server: RunningServer;
let scan: Scan;

before(async () => {
  server = await startServer();
  scan = await sslscan(server.port);
});
after(() => stopAllServers());

test('protocols: SSLv2, SSLv3, TLS 1.0 and TLS 1.1 refused; TLS 1.2 and TLS 1.3 offered', () => {
  for (const old of ['ssl2', 'ssl3', 'tls1.0', 'tls1.1']) assert.equal(scan.protocols.get(old), false, old);
  for (const current of ['tls1.2', 'tls1.3'])
    assert.equal(scan.protocols.get(current), true, `${current}: ${scan.xml}`);
});

test('cipher suites: TLS 1.3 standard suites only; TLS 1.2 only ECDHE with AES-GCM or ChaCha20-Poly1305', () => {
  const accepted = scan.ciphers.filter((c) => c.status === 'accepted' || c.status === 'preferred');
  assert.ok(
    accepted.some((c) => c.version === 'TLSv1.2'),
    'some TLS 1.2 suite is offered (older clients)',
  );
  for (const c of accepted) {
    assert.ok(c.version === 'TLSv1.2' || c.version === 'TLSv1.3', `${c.name} over ${c.version}`);
    if (c.version === 'TLSv1.3') assert.ok(TLS13_SUITES.has(c.name), c.name);
    else {
      assert.doesNotMatch(c.name, WEAK, `weak suite accepted: ${c.name}`);
      assert.match(c.name, TLS12_ALLOWED, `suite outside the policy: ${c.name}`);
    }
    assert.ok(c.bits >= 128, `${c.name}: ${c.bits} bits`);
  }
});

test("the server's cipher order wins, and key exchange groups are 128-bit strength or more", () => {
  const preferred12 = scan.ciphers.find((c) => c.version === 'TLSv1.2' && c.status === 'preferred');
  // The test certificate is ECDSA: the first suite of the policy for it.
  assert.equal(preferred12?.name, 'ECDHE-ECDSA-AES128-GCM-SHA256');
  assert.ok(scan.groups.length > 0, 'groups were enumerated');
  for (const g of scan.groups) assert.ok(g.bits >= 128, `${g.name} (${g.bits} bits) over ${g.version}`);
});

test('no insecure renegotiation', () => {
  assert.ok(!scan.renegotiation.supported || scan.renegotiation.secure, JSON.stringify(scan.renegotiation));
});
