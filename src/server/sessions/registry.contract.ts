/**
 * The contract every SessionRegistry implementation must meet (style.md §6): one suite, run
 * against the in-memory registry now and against Redis when it lands.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { TokenClaims } from './resume-token.js';
import type { Admission, Seat, SessionRegistry } from './session-registry.js';

export interface RegistryFactory {
  name: string;
  /** A fresh, empty registry with room for `maxSessions` and queues of `queueFrames`. */
  create(options: { maxSessions: number; queueFrames: number; queueBytes: number }): Promise<SessionRegistry>;
}

const admitted = (r: { kind: string; admission?: Admission }): Admission => {
  assert.ok(r.admission, `expected an admission, got ${r.kind}`);
  return r.admission;
};

const claimsOf = (seat: Seat, issuedAt = 1): TokenClaims => ({ ...seat, issuedAt });

export function registryContract(factory: RegistryFactory): void {
  const make = (queueFrames = 4, maxSessions = 100) => factory.create({ maxSessions, queueFrames, queueBytes: 1024 });

  describe(`SessionRegistry contract: ${factory.name}`, () => {
    test('rule 1: create, join, then full', async () => {
      const reg = await make();
      const id = randomUUID();
      const a = admitted(await reg.join(id, 'a', 1));
      assert.deepEqual([a.created, a.other, a.seat.place], [true, 'free', 0]);
      const b = admitted(await reg.join(id, 'b', 2));
      assert.deepEqual([b.created, b.other, b.otherLink, b.seat.place], [false, 'attached', 'a', 1]);
      assert.equal((await reg.join(id, 'c', 3)).kind, 'full');
    });

    test('rule 3: relay delivers to an attached place and queues FIFO for an absent one, bounded', async () => {
      const reg = await make(2);
      const id = randomUUID();
      const a = admitted(await reg.join(id, 'a', 1));
      assert.equal((await reg.relay(a.seat, 'one', 3)).kind, 'queued');
      assert.equal((await reg.relay(a.seat, 'two', 3)).kind, 'queued');
      assert.equal((await reg.relay(a.seat, 'three', 5)).kind, 'queue-full');
      const b = admitted(await reg.join(id, 'b', 2));
      assert.deepEqual(b.queued, ['one', 'two']);
      assert.deepEqual(await reg.relay(a.seat, 'live', 4), { kind: 'deliver', link: 'b' });
    });

    test('rule 6: free and hold; a dropped context when nobody is left', async () => {
      const reg = await make();
      const id = randomUUID();
      const a = admitted(await reg.join(id, 'a', 1));
      const b = admitted(await reg.join(id, 'b', 2));
      const held = await reg.leave(b.seat, 'hold', 3);
      assert.deepEqual(held, { kind: 'held', other: 'attached', otherLink: 'a', dropped: false });
      assert.equal((await reg.relay(b.seat, 'x', 1)).kind, 'stale', 'a held seat cannot send');
      const expired = await reg.expire(b.seat);
      assert.equal(expired.kind, 'freed');
      const left = await reg.leave(a.seat, 'free', 4);
      assert.ok(left.kind === 'freed' && left.dropped);
      assert.equal(await reg.peek(id), null);
    });

    test('rule 2: resume re-attaches the held place, delivers its queue, and bumps the generation', async () => {
      const reg = await make();
      const id = randomUUID();
      const a = admitted(await reg.join(id, 'a', 1));
      const b = admitted(await reg.join(id, 'b', 2));
      await reg.leave(b.seat, 'hold', 3);
      await reg.relay(a.seat, 'gap', 3);
      const r = await reg.resume(claimsOf(b.seat), 'b2', { now: 4, mayRestore: false });
      assert.equal(r.kind, 'resumed');
      if (r.kind !== 'resumed') return;
      assert.deepEqual(r.admission.queued, ['gap']);
      assert.equal(r.admission.seat.gen, b.seat.gen + 1);
      const again = await reg.resume(claimsOf(b.seat), 'b3', { now: 5, mayRestore: false });
      assert.equal(again.kind, 'stale', 'the superseded generation is refused');
    });

    test('R5: two resumes with one token: exactly one wins', async () => {
      const reg = await make();
      const id = randomUUID();
      admitted(await reg.join(id, 'a', 1));
      const b = admitted(await reg.join(id, 'b', 2));
      await reg.leave(b.seat, 'hold', 3);
      const results = await Promise.all([
        reg.resume(claimsOf(b.seat), 'x', { now: 4, mayRestore: false }),
        reg.resume(claimsOf(b.seat), 'y', { now: 4, mayRestore: false }),
      ]);
      assert.deepEqual(results.map((r) => r.kind).sort(), ['resumed', 'stale']);
    });

    test('rule 1: a newcomer takes over a held place; its queue is dropped; the old occupant is then refused', async () => {
      const reg = await make();
      const id = randomUUID();
      const a = admitted(await reg.join(id, 'a', 1));
      const b = admitted(await reg.join(id, 'b', 2));
      await reg.leave(b.seat, 'hold', 3);
      await reg.relay(a.seat, 'for-the-ghost', 3);
      const c = await reg.join(id, 'c', 4);
      assert.ok(c.kind === 'admitted' && c.tookOver);
      assert.deepEqual(c.admission.queued, []);
      assert.equal((await reg.resume(claimsOf(b.seat), 'b2', { now: 5, mayRestore: false })).kind, 'full');
    });

    test('rule 5 and 7: an ended context is never resumed or restored; a lost one may be restored', async () => {
      const reg = await make();
      const id = randomUUID();
      const a = admitted(await reg.join(id, 'a', 1));
      const ended = await reg.end(id, a.seat.contextId);
      assert.deepEqual(ended, { kind: 'ended', links: ['a'] });
      assert.equal((await reg.resume(claimsOf(a.seat), 'a2', { now: 2, mayRestore: false })).kind, 'ended');
      // A context this registry never saw (lost in a restart) is rebuilt when allowed.
      const lost: TokenClaims = {
        sessionId: randomUUID(),
        contextId: randomBytes(8).toString('hex'),
        place: 1,
        occupant: randomBytes(8).toString('hex'),
        gen: 3,
        issuedAt: 1,
        createdAt: 1,
      };
      const restored = await reg.resume(lost, 'r', { now: 3, mayRestore: true });
      assert.ok(restored.kind === 'resumed' && restored.restored);
      assert.deepEqual([restored.admission.seat.place, restored.admission.other], [1, 'held']);
      const done = await reg.end(lost.sessionId, lost.contextId);
      assert.equal(done.kind, 'ended');
      assert.equal(
        (await reg.resume(lost, 'r2', { now: 4, mayRestore: true })).kind,
        'ended',
        'ended after restore: never again',
      );
    });

    test('capacity: a new context beyond maxSessions is refused as busy', async () => {
      const reg = await make(4, 2);
      admitted(await reg.join(randomUUID(), 'a', 1));
      admitted(await reg.join(randomUUID(), 'b', 1));
      assert.equal((await reg.join(randomUUID(), 'c', 1)).kind, 'busy');
    });

    test('isolation: contexts of different ids never see each other', async () => {
      const reg = await make();
      const [x, y] = [randomUUID(), randomUUID()];
      const ax = admitted(await reg.join(x, 'ax', 1));
      const ay = admitted(await reg.join(y, 'ay', 1));
      await reg.relay(ax.seat, 'for-x', 5);
      const by = admitted(await reg.join(y, 'by', 2));
      assert.deepEqual(by.queued, []);
      assert.notEqual(ax.seat.contextId, ay.seat.contextId);
    });
  });
}
