import { FakeClock } from '../../shared/testing/fake-clock.js';
import { MemoryRegistry } from './memory-registry.js';
import { registryContract } from './registry.contract.js';

registryContract({
  name: 'MemoryRegistry',
  create: async ({ maxSessions, queueFrames, queueBytes }) =>
    new MemoryRegistry({ maxSessions, queue: { frames: queueFrames, bytes: queueBytes }, clock: new FakeClock() }),
});
