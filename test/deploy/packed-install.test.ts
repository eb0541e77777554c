// `homecall` as a command (issue 10): `npm pack` builds the package (its `prepare` script), the
// tarball installs into an empty folder from npm's cache alone (`npm ci --offline` with the
// repository's locked versions: no network beyond what `npm ci` already fetched), and the installed `homecall` prints the same --help as
// `npm start -- --help` and serves /healthz and the page over HTTPS on a free port.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { usage } from '../../src/server/config/index.js';
import { stopChild, waitForListening } from '../e2e/helpers/server.js';
import { httpsGet } from '../helpers/https-get.js';
import { REPO_ROOT } from '../helpers/server.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'homecall-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The environment without `npm test`'s own npm_* variables, and with this node first on PATH. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  return env;
}

async function npm(args: string[], cwd: string, what: string): Promise<string> {
  const result = await run('npm', args, { cwd, env: childEnv(), encoding: 'utf8', timeout: 240_000 }).catch(
    (error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`${what} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    },
  );
  return result.stdout;
}

/**
 * A copy of the repository's files (tracked and new, as git lists them) with the repository's
 * node_modules linked in: `npm pack` runs `prepare` (the build) there, never touching the dist/
 * that other tests serve from.
 */
async function sourceCopy(): Promise<string> {
  const dir = join(work, 'src');
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(REPO_ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(dir, file));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

interface LockEntry {
  dev?: boolean;
}

/**
 * An otherwise empty folder whose only dependency is the tarball, locked to the dependency
 * versions of the repository's package-lock.json (its production part): `npm ci --offline`
 * then installs from npm's cache by integrity, with the versions the tests ran against, and
 * needs no registry metadata (npm ci in the repository fetched only tarballs).
 */
function writeInstallFolder(dir: string, tarball: string, integrity: string): void {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const spec = `file:../${tarball}`;
  const manifest = { name: 'homecall-install', private: true, dependencies: { homecall: spec } };
  const packages: Record<string, unknown> = {
    '': { name: manifest.name, dependencies: manifest.dependencies },
    'node_modules/homecall': {
      version: pkg.version,
      resolved: spec,
      integrity,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: manifest.name, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}

test('npm pack, install the tarball in an empty folder, then `homecall --help` and a start on a free port', {
  timeout: 300_000,
}, async () => {
  const source = await sourceCopy();
  assert.ok(!existsSync(join(source, 'dist')), 'the copy starts without a build');
  // stdout is the build's output (prepare), then the JSON report, which starts at a line "[".
  const packOutput = await npm(['pack', '--json', '--pack-destination', work], source, 'npm pack');
  const packed = JSON.parse(packOutput.slice(packOutput.search(/^\[$/m))) as {
    filename: string;
    integrity: string;
    files: { path: string }[];
  }[];
  const paths = new Set(packed[0]?.files.map((f) => f.path));
  for (const file of ['dist/server/main.js', 'dist/web/index.html', 'deploy/systemd/homecall.service']) {
    assert.ok(paths.has(file), `the tarball holds ${file}`);
  }
  assert.ok(![...paths].some((p) => p.startsWith('src/') || p.startsWith('test/')), 'no sources or tests packed');

  const app = join(work, 'app');
  mkdirSync(app);
  writeInstallFolder(app, packed[0]?.filename ?? '', packed[0]?.integrity ?? '');
  await npm(
    ['ci', '--offline', '--no-audit', '--no-fund'],
    app,
    'installing the tarball offline (npm ci in the repository fills the cache it installs from)',
  );
  const homecall = join(app, 'node_modules/.bin/homecall');

  const help = await run(homecall, ['--help'], { cwd: app, env: childEnv(), encoding: 'utf8', timeout: 30_000 });
  assert.equal(help.stdout, `${usage()}\n`, 'homecall --help is the help of npm start -- --help');

  const state = join(work, 'state');
  const child = spawn(
    homecall,
    ['--host', '127.0.0.1', '--port', '0', '--turn-port', '0', '--state-dir', state, '--log-level', 'info'],
    { cwd: app, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const url = await waitForListening(child, 60_000);
    // The development certificate it made, trusted as the CA: a real TLS check of 127.0.0.1.
    const ca = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(
      readFileSync(join(state, 'dev-cert.pem'), 'utf8'),
    )?.[0];
    assert.ok(ca, 'the development certificate is in the state directory');
    const health = await httpsGet(`${url}/healthz`, { ca, timeout: 10_000 });
    assert.equal(health.status, 200);
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'ok');
    const page = await httpsGet(`${url}/`, { ca, timeout: 10_000 });
    assert.equal(page.status, 200);
    assert.match(page.body, /<div id="app"/, 'the packed web client is served');
  } finally {
    await stopChild(child);
  }
});
