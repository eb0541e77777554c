import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { CloseCode, ErrorCode } from '../../shared/protocol/index.js';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { noopMetrics } from '../testing/noop-metrics.js';
import { WsPeerLink } from './ws-peer-link.js';

/** The part of a `ws` socket the link uses: what it sent, how much is buffered, how it ended. */
class FakeSocket {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  /** Bytes the peer never reads: each send adds to the backlog. */
  stalled = false;
  readonly sent: string[] = [];
  terminated = false;
  closed: [number, string] | null = null;

  send(text: string): void {
    this.sent.push(text);
    if (this.stalled) this.bufferedAmount += Buffer.byteLength(text);
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = WebSocket.CLOSED;
  }
  close(code: number, reason: string): void {
    this.closed = [code, reason];
    this.readyState = WebSocket.CLOSING;
  }
}

/** The stream under the socket: records corks, uncorks and which frames were sent while corked. */
class FakeStream {
  corked = 0;
  readonly events: string[] = [];
  cork(): void {
    this.corked += 1;
    this.events.push('cork');
  }
  uncork(): void {
    this.corked -= 1;
    this.events.push('uncork');
  }
}

function link(maxBacklogBytes = 1000) {
  const socket = new FakeSocket();
  const stream = new FakeStream();
  const clock = new FakeClock();
  const sentCodes: string[] = [];
  const metrics = { ...noopMetrics, errorSent: (code: string) => void sentCodes.push(code) };
  const peer = new WsPeerLink('1', socket as unknown as WebSocket, stream, { maxBacklogBytes, clock, metrics });
  return { socket, stream, clock, peer, sentCodes };
}

describe('WsPeerLink: one write per task', () => {
  test('frames sent in one task go out under one cork, uncorked before the next tick', async () => {
    const { socket, stream, peer } = link();
    peer.sendText('a');
    peer.sendText('b');
    peer.send({ type: 'hangup', sessionId: 's' } as never);
    assert.deepEqual(stream.events, ['cork'], 'corked once for the whole task');
    assert.equal(socket.sent.length, 3);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    assert.deepEqual(stream.events, ['cork', 'uncork']);
    assert.equal(stream.corked, 0);
    peer.sendText('c');
    assert.deepEqual(stream.events, ['cork', 'uncork', 'cork'], 'a later task corks again');
    await new Promise<void>((resolve) => process.nextTick(resolve));
    assert.equal(stream.corked, 0);
    assert.deepEqual(socket.sent, ['a', 'b', JSON.stringify({ type: 'hangup', sessionId: 's' }), 'c'], 'order kept');
  });

  test('nothing is corked for a socket that is not open', async () => {
    const { socket, stream, peer } = link();
    socket.readyState = WebSocket.CLOSED;
    peer.sendText('a');
    await new Promise<void>((resolve) => process.nextTick(resolve));
    assert.deepEqual(stream.events, []);
  });
});

describe('WsPeerLink: backpressure (reliability D5)', () => {
  test('a peer that reads keeps getting frames, however many', () => {
    const { socket, peer } = link(100);
    for (let i = 0; i < 50; i++) peer.sendText('x'.repeat(90));
    assert.equal(socket.sent.length, 50);
    assert.equal(socket.terminated, false);
  });

  test('a peer that stops reading is cut (terminate: an abnormal drop) once its backlog passes the cap', () => {
    const { socket, peer } = link(1000);
    socket.stalled = true;
    for (let i = 0; i < 10; i++) peer.sendText('x'.repeat(100));
    assert.equal(socket.terminated, false, 'exactly at the cap is still allowed');
    peer.sendText('x');
    assert.equal(socket.terminated, true);
    assert.equal(socket.closed, null, 'no close handshake: the place is held as after any drop');
  });

  test('nothing is written to a socket that is not open', () => {
    const { socket, peer } = link();
    socket.readyState = WebSocket.CLOSING;
    peer.send({ type: 'hangup', sessionId: 's' } as never);
    assert.deepEqual(socket.sent, []);
  });
});

describe('WsPeerLink: the error-reply budget (reliability M11)', () => {
  test('throttled errors: a burst of 5, then one per second; each sent one counted in metrics', () => {
    const { socket, clock, peer, sentCodes } = link();
    const results = Array.from({ length: 8 }, () => peer.sendError(ErrorCode.BAD_MESSAGE, null, true));
    assert.deepEqual(results, [true, true, true, true, true, false, false, false]);
    assert.equal(socket.sent.length, 5);
    assert.equal(sentCodes.length, 5);
    clock.advance(999);
    assert.equal(peer.sendError(ErrorCode.BAD_MESSAGE, null, true), false);
    clock.advance(1);
    assert.equal(peer.sendError(ErrorCode.BAD_MESSAGE, null, true), true);
    assert.deepEqual(JSON.parse(socket.sent.at(-1) ?? ''), {
      type: 'error',
      sessionId: null,
      code: ErrorCode.BAD_MESSAGE,
      message: JSON.parse(socket.sent[0] ?? '').message,
    });
  });

  test('unthrottled errors (the ones that close the socket) always go out and use no budget', () => {
    const { socket, peer } = link();
    for (let i = 0; i < 20; i++) assert.equal(peer.sendError(ErrorCode.TOO_LARGE, null, false), true);
    assert.equal(socket.sent.length, 20);
    assert.equal(peer.sendError(ErrorCode.BAD_MESSAGE, null, true), true, 'the throttled budget is untouched');
  });

  test('RATE_LIMITED replies: at most one per second', () => {
    const { peer } = link();
    assert.equal(peer.mayReportRateLimit(0), true);
    assert.equal(peer.mayReportRateLimit(500), false);
    assert.equal(peer.mayReportRateLimit(999), false);
    assert.equal(peer.mayReportRateLimit(1000), true);
    assert.equal(peer.mayReportRateLimit(1999), false);
  });
});

describe('WsPeerLink: close', () => {
  test('closes an open socket with its code and reason, and a closing one not again', () => {
    const { socket, peer } = link();
    peer.close(CloseCode.NORMAL, 'bye');
    assert.deepEqual(socket.closed, [CloseCode.NORMAL, 'bye']);
    peer.close(CloseCode.SERVICE_RESTART, 'again');
    assert.deepEqual(socket.closed, [CloseCode.NORMAL, 'bye']);
  });
});
