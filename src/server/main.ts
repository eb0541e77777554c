#!/usr/bin/env node
import { type App, startApp } from './app.js';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig, usage, wantsHelp } from './config/index.js';
import { LogSink } from './log-sink.js';
import { batchingWriter, createFdWriter } from './log-writer.js';
import { createLogger } from './logger.js';

// The only entry point: reads the configuration, starts the app, and owns the process's
// lifecycle (signals, fatal errors, exit codes).

/** A stop is over by then, whatever the app or stdout do: within 5 s of SIGTERM (X8). */
const FORCE_EXIT_MS = 4500;
/** After the app has closed, log lines still buffered get this long to reach stdout. */
const FINAL_FLUSH_MS = 500;
/** After a fatal error, the fatal line gets this long to reach stdout. */
const FATAL_FLUSH_MS = 1000;
const EXIT_OK = 0;
const EXIT_FATAL = 1;
const EXIT_CONFIG = 2;
/** Log lines held while stdout is slow; beyond this they are dropped and counted (X8). */
const LOG_BUFFER_BYTES = 1024 * 1024;

/** The production log destination: stdout, never blocking, bounded (reliability.md X8). */
function createStdoutSink(): LogSink {
  const sink = new LogSink({
    writer: batchingWriter(createFdWriter(1), systemClock),
    maxBufferedBytes: LOG_BUFFER_BYTES,
    clock: systemClock,
  });
  // The batch timer does not hold the process open: a process that ends on its own writes
  // what waits first (process.exit goes through settle(), which does the same).
  process.on('beforeExit', () => sink.flush());
  return sink;
}

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

  // One stdout destination shared by the app's logger and the fatal path. It never blocks and
  // never grows past its buffer (reliability.md X8): a stalled or closed stdout loses log lines
  // (counted), never a call, and never holds up a stop.
  const sink = createStdoutSink();
  const fatalLogger = createLogger({ level: config.logLevel, destination: sink });
  const exitAfterFlush = (code: number, ms: number) => {
    process.exitCode = code;
    // A ref'd timer: the process must not end on its own before this, nor later than this.
    const timer = setTimeout(() => process.exit(code), ms);
    void sink.settle(ms).then(() => {
      clearTimeout(timer);
      process.exit(code);
    });
  };
  let dying = false;
  const dieOn = (kind: string) => (error: unknown) => {
    // Never keep running in an unknown state: log, flush (briefly), exit non-zero for the supervisor.
    fatalLogger.fatal({ err: error }, kind);
    if (dying) return;
    dying = true;
    exitAfterFlush(EXIT_FATAL, FATAL_FLUSH_MS);
  };
  process.on('uncaughtException', dieOn('uncaught exception'));
  process.on('unhandledRejection', dieOn('unhandled rejection'));

  const app: App = await startApp(config, { logDestination: sink });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    fatalLogger.info({ signal }, 'stopping');
    // Whatever the app or stdout do, the process is gone by then.
    setTimeout(() => {
      fatalLogger.warn('stop took too long; exiting');
      process.exit(EXIT_OK);
    }, FORCE_EXIT_MS);
    app.close().then(() => {
      const left = FORCE_EXIT_MS - (performance.now() - started);
      exitAfterFlush(EXIT_OK, Math.max(0, Math.min(FINAL_FLUSH_MS, left - 100)));
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
