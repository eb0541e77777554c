import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import type { CallState, PeerPresence } from './call-machine.js';
import type { CallView } from './controller-types.js';
import { FirstRenderGate, type GateSource } from './first-render-gate.js';

const ID = '7d3f1c52-8a7e-4b41-9f0e-2a6c1d9b3e55';
const CAP_MS = 400;

/** A controller as the gate sees it: a view to read and a change to hear of. */
class Source implements GateSource {
  #listeners = new Set<() => void>();
  state: CallState = inCall('absent');
  local: MediaStream | null = null;
  mediaError: CallView['mediaError'] = null;
  get isInCall(): boolean {
    return this.state.kind === 'call';
  }
  get view(): CallView {
    return { state: this.state, local: this.local, mediaError: this.mediaError } as CallView;
  }
  subscribe(cb: () => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }
  change(patch: Partial<Pick<Source, 'state' | 'local' | 'mediaError'>>): void {
    Object.assign(this, patch);
    for (const cb of [...this.#listeners]) cb();
  }
  get listeners(): number {
    return this.#listeners.size;
  }
}

function inCall(peer: PeerPresence): CallState {
  return {
    kind: 'call',
    sessionId: ID,
    fresh: false,
    first: false,
    signal: 'online',
    peer,
    media: 'none',
    hasPeer: false,
  };
}

const camera = {} as MediaStream;

/** Whether the gate has opened by now (its promise settles in a microtask). */
async function isOpen(gate: FirstRenderGate): Promise<boolean> {
  let open = false;
  void gate.opened.then(() => {
    open = true;
  });
  await new Promise((r) => setImmediate(r));
  return open;
}

test('outside a call the gate is open at once', async () => {
  const source = new Source();
  source.state = { kind: 'home' };
  assert.equal(await isOpen(new FirstRenderGate({ source, clock: new FakeClock(), capMs: CAP_MS })), true);
});

test('waiting alone, the UI loads as soon as the camera is open, or has failed', async () => {
  for (const settle of [{ local: camera }, { mediaError: 'denied' as const }]) {
    const source = new Source();
    const gate = new FirstRenderGate({ source, clock: new FakeClock(), capMs: CAP_MS });
    assert.equal(await isOpen(gate), false, 'the camera is still starting');
    source.change(settle);
    assert.equal(await isOpen(gate), true);
    assert.equal(source.listeners, 0, 'the gate stops listening once open');
  }
});

test('with the other person present, the UI waits for our first offer or answer as well', async () => {
  const source = new Source();
  const gate = new FirstRenderGate({ source, clock: new FakeClock(), capMs: CAP_MS });
  source.change({ state: inCall('present') });
  source.change({ local: camera });
  assert.equal(await isOpen(gate), false, 'camera open, answer not sent yet');
  gate.described();
  assert.equal(await isOpen(gate), true);
});

test('an answer sent before the camera settles still waits for the camera', async () => {
  const source = new Source();
  const gate = new FirstRenderGate({ source, clock: new FakeClock(), capMs: CAP_MS });
  source.change({ state: inCall('present') });
  gate.described();
  assert.equal(await isOpen(gate), false);
  source.change({ local: camera });
  assert.equal(await isOpen(gate), true);
});

test('the cap opens the gate whatever is still pending, and not a moment before', async () => {
  const source = new Source();
  const clock = new FakeClock();
  const gate = new FirstRenderGate({ source, clock, capMs: CAP_MS });
  source.change({ state: inCall('present') });
  clock.advance(CAP_MS - 1);
  assert.equal(await isOpen(gate), false);
  clock.advance(1);
  assert.equal(await isOpen(gate), true);
  assert.equal(source.listeners, 0);
});

test('leaving the call while waiting (a refusal, hang-up) opens it: the UI shows why', async () => {
  const source = new Source();
  const gate = new FirstRenderGate({ source, clock: new FakeClock(), capMs: CAP_MS });
  source.change({ state: { kind: 'refused', sessionId: ID, code: 'SESSION_FULL' } });
  assert.equal(await isOpen(gate), true);
});
