import type { Page } from 'playwright-core';

// getStats() of the page's live RTCPeerConnection (recorded by newCallContext's init script).

export interface CandidateInfo {
  candidateType: string;
  protocol: string;
  address: string;
  port: number;
  /** For relay candidates: how the browser reached the TURN server (udp, tcp, tls). */
  relayProtocol?: string;
  /** For srflx and relay candidates: the ICE server URL they came from. */
  url?: string;
}

export interface SelectedPair {
  local: CandidateInfo;
  remote: CandidateInfo;
}

/** The candidate pair the page's transport has selected; null while it has none. */
export function selectedPair(page: Page): Promise<SelectedPair | null> {
  return page.evaluate(async () => {
    type Stat = Record<string, unknown> & { id: string; type: string };
    type Pc = { connectionState: string; getStats(): Promise<{ forEach(cb: (s: Stat) => void): void }> };
    const pcs = ((globalThis as unknown as { __pcs?: Pc[] }).__pcs ?? []).filter((p) => p.connectionState !== 'closed');
    const pc = pcs[pcs.length - 1];
    if (!pc) return null;
    const byId = new Map<string, Stat>();
    (await pc.getStats()).forEach((s) => {
      byId.set(s.id, s);
    });
    const transport = [...byId.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = transport ? byId.get(String(transport.selectedCandidatePairId)) : undefined;
    if (!pair) return null;
    // No named inner functions here: tsx would wrap them in a helper the page does not have.
    const sides: Record<string, unknown>[] = [];
    for (const id of [pair.localCandidateId, pair.remoteCandidateId]) {
      const c: Record<string, unknown> = byId.get(String(id)) ?? {};
      sides.push({
        candidateType: String(c.candidateType),
        protocol: String(c.protocol),
        address: String(c.address),
        port: Number(c.port),
        ...(c.relayProtocol ? { relayProtocol: String(c.relayProtocol) } : {}),
        ...(c.url ? { url: String(c.url) } : {}),
      });
    }
    return { local: sides[0], remote: sides[1] } as unknown as { local: CandidateInfo; remote: CandidateInfo };
  });
}

/** Describes a pair in one line for logs and assertion messages. */
export function describePair(p: SelectedPair | null): string {
  if (!p) return 'no selected pair';
  const side = (c: CandidateInfo) =>
    `${c.candidateType}/${c.protocol}${c.relayProtocol ? `(relay over ${c.relayProtocol})` : ''} ${c.address}:${c.port}`;
  return `${side(p.local)} -> ${side(p.remote)}`;
}

const RECOVERY_POLL_MS = 200;

/** Same candidates on both ends (by type, address and port). */
export function samePair(a: SelectedPair | null, b: SelectedPair | null): boolean {
  const key = (p: SelectedPair | null) =>
    p ? [p.local, p.remote].map((c) => `${c.candidateType} ${c.address}:${c.port}`).join(' -> ') : '';
  return key(a) === key(b);
}

/**
 * After a network change: waits until every page has selected a new candidate pair (not the
 * one in `before`) and decodes video frames on it. Resolves with the milliseconds from `since`
 * until the last page got there; rejects after `timeoutMs` with what each page saw.
 */
export async function waitForNewPathWithMedia(
  pages: readonly Page[],
  before: readonly (SelectedPair | null)[],
  since: number,
  timeoutMs: number,
): Promise<number> {
  const framesAtSwitch: (number | null)[] = pages.map(() => null);
  const doneAt: (number | null)[] = pages.map(() => null);
  const deadline = since + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = [];
    for (const [i, page] of pages.entries()) {
      if (doneAt[i] !== null) continue;
      const [pair, frames] = await Promise.all([selectedPair(page), framesDecoded(page)]);
      last.push(`page ${i}: ${describePair(pair)}, ${frames} frames`);
      if (framesAtSwitch[i] === null && pair && !samePair(pair, before[i] ?? null)) framesAtSwitch[i] = frames;
      const atSwitch = framesAtSwitch[i];
      if (atSwitch != null && frames > atSwitch) doneAt[i] = Date.now();
    }
    if (doneAt.every((t) => t !== null)) return Math.max(...(doneAt as number[])) - since;
    await new Promise((r) => setTimeout(r, RECOVERY_POLL_MS));
  }
  throw new Error(`no new path with media within ${timeoutMs} ms:\n${last.join('\n')}`);
}

/** Video frames decoded so far on the page's live connection. */
function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    type Stat = Record<string, unknown> & { type: string };
    type Pc = { connectionState: string; getStats(): Promise<{ forEach(cb: (s: Stat) => void): void }> };
    const pcs = ((globalThis as unknown as { __pcs?: Pc[] }).__pcs ?? []).filter((p) => p.connectionState !== 'closed');
    const pc = pcs[pcs.length - 1];
    let frames = 0;
    if (pc) {
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += Number(s.framesDecoded ?? 0);
      });
    }
    return frames;
  });
}
