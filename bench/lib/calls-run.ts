/** One calls measurement on a running server: start the call loops, take the window, stop them. */
import { setTimeout as sleep } from 'node:timers/promises';
import { type CallsMark, measureCallsWindow } from './calls-window.js';
import type { Generator } from './gen-client.js';
import { round } from './stats.js';
import type { RunningServer, ServerName } from './targets.js';

export interface CallsRun {
  target: ServerName;
  rep: number;
  concurrency: number;
  windowS: number;
  completed: number;
  failed: number;
  serverCpuS: number;
  cpuSPer1000Calls: number | null;
  callsPerS: number;
  generatorCpuS: number;
  callMsP50: number | null;
  callMsP99: number | null;
  errors: Record<string, number>;
}

/** Longest wait for the first calls to end, and for the window's first completion (calls-window.ts). */
const CALLS_WINDOW_BOUND_MS = 15_000;

export interface CallsRunOptions {
  server: RunningServer<ServerName>;
  gen: Generator;
  target: ServerName;
  rep: number;
  concurrency: number;
  warmupMs: number;
  windowMs: number;
  log: (msg: string) => void;
}

/** Call loops at `concurrency` for one window; the server's CPU is read at the window's edges. */
export async function runCalls(options: CallsRunOptions): Promise<CallsRun> {
  const { server, gen, target, rep, concurrency } = options;
  await gen.call('callsStart', { concurrency });
  const { start: m0, end: m1 } = await measureCallsWindow({
    mark: async () => ({
      ...(await gen.call<Omit<CallsMark, 'serverCpuS'>>('callsMark')),
      serverCpuS: server.cpu(),
    }),
    sleep,
    concurrency,
    warmupMs: options.warmupMs,
    windowMs: options.windowMs,
    boundMs: CALLS_WINDOW_BOUND_MS,
  });
  const cpu0 = m0.serverCpuS;
  const cpu1 = m1.serverCpuS;
  const end = await gen.call<{
    callMsP50: number | null;
    callMsP99: number | null;
    failed: number;
    errors: Record<string, number>;
  }>('callsStop');
  const completed = m1.completed - m0.completed;
  const windowS = (m1.at - m0.at) / 1000;
  const run: CallsRun = {
    target,
    rep,
    concurrency,
    windowS: round(windowS, 3),
    completed,
    failed: end.failed,
    serverCpuS: round(cpu1 - cpu0, 3),
    cpuSPer1000Calls: completed > 0 ? round(((cpu1 - cpu0) / completed) * 1000, 3) : null,
    callsPerS: round(completed / windowS, 1),
    generatorCpuS: round(m1.genCpuS - m0.genCpuS, 2),
    callMsP50: end.callMsP50,
    callMsP99: end.callMsP99,
    errors: end.errors,
  };
  options.log(
    `  calls ${target} rep ${rep} c=${concurrency}: ${run.callsPerS} calls/s, ${run.cpuSPer1000Calls} server CPU-s/1000 calls, failed ${run.failed}`,
  );
  return run;
}
