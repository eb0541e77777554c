import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainAcmeError, redactCaMessage } from './acme-errors.js';

const DOMAINS = ['call.example.org'];
const explain = (message: string, code?: string) =>
  explainAcmeError(Object.assign(new Error(message), code === undefined ? {} : { code }), DOMAINS);

// The CAs' own problem details (Let's Encrypt's wording; pebble's where it differs).
test('a rate limit, DNS not pointing here, and an unreachable port each get their plain sentence', () => {
  assert.match(
    explain('Error creating new order :: too many certificates (5) already issued for this exact set of identifiers'),
    /the CA is rate limiting us/,
  );
  assert.match(
    explain('DNS problem: NXDOMAIN looking up A for call.example.org - check that a DNS record exists'),
    /^DNS for call\.example\.org does not point here/,
  );
  for (const detail of [
    '203.0.113.9: Timeout during connect (likely firewall problem)',
    '203.0.113.9: Connection refused',
    'Failed to connect to 203.0.113.9:443 for the tls-alpn-01 challenge',
  ]) {
    assert.match(explain(detail), /could not connect to call\.example\.org: the port is not reachable/, detail);
  }
  assert.match(
    explain('Invalid response from http://call.example.org/.well-known/acme-challenge/x: 404'),
    /got the wrong challenge answer/,
  );
  assert.match(explain('getaddrinfo ENOTFOUND acme-v02.api.letsencrypt.org', 'ENOTFOUND'), /cannot reach the CA/);
  assert.match(explain('something new'), /the CA refused the order for call\.example\.org/);
});

test("the CA's words are logged without addresses, and stay short", () => {
  const said = redactCaMessage('203.0.113.9: Timeout during connect; [2001:db8::1]:443 refused at 12:30:45');
  assert.equal(said, '<address>: Timeout during connect; <address>:443 refused at 12:30:45');
  assert.equal(redactCaMessage('x'.repeat(2000)).length, 500);
});
