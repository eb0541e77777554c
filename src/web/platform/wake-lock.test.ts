import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScreenWakeLock, type WakeLockApi } from './wake-lock.js';

/** A wake-lock API that records requests; its sentinels can be released by the "browser". */
class FakeApi implements WakeLockApi {
  requests = 0;
  sentinels: FakeSentinel[] = [];
  async request(): Promise<WakeLockSentinel> {
    this.requests++;
    const s = new FakeSentinel();
    this.sentinels.push(s);
    return s as unknown as WakeLockSentinel;
  }
}
class FakeSentinel extends EventTarget {
  released = false;
  async release(): Promise<void> {
    this.released = true;
  }
  /** The browser drops the lock (page hidden). */
  drop(): void {
    this.dispatchEvent(new Event('release'));
  }
}

test('the lock is taken once while wanted and released when the call ends', async () => {
  const api = new FakeApi();
  const lock = new ScreenWakeLock({ api, isVisible: () => true });
  await lock.set(true);
  await lock.set(true);
  assert.equal(api.requests, 1);
  await lock.set(false);
  assert.equal(api.sentinels[0]!.released, true);
});

test('dropped by the browser while hidden: taken again when the page is visible, only if still wanted', async () => {
  const api = new FakeApi();
  let visible = true;
  const lock = new ScreenWakeLock({ api, isVisible: () => visible });
  await lock.set(true);
  visible = false;
  api.sentinels[0]!.drop();
  visible = true;
  lock.pageVisible();
  await new Promise((r) => setImmediate(r));
  assert.equal(api.requests, 2);
  await lock.set(false);
  api.sentinels[1]!.drop();
  lock.pageVisible();
  await new Promise((r) => setImmediate(r));
  assert.equal(api.requests, 2);
});

test('not requested while the page is hidden, nor where the API is missing', async () => {
  const api = new FakeApi();
  await new ScreenWakeLock({ api, isVisible: () => false }).set(true);
  assert.equal(api.requests, 0);
  await new ScreenWakeLock({ api: undefined, isVisible: () => true }).set(true);
});
