import { render } from 'preact';
import type { CallController } from '../core/call-controller.js';
import { type Lang, pickLanguage } from '../i18n/i18n.js';
import { App } from './app.js';
// Here, not in the entry: a stylesheet in the page's head would hold back the entry script (which
// starts the camera and the socket) until it has loaded; the UI's chunk waits for it instead.
import './styles.css';

interface MountOptions {
  storedLang: string | null;
  onLanguage: (lang: Lang) => void;
  newSessionId: () => string;
}

/**
 * The first render. Loaded as its own chunk, in parallel with the camera and the signalling
 * socket that main.tsx has already started, so the UI's code never delays the call's set-up.
 */
export function mount(root: HTMLElement, controller: CallController, o: MountOptions): void {
  render(
    <App
      controller={controller}
      initialLang={pickLanguage(navigator.languages ?? [navigator.language], o.storedLang)}
      onLanguage={o.onLanguage}
      origin={location.origin}
      newSessionId={o.newSessionId}
    />,
    root,
  );
}
