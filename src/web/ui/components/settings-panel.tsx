import { useEffect, useRef, useState } from 'preact/hooks';
import type { Lang } from '../../i18n/i18n.js';
import type { DeviceInfo, Devices } from '../../core/media-port.js';
import { useI18n } from '../i18n-context.js';
import { useUiEnv } from '../ui-env.js';

interface Props {
  devices: Devices;
  currentAudio: string | null;
  currentVideo: string | null;
  /** The panel opened: the device list is read again. */
  onOpen: () => void;
  onChoose: (kind: 'audio' | 'video', deviceId: string) => void;
  onLanguage: (lang: Lang) => void;
  waitingTone: boolean;
  onWaitingTone: (on: boolean) => void;
  outputId: string | null;
  onOutput: (deviceId: string | null) => void;
  onClose: () => void;
}

const FOCUSABLE = 'button:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

/**
 * The settings dialog: camera, microphone, sound output (where the browser can choose), the
 * waiting tone, language. Choices are big buttons, no typing. Focus stays inside while it is
 * open and goes back to where it was when it closes.
 */
export function SettingsPanel(p: Props) {
  const { t, lang } = useI18n();
  const { output } = useUiEnv();
  const [outputs, setOutputs] = useState<MediaDeviceInfo[]>([]);
  const closeRef = useRef<HTMLButtonElement>(null);
  const backdropRef = useRef<HTMLDivElement>(null);
  const dialogRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    // A tap outside the dialog closes it (keyboard users have Escape and the Close button).
    const backdrop = backdropRef.current;
    const onBackdrop = (e: MouseEvent) => e.target === backdrop && p.onClose();
    backdrop?.addEventListener('click', onBackdrop);
    p.onOpen();
    if (output.canChoose()) void output.list().then(setOutputs);
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') p.onClose();
      if (e.key !== 'Tab' || !dialogRef.current) return;
      const items = [...dialogRef.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last?.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      backdrop?.removeEventListener('click', onBackdrop);
      // The opener may have been re-rendered while the dialog was open: then its successor.
      const back = opener?.isConnected ? opener : document.querySelector<HTMLElement>('[data-testid="open-settings"]');
      back?.focus();
    };
  }, []);

  const choice = (key: string, label: string, chosen: boolean, onPick: () => void, langAttr?: string) => (
    <button
      type="button"
      key={key}
      lang={langAttr}
      class={`choice${chosen ? ' chosen' : ''}`}
      aria-pressed={chosen}
      onClick={onPick}
    >
      {label}
    </button>
  );
  const group = (kind: 'audio' | 'video', title: string, list: DeviceInfo[], current: string | null) => (
    <fieldset class="settings-group">
      <legend>{title}</legend>
      {list.length === 0 ? <p class="muted">{t('noDevices')}</p> : null}
      {list.map((d, i) =>
        choice(d.deviceId, d.label || t('deviceFallback', { n: i + 1 }), d.deviceId === current, () =>
          p.onChoose(kind, d.deviceId),
        ),
      )}
    </fieldset>
  );

  const langs: [Lang, string][] = [
    ['ru', 'Русский'],
    ['en', 'English'],
  ];
  return (
    <div class="backdrop" ref={backdropRef}>
      <div
        class="settings"
        role="dialog"
        aria-modal="true"
        aria-labelledby="settings-title"
        data-testid="settings-panel"
        ref={dialogRef}
      >
        <header class="settings-head">
          <h2 id="settings-title">{t('settings')}</h2>
          <button type="button" ref={closeRef} class="choice close" onClick={p.onClose}>
            {t('close')}
          </button>
        </header>
        {group('video', t('camera'), p.devices.cameras, p.currentVideo)}
        {group('audio', t('microphone'), p.devices.microphones, p.currentAudio)}
        {output.canChoose() && outputs.length > 0 ? (
          <fieldset class="settings-group" data-testid="output-choice">
            <legend>{t('soundOutput')}</legend>
            {choice('default', t('outputDefault'), p.outputId === null, () => p.onOutput(null))}
            {outputs
              .filter((d) => d.deviceId !== 'default')
              .map((d, i) =>
                choice(d.deviceId, d.label || t('deviceFallback', { n: i + 1 }), d.deviceId === p.outputId, () =>
                  p.onOutput(d.deviceId),
                ),
              )}
          </fieldset>
        ) : null}
        <fieldset class="settings-group">
          <legend>{t('waitingTone')}</legend>
          <div class="choice-row">
            {choice('on', t('toneOn'), p.waitingTone, () => p.onWaitingTone(true))}
            {choice('off', t('toneOff'), !p.waitingTone, () => p.onWaitingTone(false))}
          </div>
        </fieldset>
        <fieldset class="settings-group">
          <legend>{t('language')}</legend>
          <div class="choice-row">
            {langs.map(([code, name]) => choice(code, name, code === lang, () => p.onLanguage(code), code))}
          </div>
        </fieldset>
      </div>
    </div>
  );
}
