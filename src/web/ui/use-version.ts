import { useEffect, useRef, useState } from 'preact/hooks';

/** Something the UI draws from: a number that changes with every change, and its listeners. */
export interface VersionedSource {
  readonly version: number;
  subscribe(cb: () => void): () => void;
}

/**
 * Re-renders on every change of `source`, including one made between a render and the
 * subscription (React's useSyncExternalStore contract). A plain `useEffect(subscribe)` misses
 * that change for good: the effect runs after the paint, and the call starts before the UI
 * mounts, so a quick refusal landed in exactly that gap and the page kept saying "connecting".
 * Not preact/compat's hook: importing compat installs React-emulation option hooks for the
 * whole UI, for ten lines.
 */
export function useVersion(source: VersionedSource): number {
  const version = source.version;
  const drawn = useRef(version);
  drawn.current = version;
  const [, rerender] = useState(0);
  useEffect(() => {
    const update = () => {
      if (source.version !== drawn.current) rerender((n) => n + 1);
    };
    const off = source.subscribe(update);
    update();
    return off;
  }, [source]);
  return version;
}
