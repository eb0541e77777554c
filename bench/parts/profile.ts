/** The `--profile` part: each target under call load with `node --cpu-prof`, kept and summarised. */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CallsRun, runCalls } from '../lib/calls-run.js';
import { repoDir } from '../lib/targets.js';
import { type PartOptions, withServer } from '../lib/with-server.js';
import { summarizeProfile } from '../profile-summary.js';

export interface ProfileOptions extends PartOptions {
  /** Where the .cpuprofile files are kept (`<out>/profiles`). */
  keepDir: string;
  concurrency: number;
  warmupMs: number;
  windowMs: number;
}

/** Both servers, same load, so the profiles can be read as a difference. */
export async function profileCalls(options: ProfileOptions): Promise<Record<string, unknown>> {
  const { env, concurrency, warmupMs, windowMs, log } = options;
  mkdirSync(options.keepDir, { recursive: true });
  const profile: Record<string, unknown> = {};
  for (const target of options.targets) {
    log(`profile: ${target} under call load with node --cpu-prof`);
    const profDir = join(env.workDir, `cpu-prof-${target}`);
    mkdirSync(profDir, { recursive: true });
    const run: CallsRun = await withServer(
      { env, target, label: `profile-${target}`, cpuProfDir: profDir },
      (server, gen) => runCalls({ server, gen, target, rep: 0, concurrency, warmupMs, windowMs, log }),
    );
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) {
      log(`profile: no .cpuprofile from ${target} (did it exit cleanly on SIGTERM?)`);
      continue;
    }
    const kept = join(options.keepDir, `${target}-calls.cpuprofile`);
    copyFileSync(join(profDir, file), kept);
    profile[target] = { calls: run, ...(await summarizeProfile(kept, repoDir)) };
  }
  return profile;
}
