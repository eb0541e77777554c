import type { AppName } from './in-app-browser.js';
import { render } from 'preact';
import type { CallController } from '../core/call-controller.js';
import { pickLanguage } from '../i18n/i18n.js';
import { App } from './app.js';
import type { UiEnv } from './ui-env.js';
// Here, not in the entry: a stylesheet in the page's head would hold back the entry script (which
// starts the camera and the socket) until it has loaded; the UI's chunk waits for it instead.
import './styles.css';

interface MountOptions {
  env: UiEnv;
  newSessionId: () => string;
  openedFromLink: boolean;
  pendingJoin: { sessionId: string; app: AppName } | null;
}

/**
 * The first render. Loaded as its own chunk, after the camera that main.tsx has already started
 * is open (or at most 400 ms after it was asked for; core/first-render-gate.ts), so the UI's code
 * never delays the call's set-up.
 */
export function mount(root: HTMLElement, controller: CallController, o: MountOptions): void {
  render(
    <App
      controller={controller}
      env={o.env}
      initialLang={pickLanguage(navigator.languages ?? [navigator.language], o.env.prefs.lang())}
      origin={location.origin}
      newSessionId={o.newSessionId}
      openedFromLink={o.openedFromLink}
      pendingJoin={o.pendingJoin}
    />,
    root,
  );
}
