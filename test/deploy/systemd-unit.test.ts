// deploy/systemd/homecall.service passes Debian's `systemd-analyze verify`, and keeps the
// hardening the README promises (issue 10).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/server.js';

const UNIT = readFileSync(join(REPO_ROOT, 'deploy/systemd/homecall.service'), 'utf8');

test('the unit passes systemd-analyze verify', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'homecall-unit-'));
  try {
    // verify checks that ExecStart's binary exists: point it at this machine's node, nothing else changes.
    const unit = UNIT.replaceAll('/usr/bin/node', process.execPath);
    const file = join(dir, 'homecall.service');
    writeFileSync(file, unit);
    const run = await promisify(execFile)('systemd-analyze', ['verify', file], { encoding: 'utf8' }).catch(
      (error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(
          `systemd-analyze verify failed (Debian package systemd): ${error.stdout ?? ''}${error.stderr ?? ''}`,
        );
      },
    );
    const complaints = run.stderr
      .split('\n')
      .filter((line) => line.includes('homecall.service') && !line.includes('/opt/homecall'));
    assert.deepEqual(complaints, [], run.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the unit is hardened: dynamic user, state directory, only the capability to bind 443, restart on failure', () => {
  for (const line of [
    'DynamicUser=yes',
    'StateDirectory=homecall',
    'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
    'Restart=on-failure',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'PrivateTmp=yes',
    'Environment=STATE_DIR=/var/lib/homecall',
  ]) {
    assert.ok(UNIT.split('\n').includes(line), line);
  }
});
