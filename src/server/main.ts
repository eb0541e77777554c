import pino from 'pino';
import { type App, startApp } from './app.js';
import { ConfigError, loadConfig, usage, wantsHelp } from './config/index.js';
import { createLogger } from './logger.js';

// The only entry point: reads the configuration, starts the app, and owns the process's
// lifecycle (signals, fatal errors, exit codes).

/** A stop that hangs past this is cut short; close() itself keeps within 5 s. */
const FORCE_EXIT_MS = 5000;
const EXIT_OK = 0;
const EXIT_FATAL = 1;
const EXIT_CONFIG = 2;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(argv, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`homecall: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }

  // One stdout destination shared by the app's logger and the fatal path, so a fatal line can
  // be flushed synchronously before the process exits. Asynchronous, but with no minimum
  // batch: on a quiet home server a line must not wait for 4 KiB of others to appear.
  const destination = pino.destination({ dest: 1, sync: false });
  const fatalLogger = createLogger({ level: config.logLevel, destination });
  const dieOn = (kind: string) => (error: unknown) => {
    // Never keep running in an unknown state: log, flush, exit non-zero for the supervisor.
    fatalLogger.fatal({ err: error }, kind);
    try {
      destination.flushSync();
    } catch {
      // stdout is gone; nothing left to tell.
    }
    process.exit(EXIT_FATAL);
  };
  process.on('uncaughtException', dieOn('uncaught exception'));
  process.on('unhandledRejection', dieOn('unhandled rejection'));

  const app: App = await startApp(config, { logDestination: destination });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    fatalLogger.info({ signal }, 'stopping');
    setTimeout(() => {
      fatalLogger.warn('stop took too long; exiting');
      destination.flushSync();
      process.exit(EXIT_OK);
    }, FORCE_EXIT_MS).unref();
    app.close().then(() => {
      destination.flushSync();
      process.exit(EXIT_OK);
    }, dieOn('close failed'));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The operator's "reload": a renewed certificate without a restart, so no call drops.
  process.on('SIGHUP', () => app.reloadCertificates());
}

main().catch((error: unknown) => {
  // A ConfigError can also come from the state directory (a corrupt token-secret file).
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`homecall: failed to start: ${message}\n`);
  process.exit(error instanceof ConfigError ? EXIT_CONFIG : EXIT_FATAL);
});
