import type { CallState } from './call-machine.js';

// Its own module, not part of call-machine.ts: only the UI reads it, so it is bundled into the
// UI's chunk, and that chunk imports nothing from the entry script (inlined into the page).

/** The root element's `data-state`, derived from the machine's state. */
export type ScreenState = 'ready' | 'waiting' | 'active' | 'ended' | 'error';

export function screenState(state: CallState): ScreenState {
  switch (state.kind) {
    case 'home':
      return 'ready';
    case 'call':
      return state.media === 'none' ? 'waiting' : 'active';
    case 'ended':
      return 'ended';
    case 'not-found':
    case 'refused':
      return 'error';
    default:
      return unhandled(state);
  }
}

function unhandled(x: never): never {
  throw new Error(`unhandled: ${JSON.stringify(x)}`);
}
