import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pino from 'pino';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { StunMethod } from './stun-protocol.js';
import { MemoryTurnServer } from './testing/memory-turn-server.js';
import { MemoryClient, requestedTransportUdp, TurnTestClient } from './testing/turn-test-client.js';
import { TurnCredentials } from './turn-credentials.js';
import { DEFAULT_TURN_QUOTAS } from './turn-quotas.js';

// The TURN worker's side of credentials it was never told of (turn-handler.ts askGroup): a
// request with an unknown username is held, the minting side is asked once, and the answer it
// gives at that moment decides. Here the "main thread" is a TurnCredentials with the same
// secret, and the test chooses when each question is answered.

const HOUR = 3_600_000;

function setup() {
  const clock = new FakeClock();
  const secret = randomBytes(32);
  const main = new TurnCredentials({ clock, ttlMs: HOUR, secret });
  const questions: { username: string; answer: (group: string | null) => void }[] = [];
  const worker = new MemoryTurnServer({
    clock,
    logger: pino({ level: 'silent' }),
    relayIp: '198.51.100.1',
    credentialTtlMs: HOUR,
    quotas: { ...DEFAULT_TURN_QUOTAS, answersPerSecPerAddress: 1000 },
    secret,
    askGroup: (username) => new Promise((answer) => questions.push({ username, answer })),
  });
  /** Answers the oldest question as the main thread would now, and lets the held request run. */
  const answerNow = async () => {
    const question = questions.shift();
    assert.ok(question, 'a question was asked');
    question.answer(main.holderOf(question.username)?.group ?? null);
    await new Promise((resolve) => setImmediate(resolve));
  };
  let port = 40000;
  const client = (credential: { username: string; credential: string }) => ({
    turn: new TurnTestClient(credential),
    end: new MemoryClient({ family: 4, ip: '203.0.113.5', port: port++ }),
  });
  const seat = (contextId: string, place = 0) => ({ contextId, place, expiresAtMs: clock.wallNow() + 2 * HOUR });
  /** The 401 challenge (no question: no USERNAME yet), then the signed Allocate sent. */
  const sendAllocate = (c: ReturnType<typeof client>) => {
    worker.handle(c.turn.request(StunMethod.allocate, [requestedTransportUdp]), c.end);
    assert.equal(c.turn.read(c.end.take()).code, 401);
    assert.equal(questions.length, 0);
    worker.handle(c.turn.request(StunMethod.allocate, [requestedTransportUdp]), c.end);
  };
  return { main, worker, questions, answerNow, client, seat, sendAllocate };
}

test('an Allocate with a credential minted on the main side only is held, asked about once, then succeeds', async () => {
  const { main, worker, questions, answerNow, client, seat, sendAllocate } = setup();
  const c = client(main.mint(seat('ctx-1')));
  sendAllocate(c);
  assert.equal(c.end.inbox.length, 0, 'held until the answer');
  // A retransmission while the question is out: held too, no second question.
  worker.handle(c.turn.request(StunMethod.allocate, [requestedTransportUdp]), c.end);
  assert.equal(questions.length, 1);
  assert.equal(questions[0]?.username, c.turn.credential.username);
  await answerNow();
  const answers = c.end.inbox.map((bytes) => c.turn.read(bytes));
  assert.equal(answers.length, 2);
  assert.equal(answers[0]?.code, undefined);
  assert.ok(answers[0]?.relayed, 'allocated');
  assert.equal(answers[1]?.code, 437, 'the retransmission (a new transaction) meets the allocation');
  assert.equal(worker.allocations, 1);
  // Known now: the next request is answered at once, without a question.
  c.end.inbox.length = 0;
  worker.handle(c.turn.request(StunMethod.refresh), c.end);
  assert.equal(c.turn.read(c.end.take()).code, undefined);
  assert.equal(questions.length, 0);
  // Its end revokes it in the worker too (what the main thread forwards for a told context):
  // the name is unknown again, and the main side, asked, no longer vouches for it.
  main.endContext('ctx-1');
  worker.credentials.endContext('ctx-1');
  worker.handle(c.turn.request(StunMethod.refresh), c.end);
  await answerNow();
  assert.equal(c.turn.read(c.end.take()).code, 401);
  assert.equal(worker.allocations, 0);
});

test('an Allocate after the context ended is refused, also when the end comes while the question is out', async () => {
  const { main, worker, answerNow, client, seat, sendAllocate } = setup();
  const before = client(main.mint(seat('ctx-ended')));
  main.endContext('ctx-ended');
  sendAllocate(before);
  await answerNow();
  assert.equal(before.turn.read(before.end.take()).code, 401);

  const racing = client(main.mint(seat('ctx-racing')));
  sendAllocate(racing);
  assert.equal(racing.end.inbox.length, 0, 'held');
  main.endContext('ctx-racing');
  await answerNow();
  assert.equal(racing.turn.read(racing.end.take()).code, 401);
  assert.equal(worker.allocations, 0);
});

test('a forged username is refused: a made-up tag after a question, a foreign password, a malformed name without one', async () => {
  const { main, worker, questions, answerNow, client, seat, sendAllocate } = setup();
  const other = new TurnCredentials({ clock: new FakeClock(), ttlMs: HOUR });
  const madeUp = client(other.mint(seat('ctx-1')));
  sendAllocate(madeUp);
  await answerNow();
  assert.equal(madeUp.turn.read(madeUp.end.take()).code, 401);

  // The right (live) username with a password the secret did not make: learnt, then the integrity check refuses.
  const real = main.mint(seat('ctx-1'));
  const wrongPassword = client({ username: real.username, credential: 'not-the-password' });
  sendAllocate(wrongPassword);
  await answerNow();
  assert.equal(wrongPassword.turn.read(wrongPassword.end.take()).code, 401);

  const malformed = client({ username: 'someone', credential: 'x' });
  sendAllocate(malformed);
  assert.equal(questions.length, 0, 'no question about a name that is not ours');
  assert.equal(malformed.turn.read(malformed.end.take()).code, 401);
  assert.equal(worker.allocations, 0);
});

test('a request held for a connection that closed meanwhile is dropped', async () => {
  const { main, worker, answerNow, client, seat, sendAllocate } = setup();
  const c = client(main.mint(seat('ctx-1')));
  let gone = false;
  const end = Object.assign(c.end, { gone: () => gone });
  sendAllocate({ turn: c.turn, end });
  gone = true;
  await answerNow();
  assert.equal(end.inbox.length, 0);
  assert.equal(worker.allocations, 0);
});
